package respond

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
	"github.com/sccbot/sccbot/playbooks"
)

// countingResponder counts executions of the GKE actions.
type countingResponder struct{ runs atomic.Int32 }

func (c *countingResponder) Actions() []string {
	return []string{bot.ActionIsolatePod, bot.ActionDeletePod, bot.ActionCordonNode}
}

func (c *countingResponder) Preview(f bot.Finding, action string) ([]string, error) {
	return []string{"pod " + f.Target.Namespace + "/" + f.Target.Pod}, nil
}

func (c *countingResponder) Execute(_ context.Context, f bot.Finding, action string, dryRun bool) (bot.ActionResult, error) {
	c.runs.Add(1)
	return bot.ActionResult{Summary: "pod isolated", Details: []string{"label added", "NetworkPolicy created"}, DryRun: dryRun}, nil
}

type fakeDialogs struct {
	mu     sync.Mutex
	opened []bot.Modal
}

func (d *fakeDialogs) OpenModal(_ context.Context, _ string, m bot.Modal) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opened = append(d.opened, m)
	return nil
}

type respondHarness struct {
	store   *sqlite.DB
	chat    *handlerstest.FakeChat
	dialogs *fakeDialogs
	mux     *handlers.Mux
	gke     *countingResponder
	runner  *playbooks.Runner
	flow    *Flow
	f       bot.Finding
}

func newRespondHarness(t *testing.T, rules map[string]playbooks.Rule) *respondHarness {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &respondHarness{store: db, chat: &handlerstest.FakeChat{Updated: make(chan bot.Message, 1000)}, dialogs: &fakeDialogs{},
		mux: handlers.NewMux(nil), gke: &countingResponder{}}
	h.f = handlerstest.PodFinding(1, "checkout-1", bot.SeverityHigh, time.Now())
	if err := db.PutFinding(context.Background(), h.f); err != nil {
		t.Fatal(err)
	}
	if err := db.PutCard(context.Background(), h.f.Name, bot.MessageRef{Channel: "C-gke", TS: "1700000000.000001"}); err != nil {
		t.Fatal(err)
	}
	cards := handlers.NewCards(db, h.chat, handlers.CardsOptions{})
	policy := playbooks.NewPolicy(rules, nil)
	h.runner = playbooks.NewRunner(db, policy, []bot.Responder{h.gke}, playbooks.RunnerOptions{})
	fits := func(bot.Finding) []playbooks.Response {
		return []playbooks.Response{{Action: bot.ActionIsolatePod, Suggested: true, Label: "Isolate the pod"},
			{Action: bot.ActionDeletePod, Label: "Delete the pod"}, {Action: bot.ActionPageOwner, Label: "Page"}}
	}
	h.flow = NewRespondFlow(db, h.chat, h.dialogs, h.runner, policy.Rule, fits, cards, Options{Feed: h.runner.Feed()})
	h.flow.Register(h.mux)
	return h
}

func (h *respondHarness) do(t *testing.T, r handlers.Request) {
	t.Helper()
	r.Channel, r.MessageTS = "C-gke", "1700000000.000001"
	if err := h.mux.Serve(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	h.flow.settle(context.Background())
}

func (h *respondHarness) ephemerals() []string {
	h.chat.Mu.Lock()
	defer h.chat.Mu.Unlock()
	var out []string
	for _, m := range h.chat.Ephemerals {
		out = append(out, handlerstest.Flatten(m))
	}
	return out
}

func TestContainmentNeedsASecondApprover(t *testing.T) {
	h := newRespondHarness(t, map[string]playbooks.Rule{
		bot.ActionIsolatePod: {Approval: true, Approvers: []string{"U0ALICE", "U0CAROL"}, TwoPerson: true},
	})
	h.do(t, handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionContain, Value: h.f.ShortID(), UserID: "U0ALICE", TriggerID: "t1"})
	if len(h.dialogs.opened) != 1 {
		t.Fatal("Contain… did not open a dialog")
	}
	modal := h.dialogs.opened[0]
	if len(modal.Inputs[0].Options) != 1 || modal.Inputs[0].Initial != bot.ActionIsolatePod {
		t.Errorf("dialog offers %+v; only the enabled containment action should be offered", modal.Inputs[0].Options)
	}
	if problems := h.mux.Validate(handlers.Request{Kind: handlers.RequestSubmit, CallbackID: handlers.CallbackContain, Values: map[string]string{"action": bot.ActionIsolatePod}}); problems["reason"] == "" {
		t.Error("a request without a reason was accepted")
	}
	h.do(t, handlers.Request{Kind: handlers.RequestSubmit, CallbackID: handlers.CallbackContain, PrivateMetadata: h.f.ShortID(), UserID: "U0ALICE",
		Values: map[string]string{"action": bot.ActionIsolatePod, "reason": "gcc in prod"}})
	posts := h.chat.All()
	if len(posts) != 1 || !strings.Contains(handlerstest.Flatten(posts[0].Msg), "[Approve][Deny]") {
		t.Fatalf("request posts = %+v, want one with Approve and Deny", posts)
	}
	reqID := posts[0].Msg.Blocks[len(posts[0].Msg.Blocks)-1].(bot.Actions).Buttons[0].Value
	h.do(t, handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionApprove, Value: reqID, UserID: "U0BOB"})   // not an approver
	h.do(t, handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionApprove, Value: reqID, UserID: "U0ALICE"}) // the requester
	if n := h.gke.runs.Load(); n != 0 {
		t.Fatalf("the action ran %d times before a valid approval", n)
	}
	if e := h.ephemerals(); len(e) != 2 || !strings.Contains(e[0], "may approve") || !strings.Contains(e[1], "two-person") {
		t.Errorf("refusals = %q", e)
	}
	var wg sync.WaitGroup
	for range 5 { // a double click, a redelivery...
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = h.mux.Serve(context.Background(), handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionApprove, Value: reqID,
				UserID: "U0CAROL", Channel: "C-gke", MessageTS: "1700000000.000001"})
		}()
	}
	wg.Wait()
	h.flow.settle(context.Background())
	if n := h.gke.runs.Load(); n != 1 {
		t.Errorf("the action ran %d times, want exactly once", n)
	}
	// The outcome is shown by editing the request's message.
	text := ""
	for _, p := range h.chat.All() {
		text += handlerstest.Flatten(p.Msg)
	}
	h.chat.Mu.Lock()
	for _, m := range h.chat.Updates {
		text += handlerstest.Flatten(m)
	}
	h.chat.Mu.Unlock()
	if !strings.Contains(text, "✅ Isolate the pod") || !strings.Contains(text, "pod isolated") {
		t.Errorf("the thread does not show the outcome:\n%s", text)
	}
	audit, _ := h.store.AuditForFinding(context.Background(), h.f.Name)
	var events []string
	for _, e := range audit {
		events = append(events, e.Event+":"+e.Actor)
	}
	want := "requested:U0ALICE refused:U0BOB refused:U0ALICE approved:U0CAROL started:sccbot succeeded:sccbot"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("audit = %s\nwant    %s", got, want)
	}
}

func TestDenyAndCardButtons(t *testing.T) {
	h := newRespondHarness(t, map[string]playbooks.Rule{
		bot.ActionIsolatePod: {Approval: true, Approvers: []string{"U0CAROL"}},
	})
	cards := handlers.NewCards(h.store, h.chat, handlers.CardsOptions{})
	flow := NewRespondFlow(h.store, h.chat, h.dialogs, h.runner, playbooks.NewPolicy(map[string]playbooks.Rule{
		bot.ActionIsolatePod: {Approval: true, Approvers: []string{"U0CAROL"}}}, nil).Rule,
		func(bot.Finding) []playbooks.Response { return nil }, cards, Options{})
	if b := flow.buttons(h.f); len(b) != 0 {
		t.Errorf("buttons %+v for a finding no enabled action fits", b)
	}
	h.do(t, handlers.Request{Kind: handlers.RequestSubmit, CallbackID: handlers.CallbackContain, PrivateMetadata: h.f.ShortID(), UserID: "U0ALICE",
		Values: map[string]string{"action": bot.ActionIsolatePod, "reason": "x"}})
	reqID := h.chat.All()[0].Msg.Blocks[len(h.chat.All()[0].Msg.Blocks)-1].(bot.Actions).Buttons[1].Value
	h.do(t, handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionDeny, Value: reqID, UserID: "U0CAROL"})
	h.do(t, handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionApprove, Value: reqID, UserID: "U0CAROL"})
	if n := h.gke.runs.Load(); n != 0 {
		t.Errorf("a denied request ran %d times", n)
	}
	if e := h.ephemerals(); len(e) != 1 || !strings.Contains(e[0], "already denied") {
		t.Errorf("approving a denied request said %q", e)
	}
}
