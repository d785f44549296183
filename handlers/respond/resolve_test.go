package respond

import (
	"context"
	"strings"
	"testing"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
	"github.com/sccbot/sccbot/playbooks"
)

// stateSetter is SCC as the resolve needs it: the finding goes INACTIVE.
type stateSetter struct{ resolved []string }

func (s *stateSetter) SetMute(_ context.Context, name string, _ bool) (bot.Finding, error) {
	return bot.Finding{Name: name}, nil
}

func (s *stateSetter) SetState(_ context.Context, name string, _ bool) (bot.Finding, error) {
	s.resolved = append(s.resolved, name)
	return bot.Finding{Name: name, State: "INACTIVE"}, nil
}

type markSink struct{ marks map[string]map[string]string }

func (m *markSink) SetMarks(_ context.Context, name string, marks map[string]string) error {
	m.marks[name] = marks
	return nil
}

// resolveHarness is the respond harness whose resolve runs the real SCC
// responder on fakes of SCC, with verdicts in the store and on the card.
func resolveHarness(t *testing.T, rule playbooks.Rule) (*respondHarness, *stateSetter, *markSink) {
	h := newRespondHarness(t, nil)
	sccAPI, marks := &stateSetter{}, &markSink{marks: map[string]map[string]string{}}
	policy := playbooks.NewPolicy(map[string]playbooks.Rule{bot.ActionResolve: rule}, nil)
	resp := playbooks.NewSCCResponder(sccAPI, playbooks.SCCOptions{Stored: h.store, Marks: marks, Verdicts: h.store})
	h.runner = runnerOf(h, policy, resp)
	cards := cardsOf(h)
	h.mux = handlers.NewMux(nil)
	h.flow = NewRespondFlow(h.store, h.chat, h.dialogs, h.runner, policy.Rule,
		func(bot.Finding) []playbooks.Response { return nil }, cards, Options{Feed: h.runner.Feed(), Verdicts: h.store})
	h.flow.Register(h.mux)
	return h, sccAPI, marks
}

// cardsOf are cards on the harness's store and chat.
func cardsOf(h *respondHarness) *handlers.Cards {
	return handlers.NewCards(h.store, h.chat, handlers.CardsOptions{})
}

// runnerOf is a runner on the harness's store whose one responder is resp.
func runnerOf(h *respondHarness, policy *playbooks.Policy, resp bot.Responder) *playbooks.Runner {
	return playbooks.NewRunner(h.store, policy, []bot.Responder{resp}, playbooks.RunnerOptions{})
}

func TestResolveDialogAsksForAVerdict(t *testing.T) {
	h, sccAPI, _ := resolveHarness(t, playbooks.Rule{})
	click := handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionResolve, Value: h.f.ShortID(), UserID: "U0ALICE", TriggerID: "t1"}
	if !h.mux.OpensDialog(click) {
		t.Error("Resolve is not marked as opening a dialog: its trigger could expire behind slow work")
	}
	h.do(t, click)
	if len(h.dialogs.opened) != 1 {
		t.Fatal("Resolve did not open a dialog")
	}
	if len(sccAPI.resolved) != 0 {
		t.Fatal("Resolve acted before the dialog was submitted")
	}
	m := h.dialogs.opened[0]
	verdict := m.Inputs[0]
	if m.CallbackID != handlers.CallbackResolve || verdict.ID != "verdict" || verdict.Kind != bot.InputSelect || verdict.Optional || verdict.Initial != "" {
		t.Errorf("dialog %+v: want a required verdict select with no default", m)
	}
	var got []string
	for _, o := range verdict.Options {
		got = append(got, o.Value)
	}
	if strings.Join(got, ",") != "true_positive,false_positive,benign,duplicate,test" {
		t.Errorf("verdict options %q", got)
	}
	if note := m.Inputs[1]; note.ID != "note" || !note.Optional || note.MaxLength != bot.MaxVerdictNote {
		t.Errorf("note input %+v: want optional, at most %d characters", note, bot.MaxVerdictNote)
	}
	for _, values := range []map[string]string{{}, {"verdict": "maybe"}, {"verdict": "test", "note": strings.Repeat("x", bot.MaxVerdictNote+1)}} {
		if problems := h.mux.Validate(handlers.Request{Kind: handlers.RequestSubmit, CallbackID: handlers.CallbackResolve, Values: values}); len(problems) == 0 {
			t.Errorf("submission %v accepted", values)
		}
	}
	// A forged submission the dialog would refuse does nothing.
	h.do(t, handlers.Request{Kind: handlers.RequestSubmit, CallbackID: handlers.CallbackResolve, PrivateMetadata: h.f.ShortID(),
		UserID: "U0ALICE", Values: map[string]string{"verdict": "maybe"}})
	if len(sccAPI.resolved) != 0 {
		t.Error("a submission without a valid verdict resolved the finding")
	}
}

func TestResolveSubmissionRecordsTheVerdict(t *testing.T) {
	h, sccAPI, marks := resolveHarness(t, playbooks.Rule{})
	hostile := "<!channel> *bold* `x` <http://x|y> \u202eevil"
	h.do(t, handlers.Request{Kind: handlers.RequestSubmit, CallbackID: handlers.CallbackResolve, PrivateMetadata: h.f.ShortID(),
		UserID: "U0ALICE", Values: map[string]string{"verdict": "false_positive", "note": hostile}})
	if len(sccAPI.resolved) != 1 {
		t.Fatalf("finding resolved %d times, want once", len(sccAPI.resolved))
	}
	if got := marks.marks[h.f.Name]; got[bot.MarkVerdict] != "false_positive" || got[bot.MarkVerdictBy] != "U0ALICE" {
		t.Errorf("marks %v", got)
	}
	notes, err := h.flow.presenter.notes(context.Background(), h.f)
	if err != nil {
		t.Fatal(err)
	}
	last := notes[len(notes)-1]
	text := handlerstest.Flatten(bot.Message{Blocks: []bot.Block{bot.Section{Text: last}}})
	if !strings.Contains(text, "Resolved as false positive by") || !strings.Contains(text, ": "+hostile) {
		t.Errorf("card note %q: want the verdict, who and the note", text)
	}
	for _, s := range last {
		if strings.Contains(s.Text, hostile) && (s.URL != "" || s.User != "" || s.Style != 0) {
			t.Errorf("the note travels in a span that is not plain text: %+v", s)
		}
	}
	posts := h.chat.All()
	if len(posts) == 0 || !strings.Contains(handlerstest.Flatten(posts[0].Msg), "requested by  as false positive: "+hostile) {
		t.Errorf("request message does not show the verdict: %+v", posts)
	}
}

// muteRules creates nothing but records what it was asked to create.
type muteRules struct{ created []bot.MuteRule }

func (m *muteRules) CreateMuteRule(_ context.Context, r bot.MuteRule) (string, error) {
	m.created = append(m.created, r)
	return r.Parent + "/muteConfigs/" + r.ID, nil
}

func TestMuteRuleIsShownBeforeItIsRequested(t *testing.T) {
	h := newRespondHarness(t, nil)
	created := &muteRules{}
	propose := func(f bot.Finding) bot.MuteRule {
		return bot.MuteRule{ID: "sccbot-r-1", Parent: "organizations/1/locations/global", Type: bot.MuteRuleDynamic,
			Filter: `category = "<!channel>"`, Description: "d"}
	}
	policy := playbooks.NewPolicy(map[string]playbooks.Rule{bot.ActionMuteRule: {Approval: true, Approvers: []string{"U0BOB"}}}, nil)
	h.runner = runnerOf(h, policy, playbooks.NewMuteRuleResponder(created, propose))
	h.flow = NewRespondFlow(h.store, h.chat, h.dialogs, h.runner, policy.Rule,
		func(bot.Finding) []playbooks.Response { return nil }, cardsOf(h), Options{Feed: h.runner.Feed()})
	ctx := context.Background()
	r := handlers.Request{Kind: handlers.RequestCommand, UserID: "U0ALICE", Channel: "C-gke"}

	if err := h.flow.RequestMuteRule(ctx, r, h.f.ShortID(), ""); err != nil {
		t.Fatal(err)
	}
	h.flow.settle(ctx)
	if e := h.ephemerals(); len(e) != 1 || !strings.Contains(e[0], "not created") || !strings.Contains(e[0], "dynamic") ||
		!strings.Contains(e[0], `filter: category = "<!channel>"`) || !strings.Contains(e[0], "organizations/1/locations/global") {
		t.Errorf("proposal = %q; want the rule shown, not created", e)
	}
	if reqs, _ := h.runner.Requests(ctx, h.f.Name); len(reqs) != 0 {
		t.Fatalf("the proposal made requests: %+v", reqs)
	}
	if err := h.flow.RequestMuteRule(ctx, r, h.f.ShortID(), "CI compiles here"); err != nil {
		t.Fatal(err)
	}
	h.flow.settle(ctx)
	reqs, _ := h.runner.Requests(ctx, h.f.Name)
	if len(reqs) != 1 || reqs[0].Action != bot.ActionMuteRule || reqs[0].State != bot.RequestPending || len(created.created) != 0 {
		t.Errorf("requests %+v, created %+v; want one pending mute_rule request and nothing created", reqs, created.created)
	}
}
