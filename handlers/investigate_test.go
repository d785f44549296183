package handlers

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

func (s *memStore) Finding(_ context.Context, name string) (bot.Finding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.findings[name]
	if !ok {
		return bot.Finding{}, bot.Errorf(bot.ENotFound, "finding %q not found", name)
	}
	return f, nil
}

func (s *memStore) FindingStatus(_ context.Context, name string) (bot.FindingStatus, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.findings[name]
	return f.Status(), ok, nil
}

func (s *memStore) ResolveFinding(ctx context.Context, ref string) (bot.Finding, error) {
	s.mu.Lock()
	var found []bot.Finding
	for _, f := range s.findings {
		if f.Name == ref || f.ShortID() == ref {
			found = append(found, f)
		}
	}
	s.mu.Unlock()
	if len(found) != 1 {
		return bot.Finding{}, bot.Errorf(bot.ENotFound, "no finding %q", ref)
	}
	return found[0], nil
}

// fakeChat records what handlers say.
type fakeChat struct {
	fakePoster
	mu         sync.Mutex
	updates    []bot.Message
	ephemerals []bot.Message
	updated    chan bot.Message
}

func (c *fakeChat) Update(_ context.Context, _ bot.MessageRef, m bot.Message) error {
	c.mu.Lock()
	c.updates = append(c.updates, m)
	c.mu.Unlock()
	c.updated <- m
	return nil
}

func (c *fakeChat) waitUpdate(t *testing.T) bot.Message {
	t.Helper()
	select {
	case m := <-c.updated:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("the card was not updated")
		return bot.Message{}
	}
}

func (c *fakeChat) Ephemeral(_ context.Context, _, _, _ string, m bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ephemerals = append(c.ephemerals, m)
	return nil
}

type taskHarness struct {
	store *memStore
	chat  *fakeChat
	tasks *Tasks
	mux   *Mux
	f     bot.Finding
	card  bot.MessageRef
}

func newTaskHarness(t *testing.T) *taskHarness {
	t.Helper()
	h := &taskHarness{store: newMemStore(), chat: &fakeChat{updated: make(chan bot.Message, 100)}}
	h.f = testFinding("f00d", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	h.card = bot.MessageRef{Channel: "C-gke", TS: "1700000000.000042"}
	h.store.findings[h.f.Name] = h.f
	h.store.cards[h.f.Name] = h.card
	cards := NewCards(h.store, h.chat, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- cards.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h.tasks = NewTasks(h.store, h.chat, cards, time.Second, nil)
	h.tasks.showAfter = 0
	h.mux = NewMux(nil)
	return h
}

func (h *taskHarness) click(t *testing.T, action, user string) {
	t.Helper()
	err := h.mux.Serve(context.Background(), Request{Kind: RequestAction, ActionID: action, Value: h.f.ShortID(),
		UserID: user, Channel: h.card.Channel, MessageTS: h.card.TS})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTaskAnswersInThreadNamingWhoAskedAndShowsProgressOnCard(t *testing.T) {
	h := newTaskHarness(t)
	var sawRunning bool
	h.tasks.Register(h.mux, Button{Action: ActionRelated, Label: "Related findings", Task: func(ctx context.Context, f bot.Finding) (bot.Message, error) {
		sawRunning = strings.Contains(flatten(h.chat.waitUpdate(t)), "Related findings running, asked by")
		return bot.Message{Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T("three findings"))}}}, nil
	}})
	h.click(t, ActionRelated, "U0ALICE")
	posts := h.chat.all()
	if len(posts) != 1 || posts[0].thread != h.card.TS {
		t.Fatalf("posts = %+v, want one reply in the card's thread", posts)
	}
	first := posts[0].msg.Blocks[0].(bot.Section).Text
	if first[0].User != "U0ALICE" || !strings.Contains(flatten(posts[0].msg), "asked for Related findings") {
		t.Errorf("reply does not name who asked: %s", flatten(posts[0].msg))
	}
	if !sawRunning {
		t.Error("the card did not show the work running")
	}
	if last := h.chat.waitUpdate(t); strings.Contains(flatten(last), "running") {
		t.Error("the card still shows the work running after it finished")
	}
	// The card carries the button, with the finding's short id as value.
	var found bool
	for _, b := range h.chat.updates[0].Blocks {
		if a, ok := b.(bot.Actions); ok && a.Buttons[0].ActionID == ActionRelated && a.Buttons[0].Value == h.f.ShortID() {
			found = true
		}
	}
	if !found {
		t.Error("the card lacks the Related findings button")
	}
}

func TestTaskSecondClickWhileRunningDoesNotStartAgain(t *testing.T) {
	h := newTaskHarness(t)
	release, started := make(chan struct{}), make(chan struct{})
	var runs int
	var mu sync.Mutex
	h.tasks.Register(h.mux, Button{Action: ActionLogs, Label: "Logs", Task: func(ctx context.Context, f bot.Finding) (bot.Message, error) {
		mu.Lock()
		runs++
		mu.Unlock()
		close(started)
		<-release
		return bot.Message{}, nil
	}})
	done := make(chan struct{})
	go func() { h.click(t, ActionLogs, "U0ALICE"); close(done) }()
	<-started
	h.click(t, ActionLogs, "U0BOB")
	close(release)
	<-done
	if runs != 1 {
		t.Errorf("task ran %d times, want 1", runs)
	}
	if len(h.chat.ephemerals) != 1 || !strings.Contains(flatten(h.chat.ephemerals[0]), "already running") {
		t.Errorf("second clicker was told %v, want an ephemeral 'already running'", h.chat.ephemerals)
	}
}

func TestTaskFailureIsAnsweredHelpfully(t *testing.T) {
	h := newTaskHarness(t)
	denied := bot.WrapError(bot.EPermission, "sccbot cannot read logs in project demo-prod: grant roles/logging.viewer", errors.New("rpc error: code = PermissionDenied"))
	h.tasks.Register(h.mux, Button{Action: ActionLogs, Label: "Logs", Task: func(context.Context, bot.Finding) (bot.Message, error) {
		return bot.Message{}, denied
	}})
	h.click(t, ActionLogs, "U0ALICE")
	text := flatten(h.chat.all()[0].msg)
	if !strings.Contains(text, "grant roles/logging.viewer") || strings.Contains(text, "rpc error") {
		t.Errorf("failure answer = %q, want the safe message without internals", text)
	}
}

func TestTaskTimeout(t *testing.T) {
	h := newTaskHarness(t)
	h.tasks.timeout = 10 * time.Millisecond
	h.tasks.Register(h.mux, Button{Action: ActionLogs, Label: "Logs", Task: func(ctx context.Context, _ bot.Finding) (bot.Message, error) {
		<-ctx.Done()
		return bot.Message{}, ctx.Err()
	}})
	h.click(t, ActionLogs, "U0ALICE")
	if text := flatten(h.chat.all()[0].msg); !strings.Contains(text, "took too long") {
		t.Errorf("timeout answer = %q", text)
	}
}

func TestTaskUnknownFinding(t *testing.T) {
	h := newTaskHarness(t)
	h.tasks.Register(h.mux, Button{Action: ActionLogs, Label: "Logs", Task: func(context.Context, bot.Finding) (bot.Message, error) {
		t.Error("task ran for an unknown finding")
		return bot.Message{}, nil
	}})
	_ = h.mux.Serve(context.Background(), Request{Kind: RequestAction, ActionID: ActionLogs, Value: "nope", UserID: "U0ALICE"})
	if len(h.chat.ephemerals) != 1 || len(h.chat.all()) != 0 {
		t.Errorf("unknown finding: ephemerals %d, posts %d; want one ephemeral answer", len(h.chat.ephemerals), len(h.chat.all()))
	}
}

func TestQuickTaskDoesNotTouchTheCard(t *testing.T) {
	h := newTaskHarness(t)
	h.tasks.showAfter = time.Hour
	h.tasks.Register(h.mux, Button{Action: ActionAttack, Label: "ATT&CK", Task: func(context.Context, bot.Finding) (bot.Message, error) {
		return bot.Message{}, nil
	}})
	h.click(t, ActionAttack, "U0ALICE")
	h.chat.mu.Lock()
	defer h.chat.mu.Unlock()
	if len(h.chat.updates) != 0 || len(h.chat.all()) != 1 {
		t.Errorf("updates %d, posts %d; a quick answer should only post the reply", len(h.chat.updates), len(h.chat.all()))
	}
}
