package intake

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

func newTestIntake(store Store, p handlers.Poster) *Intake {
	router := NewRouter("C-default", []Route{{Name: "gke", Channel: "C-gke", Match: Match{Products: []bot.Product{bot.ProductGKE}}}})
	return NewIntake(store, p, router, handlers.NewCards(nil, nil, handlers.CardsOptions{}), Options{})
}

func TestIntakePostsOnceAndThreadsRecurrences(t *testing.T) {
	ctx := context.Background()
	store, poster := handlerstest.NewMemStore(), &handlerstest.FakePoster{}
	in := newTestIntake(store, poster)
	t0 := time.Date(2026, 11, 20, 10, 15, 30, 123456789, time.UTC)
	f := handlerstest.TestFinding("abc", t0)

	for i := range 3 { // the first is new, then two redeliveries
		if err := in.Handle(ctx, f); err != nil {
			t.Fatalf("Handle #%d: %v", i, err)
		}
	}
	later := f
	later.EventTime = t0.Add(time.Minute)
	if err := in.Handle(ctx, later); err != nil {
		t.Fatalf("Handle(recurrence): %v", err)
	}

	got := poster.All()
	if len(got) != 2 {
		t.Fatalf("got %d posts, want a card and one thread reply: %+v", len(got), got)
	}
	if got[0].Channel != "C-gke" || got[0].Thread != "" || got[0].Msg.Key != "card/"+f.Name {
		t.Errorf("card = %+v, want top-level in C-gke keyed by the finding", got[0])
	}
	if got[1].Thread != "1700000000.000001" {
		t.Errorf("recurrence thread = %q, want the card's ts", got[1].Thread)
	}
	if outcome := store.Handled[later.Key()]; outcome != handlers.OutcomeThreaded {
		t.Errorf("recurrence outcome = %q, want %q", outcome, handlers.OutcomeThreaded)
	}
}

func TestIntakeConcurrentRedeliveryPostsOnce(t *testing.T) {
	store, poster := handlerstest.NewMemStore(), &handlerstest.FakePoster{}
	in := newTestIntake(store, poster)
	f := handlerstest.TestFinding("race", time.Unix(1700000000, 0))
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := in.Handle(context.Background(), f); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(poster.All()); n != 1 {
		t.Errorf("20 concurrent deliveries posted %d cards, want 1", n)
	}
}

func TestIntakeFailureLeavesNotificationForRedelivery(t *testing.T) {
	store := handlerstest.NewMemStore()
	poster := &handlerstest.FakePoster{Refuse: map[string]error{"C-gke": errors.New("slack is down")}}
	in := newTestIntake(store, poster)
	f := handlerstest.TestFinding("down", time.Unix(1700000000, 0))
	if err := in.Handle(context.Background(), f); err == nil {
		t.Fatal("Handle succeeded although the post failed")
	}
	if handled, _ := store.NotificationHandled(context.Background(), f.Key()); handled {
		t.Error("a failed notification was marked handled; redelivery would skip it")
	}
	delete(poster.Refuse, "C-gke")
	if err := in.Handle(context.Background(), f); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if n := len(poster.All()); n != 1 {
		t.Errorf("posts after redelivery = %d, want 1", n)
	}
}

func TestIntakeFallsBackToDefaultChannel(t *testing.T) {
	store := handlerstest.NewMemStore()
	poster := &handlerstest.FakePoster{Refuse: map[string]error{"C-gke": bot.Errorf(bot.EPermission, "not_in_channel")}}
	in := newTestIntake(store, poster)
	f := handlerstest.TestFinding("fallback", time.Unix(1700000000, 0))
	if err := in.Handle(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	got := poster.All()
	if len(got) != 1 || got[0].Channel != "C-default" {
		t.Fatalf("posts = %+v, want one in the default channel", got)
	}
	last := got[0].Msg.Blocks[len(got[0].Msg.Blocks)-1]
	if _, ok := last.(bot.Context); !ok {
		t.Errorf("fallback card ends with %T, want a note saying why", last)
	}
	if ref := store.Cards[f.Name]; ref.Channel != "C-default" {
		t.Errorf("card recorded in %q, want C-default", ref.Channel)
	}
}

func TestIntakeRejectsNamelessFinding(t *testing.T) {
	in := newTestIntake(handlerstest.NewMemStore(), &handlerstest.FakePoster{})
	err := in.Handle(context.Background(), bot.Finding{Category: "x"})
	if bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("Handle(no name) = %v, want an invalid error", err)
	}
}
