package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sccbot/sccbot/bot"
)

// IntentStore is what exactly-once posting needs from a store: intents
// written before a post and ended with its record.
type IntentStore interface {
	PutFinding(ctx context.Context, f bot.Finding) error
	PutPostedCard(ctx context.Context, key bot.NotificationKey, ref bot.MessageRef, outcome string) error
	Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error)

	// BeginIntent records in unless an intent with its key is open, and
	// returns the open one and whether it was already there.
	BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error)
	// Intent returns the open intent with key, if any.
	Intent(ctx context.Context, key string) (bot.PostIntent, bool, error)
	// OweIntent marks an open intent owed (ENotFound if none is open).
	OweIntent(ctx context.Context, key string) error
	// EndIntent closes an intent; closing a closed one is a no-op.
	EndIntent(ctx context.Context, key string) error
	// AttemptIntent records an attempt to post and returns the previous
	// one's time (zero if none); ENotFound if no intent is open.
	AttemptIntent(ctx context.Context, key string) (time.Time, error)
	// OwedIntents returns up to limit owed intents, oldest first.
	OwedIntents(ctx context.Context, limit int) ([]bot.PostIntent, error)
	// OpenIntents returns the open, not owed intents whose key starts
	// with prefix, oldest first.
	OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error)
}

// RunIntents runs the conformance tests of post intents. now is the
// store's clock, which the tests advance between writes.
func RunIntents(t *testing.T, open func(t *testing.T, now func() time.Time) (s IntentStore, reopen func() IntentStore)) {
	t.Run("IntentLifecycle", func(t *testing.T) { testIntentLifecycle(t, open) })
	t.Run("IntentEndedByCard", func(t *testing.T) { testIntentEndedByCard(t, open) })
	t.Run("IntentSingleWinner", func(t *testing.T) { testIntentSingleWinner(t, open) })
}

type steppingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *steppingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func testIntentLifecycle(t *testing.T, open func(*testing.T, func() time.Time) (IntentStore, func() IntentStore)) {
	ctx := context.Background()
	clock := &steppingClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	s, reopen := open(t, clock.now)
	listing := bot.PostIntent{Key: "list/g1/a", Channel: "C1", Thread: "1700000000.000100", Names: []string{"a", "b\x00<&>"}}
	got, existed, err := s.BeginIntent(ctx, listing)
	must(t, "begin listing intent", err)
	if existed || got.Created.IsZero() {
		t.Fatalf("first BeginIntent: existed %v, created %v; want a new intent with a time", existed, got.Created)
	}
	card := bot.PostIntent{Key: bot.CardKey("f1"), Channel: "C2", Finding: "f1"}
	_, _, err = s.BeginIntent(ctx, card)
	must(t, "begin card intent", err)

	again, existed, err := s.BeginIntent(ctx, bot.PostIntent{Key: listing.Key, Channel: "C9", Names: []string{"z"}})
	must(t, "begin listing intent again", err)
	if !existed || !again.Created.Equal(got.Created) || !cmp.Equal(again.Names, listing.Names) || again.Channel != "C1" {
		t.Errorf("second BeginIntent = %+v, existed %v; want the first intent unchanged", again, existed)
	}
	s = reopen()
	open0, err := s.OpenIntents(ctx, "list/")
	must(t, "open listing intents", err)
	if diff := cmp.Diff([]bot.PostIntent{got}, open0, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("OpenIntents(list/) after reopen (-want +got):\n%s", diff)
	}
	must(t, "owe card", s.OweIntent(ctx, card.Key))
	first, err := s.AttemptIntent(ctx, card.Key)
	must(t, "first attempt", err)
	second, err := s.AttemptIntent(ctx, card.Key)
	must(t, "second attempt", err)
	if !first.IsZero() || second.IsZero() || !second.After(got.Created) {
		t.Errorf("AttemptIntent: first %v, second %v; want zero, then the first attempt's time", first, second)
	}
	if _, err := s.AttemptIntent(ctx, "card/none"); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("AttemptIntent of a missing intent: %v, want ENotFound", err)
	}
	wantCode(t, "owe a missing intent", s.OweIntent(ctx, "card/none"), bot.ENotFound)
	owed, err := s.OwedIntents(ctx, 10)
	must(t, "owed intents", err)
	if len(owed) != 1 || owed[0].Key != card.Key || !owed[0].Owed || owed[0].Finding != "f1" {
		t.Errorf("OwedIntents = %+v, want the card intent, owed", owed)
	}
	if cards, _ := s.OpenIntents(ctx, "card/"); len(cards) != 0 {
		t.Errorf("OpenIntents(card/) = %+v; an owed intent is not open", cards)
	}
	must(t, "end listing", s.EndIntent(ctx, listing.Key))
	must(t, "end listing twice", s.EndIntent(ctx, listing.Key))
	if _, ok, err := s.Intent(ctx, listing.Key); err != nil || ok {
		t.Errorf("Intent after EndIntent: ok %v err %v, want none", ok, err)
	}
}

func testIntentEndedByCard(t *testing.T, open func(*testing.T, func() time.Time) (IntentStore, func() IntentStore)) {
	ctx := context.Background()
	clock := &steppingClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	s, _ := open(t, clock.now)
	f := simpleFinding("card1", at(0))
	must(t, "put finding", s.PutFinding(ctx, f))
	_, _, err := s.BeginIntent(ctx, bot.PostIntent{Key: bot.CardKey(f.Name), Channel: "C1", Finding: f.Name})
	must(t, "begin", err)
	must(t, "owe", s.OweIntent(ctx, bot.CardKey(f.Name)))
	must(t, "posted card", s.PutPostedCard(ctx, f.Key(), bot.MessageRef{Channel: "C1", TS: "1700000000.000200"}, "posted"))
	if _, ok, _ := s.Intent(ctx, bot.CardKey(f.Name)); ok {
		t.Error("the card's intent is still open after PutPostedCard")
	}
	if owed, _ := s.OwedIntents(ctx, 10); len(owed) != 0 {
		t.Errorf("OwedIntents after the card was recorded = %+v, want none", owed)
	}
}

// testIntentSingleWinner races BeginIntent: exactly one caller records it.
func testIntentSingleWinner(t *testing.T, open func(*testing.T, func() time.Time) (IntentStore, func() IntentStore)) {
	ctx := context.Background()
	clock := &steppingClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	s, _ := open(t, clock.now)
	const racers = 8
	for k := range 20 {
		key := fmt.Sprintf("card/race-%d", k)
		var wg sync.WaitGroup
		fresh := make(chan bool, racers)
		for range racers {
			wg.Go(func() {
				_, existed, err := s.BeginIntent(ctx, bot.PostIntent{Key: key, Channel: "C1"})
				if err != nil {
					t.Errorf("BeginIntent: %v", err)
				}
				fresh <- !existed
			})
		}
		wg.Wait()
		close(fresh)
		n := 0
		for f := range fresh {
			if f {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d callers recorded it first, want 1", key, n)
		}
	}
}
