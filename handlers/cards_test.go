package handlers

import (
	"context"
	"errors"
	"testing"
	"time"

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
