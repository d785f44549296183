package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// countingChat counts card updates.
type countingChat struct{ updates int }

func (c *countingChat) Update(context.Context, bot.MessageRef, bot.Message) error {
	c.updates++
	return nil
}

// TestRefreshSkipsAnUnchangedCard: chat.update is scarce (about 50 a
// minute for the workspace), so a refresh that would write the same card
// again is skipped, and one with new content is not.
func TestRefreshSkipsAnUnchangedCard(t *testing.T) {
	store := handlerstest.NewMemStore()
	f := handlerstest.TestFinding("a1", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	if err := store.PutFinding(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := store.PutPostedCard(ctx, bot.NotificationKey{Name: f.Name, EventTime: f.EventTime},
		bot.MessageRef{Channel: "C1", TS: "1.1"}, "posted"); err != nil {
		t.Fatal(err)
	}
	chat := &countingChat{}
	cards := NewCards(store, chat, CardsOptions{})
	note := ""
	cards.AddNotes(func(context.Context, bot.Finding) ([]bot.Rich, error) {
		if note == "" {
			return nil, nil
		}
		return []bot.Rich{bot.R(bot.T(note))}, nil
	})
	for range 3 {
		if err := cards.Refresh(ctx, f.Name); err != nil {
			t.Fatal(err)
		}
	}
	if chat.updates != 1 {
		t.Fatalf("three refreshes of an unchanged card made %d updates, want 1", chat.updates)
	}
	note = "acknowledged"
	if err := cards.Refresh(ctx, f.Name); err != nil {
		t.Fatal(err)
	}
	if chat.updates != 2 {
		t.Fatalf("a changed card made %d updates in all, want 2", chat.updates)
	}
}

// turnLock is a CardLocker that records whether the card was written
// inside its turn.
type turnLock struct {
	turns int
	held  bool
}

func (l *turnLock) WithCardLock(ctx context.Context, key string, fn func(context.Context) error) error {
	l.turns++
	l.held = true
	defer func() { l.held = false }()
	return fn(ctx)
}

// lockedChat fails a write made outside the lock's turn.
type lockedChat struct {
	lock    *turnLock
	updates int
}

func (c *lockedChat) Update(context.Context, bot.MessageRef, bot.Message) error {
	if !c.lock.held {
		return errors.New("card written outside its lock")
	}
	c.updates++
	return nil
}

// TestRefreshWritesInsideTheCardLock: with replicas each refresh renders
// and writes the card inside the card's lock, and none is skipped as
// unchanged (another replica may have written the card meanwhile).
func TestRefreshWritesInsideTheCardLock(t *testing.T) {
	store := handlerstest.NewMemStore()
	f := handlerstest.TestFinding("a2", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	if err := store.PutFinding(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := store.PutPostedCard(ctx, bot.NotificationKey{Name: f.Name, EventTime: f.EventTime},
		bot.MessageRef{Channel: "C1", TS: "1.1"}, "posted"); err != nil {
		t.Fatal(err)
	}
	lock := &turnLock{}
	chat := &lockedChat{lock: lock}
	cards := NewCards(store, chat, CardsOptions{Lock: lock})
	for range 3 {
		if err := cards.Refresh(ctx, f.Name); err != nil {
			t.Fatal(err)
		}
	}
	if lock.turns != 3 || chat.updates != 3 {
		t.Errorf("3 refreshes took %d turns and made %d updates, want 3 and 3", lock.turns, chat.updates)
	}
}

// errStore fails every card lookup.
type errStore struct{ *handlerstest.MemStore }

func (errStore) Card(context.Context, string) (bot.MessageRef, bool, error) {
	return bot.MessageRef{}, false, errors.New("database is locked")
}

// TestTouchWhileTheCardIsBeingPostedIsNotLost: an acknowledgement clicked
// the moment its card appears (or served by another replica) touches a
// card whose record is not written yet. The refresh finds the card in
// flight and is tried again, so the card shows the acknowledgement once
// it is recorded. A finding without a card, or a card intent, is no
// retry.
func TestTouchWhileTheCardIsBeingPostedIsNotLost(t *testing.T) {
	store := handlerstest.NewMemStore()
	f := handlerstest.TestFinding("a3", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	lone := handlerstest.TestFinding("a4", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	for _, f := range []bot.Finding{f, lone} {
		if err := store.PutFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := store.BeginIntent(ctx, bot.PostIntent{Key: bot.CardKey(f.Name), Channel: "C1", Finding: f.Name}); err != nil {
		t.Fatal(err)
	}
	chat := &handlerstest.FakeChat{Updated: make(chan bot.Message, 10)}
	cards := NewCards(store, chat, CardsOptions{RetryAfter: time.Millisecond})
	cards.AddNotes(func(context.Context, bot.Finding) ([]bot.Rich, error) {
		return []bot.Rich{bot.R(bot.T("acknowledged"))}, nil
	})

	err := cards.Refresh(ctx, lone.Name)
	cards.settle(lone.Name, err)
	if err != nil || cards.retryCount() != 0 {
		t.Fatalf("a finding without a card: Refresh = %v, %d retrying; want nil and none", err, cards.retryCount())
	}
	err = cards.Refresh(ctx, f.Name)
	if !errors.Is(err, errCardInFlight) {
		t.Fatalf("Refresh of a card being posted = %v, want errCardInFlight", err)
	}
	cards.settle(f.Name, err)
	// The retry touches the card again (and wakes Run) after its pause.
	select {
	case <-cards.wake:
	case <-time.After(10 * time.Second):
		t.Fatal("the card in flight was not touched again")
	}
	if err := store.PutPostedCard(ctx, f.Key(), bot.MessageRef{Channel: "C1", TS: "1.1"}, "posted"); err != nil {
		t.Fatal(err)
	}
	name, ok := cards.next()
	if !ok || name != f.Name {
		t.Fatalf("queued after the retry: %q, %v; want the card in flight", name, ok)
	}
	cards.settle(name, cards.Refresh(ctx, name))
	if len(chat.Updates) != 1 || !strings.Contains(handlerstest.Flatten(chat.Updates[0]), "acknowledged") {
		t.Fatalf("updates once the card was recorded: %d, want one with its note", len(chat.Updates))
	}
	if n := cards.retryCount(); n != 0 {
		t.Errorf("%d cards still retrying after the update", n)
	}
}

// TestRefreshGivesUpOnceAndSaysSo: a refresh that keeps failing is tried
// again a bounded number of times, then counted and logged once; a card
// that stays in flight is given up after maxInFlight.
func TestRefreshGivesUpOnceAndSaysSo(t *testing.T) {
	ctx := context.Background()
	store := errStore{handlerstest.NewMemStore()}
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	cards := NewCards(store, &handlerstest.FakeChat{}, CardsOptions{RetryAfter: time.Hour, Registry: reg,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	cards.now = func() time.Time { return now }

	for i := range maxFailedRefreshes {
		err := cards.Refresh(ctx, "organizations/1/sources/2/findings/b1")
		if err == nil {
			t.Fatal("Refresh succeeded against a failing store")
		}
		cards.settle("organizations/1/sources/2/findings/b1", err)
		if want := i < maxFailedRefreshes-1; (cards.retryCount() == 1) != want {
			t.Fatalf("after %d failures retrying = %d, want it %v", i+1, cards.retryCount(), want)
		}
	}
	cards.settle("organizations/1/sources/2/findings/b2", errCardInFlight)
	now = now.Add(maxInFlight - time.Second)
	cards.settle("organizations/1/sources/2/findings/b2", errCardInFlight)
	if cards.retryCount() != 1 {
		t.Fatalf("a card in flight for under %v was given up", maxInFlight)
	}
	now = now.Add(time.Second)
	cards.settle("organizations/1/sources/2/findings/b2", errCardInFlight)

	if got := testutil.ToFloat64(cards.givenUp); got != 2 || cards.retryCount() != 0 {
		t.Errorf("given up %v, %d retrying; want 2 and none", got, cards.retryCount())
	}
	if n := strings.Count(logs.String(), "gave up"); n != 2 || !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("%d give-up warnings, want 2 with their cause:\n%s", n, logs.String())
	}
	if n, err := testutil.GatherAndCount(reg, "sccbot_card_refreshes_given_up_total"); err != nil || n != 1 {
		t.Errorf("the registry has %d given-up counters (%v), want 1", n, err)
	}
}

func TestRetryPauseGrowsToItsCeiling(t *testing.T) {
	p := retryPolicy{first: time.Second}
	for tries, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second, 6: 30 * time.Second, 40: 30 * time.Second} {
		if got := p.pause(tries); got != want {
			t.Errorf("pause(%d) = %v, want %v", tries, got, want)
		}
	}
}
