package investigate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

type taskHarness struct {
	store *handlerstest.MemStore
	chat  *handlerstest.FakeChat
	tasks *Tasks
	mux   *handlers.Mux
	f     bot.Finding
	card  bot.MessageRef
}

func newTaskHarness(t *testing.T) *taskHarness {
	t.Helper()
	h := &taskHarness{store: handlerstest.NewMemStore(), chat: &handlerstest.FakeChat{Updated: make(chan bot.Message, 100)}}
	h.f = handlerstest.TestFinding("f00d", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	h.card = bot.MessageRef{Channel: "C-gke", TS: "1700000000.000042"}
	h.store.Findings[h.f.Name] = h.f
	h.store.Cards[h.f.Name] = h.card
	cards := handlers.NewCards(h.store, h.chat, handlers.CardsOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- cards.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h.tasks = NewTasks(h.store, h.chat, cards, TasksOptions{Timeout: time.Second})
	h.tasks.showAfter = 0
	h.mux = handlers.NewMux(nil)
	return h
}

func (h *taskHarness) click(t *testing.T, action, user string) {
	t.Helper()
	err := h.mux.Serve(context.Background(), handlers.Request{Kind: handlers.RequestAction, ActionID: action, Value: h.f.ShortID(),
		UserID: user, Channel: h.card.Channel, MessageTS: h.card.TS})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTaskAnswersInThreadNamingWhoAskedAndShowsProgressOnCard(t *testing.T) {
	h := newTaskHarness(t)
	var sawRunning bool
	h.tasks.Register(h.mux, handlers.Button{Action: handlers.ActionRelated, Label: "Related findings", Task: func(ctx context.Context, f bot.Finding) (bot.Message, error) {
		sawRunning = strings.Contains(handlerstest.Flatten(h.chat.WaitUpdate(t)), "Related findings running, asked by")
		return bot.Message{Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T("three findings"))}}}, nil
	}})
	h.click(t, handlers.ActionRelated, "U0ALICE")
	posts := h.chat.All()
	if len(posts) != 1 || posts[0].Thread != h.card.TS {
		t.Fatalf("posts = %+v, want one reply in the card's thread", posts)
	}
	first := posts[0].Msg.Blocks[0].(bot.Section).Text
	if first[0].User != "U0ALICE" || !strings.Contains(handlerstest.Flatten(posts[0].Msg), "asked for Related findings") {
		t.Errorf("reply does not name who asked: %s", handlerstest.Flatten(posts[0].Msg))
	}
	if !sawRunning {
		t.Error("the card did not show the work running")
	}
	if last := h.chat.WaitUpdate(t); strings.Contains(handlerstest.Flatten(last), "running") {
		t.Error("the card still shows the work running after it finished")
	}
	// The card carries the button, with the finding's short id as value.
	var found bool
	for _, b := range h.chat.Updates[0].Blocks {
		if a, ok := b.(bot.Actions); ok && a.Buttons[0].ActionID == handlers.ActionRelated && a.Buttons[0].Value == h.f.ShortID() {
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
	h.tasks.Register(h.mux, handlers.Button{Action: handlers.ActionLogs, Label: "Logs", Task: func(ctx context.Context, f bot.Finding) (bot.Message, error) {
		mu.Lock()
		runs++
		mu.Unlock()
		close(started)
		<-release
		return bot.Message{}, nil
	}})
	done := make(chan struct{})
	go func() { h.click(t, handlers.ActionLogs, "U0ALICE"); close(done) }()
	<-started
	h.click(t, handlers.ActionLogs, "U0BOB")
	close(release)
	<-done
	if runs != 1 {
		t.Errorf("task ran %d times, want 1", runs)
	}
	if len(h.chat.Ephemerals) != 1 || !strings.Contains(handlerstest.Flatten(h.chat.Ephemerals[0]), "already running") {
		t.Errorf("second clicker was told %v, want an ephemeral 'already running'", h.chat.Ephemerals)
	}
}

func TestTaskFailureIsAnsweredHelpfully(t *testing.T) {
	h := newTaskHarness(t)
	denied := bot.WrapError(bot.EPermission, "sccbot cannot read logs in project demo-prod: grant roles/logging.viewer", errors.New("rpc error: code = PermissionDenied"))
	h.tasks.Register(h.mux, handlers.Button{Action: handlers.ActionLogs, Label: "Logs", Task: func(context.Context, bot.Finding) (bot.Message, error) {
		return bot.Message{}, denied
	}})
	h.click(t, handlers.ActionLogs, "U0ALICE")
	text := handlerstest.Flatten(h.chat.All()[0].Msg)
	if !strings.Contains(text, "grant roles/logging.viewer") || strings.Contains(text, "rpc error") {
		t.Errorf("failure answer = %q, want the safe message without internals", text)
	}
}

func TestTaskTimeout(t *testing.T) {
	h := newTaskHarness(t)
	h.tasks.timeout = 10 * time.Millisecond
	h.tasks.Register(h.mux, handlers.Button{Action: handlers.ActionLogs, Label: "Logs", Task: func(ctx context.Context, _ bot.Finding) (bot.Message, error) {
		<-ctx.Done()
		return bot.Message{}, ctx.Err()
	}})
	h.click(t, handlers.ActionLogs, "U0ALICE")
	if text := handlerstest.Flatten(h.chat.All()[0].Msg); !strings.Contains(text, "took too long") {
		t.Errorf("timeout answer = %q", text)
	}
}

func TestTaskUnknownFinding(t *testing.T) {
	h := newTaskHarness(t)
	h.tasks.Register(h.mux, handlers.Button{Action: handlers.ActionLogs, Label: "Logs", Task: func(context.Context, bot.Finding) (bot.Message, error) {
		t.Error("task ran for an unknown finding")
		return bot.Message{}, nil
	}})
	_ = h.mux.Serve(context.Background(), handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionLogs, Value: "nope", UserID: "U0ALICE"})
	if len(h.chat.Ephemerals) != 1 || len(h.chat.All()) != 0 {
		t.Errorf("unknown finding: ephemerals %d, posts %d; want one ephemeral answer", len(h.chat.Ephemerals), len(h.chat.All()))
	}
}

func TestQuickTaskDoesNotTouchTheCard(t *testing.T) {
	h := newTaskHarness(t)
	h.tasks.showAfter = time.Hour
	h.tasks.Register(h.mux, handlers.Button{Action: handlers.ActionAttack, Label: "ATT&CK", Task: func(context.Context, bot.Finding) (bot.Message, error) {
		return bot.Message{}, nil
	}})
	h.click(t, handlers.ActionAttack, "U0ALICE")
	h.chat.Mu.Lock()
	defer h.chat.Mu.Unlock()
	if len(h.chat.Updates) != 0 || len(h.chat.All()) != 1 {
		t.Errorf("updates %d, posts %d; a quick answer should only post the reply", len(h.chat.Updates), len(h.chat.All()))
	}
}
