package handlers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// memStore is an in-memory IntakeStore for unit tests; the real store is
// tested by bot/storetest.
type memStore struct {
	mu       sync.Mutex
	findings map[string]bot.Finding
	handled  map[bot.NotificationKey]string
	cards    map[string]bot.MessageRef
	intents  map[string]bot.PostIntent
}

func newMemStore() *memStore {
	return &memStore{findings: map[string]bot.Finding{}, handled: map[bot.NotificationKey]string{}, cards: map[string]bot.MessageRef{}, intents: map[string]bot.PostIntent{}}
}

func (s *memStore) PutFinding(_ context.Context, f bot.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.findings[f.Name] = f
	return nil
}

func (s *memStore) NotificationHandled(_ context.Context, k bot.NotificationKey) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.handled[k]
	return ok, nil
}

func (s *memStore) MarkNotification(_ context.Context, k bot.NotificationKey, outcome string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handled[k] = outcome
	return nil
}

func (s *memStore) Card(_ context.Context, name string) (bot.MessageRef, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.cards[name]
	return r, ok, nil
}

func (s *memStore) PutPostedCard(_ context.Context, k bot.NotificationKey, ref bot.MessageRef, outcome string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cards[k.Name] = ref
	delete(s.intents, bot.CardKey(k.Name))
	if _, ok := s.handled[k]; !ok {
		s.handled[k] = outcome
	}
	return nil
}

func (s *memStore) BeginIntent(_ context.Context, in bot.PostIntent) (bot.PostIntent, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.intents[in.Key]; ok {
		return old, true, nil
	}
	in.Created = time.Now()
	s.intents[in.Key] = in
	return in, false, nil
}

func (s *memStore) Intent(_ context.Context, key string) (bot.PostIntent, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.intents[key]
	return in, ok, nil
}

func (s *memStore) OweIntent(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.intents[key]
	if !ok {
		return bot.Errorf(bot.ENotFound, "no intent %q", key)
	}
	in.Owed = true
	s.intents[key] = in
	return nil
}

type posted struct {
	channel string
	thread  string
	msg     bot.Message
}

// fakePoster records posts; refuse makes posts to a channel fail.
type fakePoster struct {
	mu     sync.Mutex
	posts  []posted
	refuse map[string]error
	n      int
}

func (p *fakePoster) Post(_ context.Context, channel string, m bot.Message) (bot.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.refuse[channel]; err != nil {
		return bot.MessageRef{}, err
	}
	p.n++
	p.posts = append(p.posts, posted{channel: channel, msg: m})
	return bot.MessageRef{Channel: channel, TS: fmt.Sprintf("1700000000.%06d", p.n)}, nil
}

func (p *fakePoster) Reply(_ context.Context, parent bot.MessageRef, m bot.Message) (bot.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	p.posts = append(p.posts, posted{channel: parent.Channel, thread: parent.TS, msg: m})
	return bot.MessageRef{Channel: parent.Channel, TS: fmt.Sprintf("1700000000.%06d", p.n)}, nil
}

func (p *fakePoster) all() []posted {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]posted(nil), p.posts...)
}

func testFinding(id string, at time.Time) bot.Finding {
	return bot.Finding{
		Name:      "organizations/1/sources/2/locations/global/findings/" + id,
		Category:  "Defense Evasion: Launch Code Compiler Tool In Container",
		Severity:  bot.SeverityHigh,
		State:     "ACTIVE",
		Class:     "THREAT",
		EventTime: at,
		Target:    bot.Target{Product: bot.ProductGKE, Project: "demo-prod", Cluster: "prod", Location: "us-central1"},
	}
}

func newTestIntake(store IntakeStore, p Poster) *Intake {
	router := NewRouter("C-default", []Route{{Name: "gke", Channel: "C-gke", Match: Match{Products: []bot.Product{bot.ProductGKE}}}})
	return NewIntake(store, p, router, NewCards(nil, nil, nil, nil), IntakeOptions{})
}

func TestIntakePostsOnceAndThreadsRecurrences(t *testing.T) {
	ctx := context.Background()
	store, poster := newMemStore(), &fakePoster{}
	in := newTestIntake(store, poster)
	t0 := time.Date(2026, 11, 20, 10, 15, 30, 123456789, time.UTC)
	f := testFinding("abc", t0)

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

	got := poster.all()
	if len(got) != 2 {
		t.Fatalf("got %d posts, want a card and one thread reply: %+v", len(got), got)
	}
	if got[0].channel != "C-gke" || got[0].thread != "" || got[0].msg.Key != "card/"+f.Name {
		t.Errorf("card = %+v, want top-level in C-gke keyed by the finding", got[0])
	}
	if got[1].thread != "1700000000.000001" {
		t.Errorf("recurrence thread = %q, want the card's ts", got[1].thread)
	}
	if outcome := store.handled[later.Key()]; outcome != OutcomeThreaded {
		t.Errorf("recurrence outcome = %q, want %q", outcome, OutcomeThreaded)
	}
}

func TestIntakeConcurrentRedeliveryPostsOnce(t *testing.T) {
	store, poster := newMemStore(), &fakePoster{}
	in := newTestIntake(store, poster)
	f := testFinding("race", time.Unix(1700000000, 0))
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
	if n := len(poster.all()); n != 1 {
		t.Errorf("20 concurrent deliveries posted %d cards, want 1", n)
	}
}

func TestIntakeFailureLeavesNotificationForRedelivery(t *testing.T) {
	store := newMemStore()
	poster := &fakePoster{refuse: map[string]error{"C-gke": errors.New("slack is down")}}
	in := newTestIntake(store, poster)
	f := testFinding("down", time.Unix(1700000000, 0))
	if err := in.Handle(context.Background(), f); err == nil {
		t.Fatal("Handle succeeded although the post failed")
	}
	if handled, _ := store.NotificationHandled(context.Background(), f.Key()); handled {
		t.Error("a failed notification was marked handled; redelivery would skip it")
	}
	delete(poster.refuse, "C-gke")
	if err := in.Handle(context.Background(), f); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if n := len(poster.all()); n != 1 {
		t.Errorf("posts after redelivery = %d, want 1", n)
	}
}

func TestIntakeFallsBackToDefaultChannel(t *testing.T) {
	store := newMemStore()
	poster := &fakePoster{refuse: map[string]error{"C-gke": bot.Errorf(bot.EPermission, "not_in_channel")}}
	in := newTestIntake(store, poster)
	f := testFinding("fallback", time.Unix(1700000000, 0))
	if err := in.Handle(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	got := poster.all()
	if len(got) != 1 || got[0].channel != "C-default" {
		t.Fatalf("posts = %+v, want one in the default channel", got)
	}
	last := got[0].msg.Blocks[len(got[0].msg.Blocks)-1]
	if _, ok := last.(bot.Context); !ok {
		t.Errorf("fallback card ends with %T, want a note saying why", last)
	}
	if ref := store.cards[f.Name]; ref.Channel != "C-default" {
		t.Errorf("card recorded in %q, want C-default", ref.Channel)
	}
}

func TestIntakeRejectsNamelessFinding(t *testing.T) {
	in := newTestIntake(newMemStore(), &fakePoster{})
	err := in.Handle(context.Background(), bot.Finding{Category: "x"})
	if bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("Handle(no name) = %v, want an invalid error", err)
	}
}
