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

// evidenceStub carries out collect_evidence with a fixed result.
type evidenceStub struct{}

func (evidenceStub) Actions() []string { return []string{bot.ActionCollectEvidence} }

func (evidenceStub) Preview(bot.Finding, string) ([]string, error) {
	return []string{"copies the binary"}, nil
}

func (evidenceStub) Execute(context.Context, bot.Finding, string, bool) (bot.ActionResult, error) {
	return bot.ActionResult{Summary: "Evidence kept: binary 1.0 MiB, SHA-256 ✅ matches the finding",
		Links: []bot.ResultLink{{Label: "Manifest", URL: "gs://ev/evidence/x/manifest.json"},
			{Label: "VirusTotal", URL: "https://www.virustotal.com/gui/file/ab"}}}, nil
}

// Collect evidence is a card button when enabled; Delete with
// require_evidence is refused with the button until it has run, then
// goes through; the outcome shows the manifest and VirusTotal links.
func TestCollectEvidenceButtonAndRequiredEvidence(t *testing.T) {
	h := newRespondHarness(t, nil)
	rules := map[string]playbooks.Rule{bot.ActionCollectEvidence: {}, bot.ActionDeletePod: {RequireEvidence: true}}
	policy := playbooks.NewPolicy(rules, nil)
	runner := playbooks.NewRunner(h.store, policy, []bot.Responder{h.gke, evidenceStub{}}, playbooks.RunnerOptions{})
	fits := func(bot.Finding) []playbooks.Response {
		return []playbooks.Response{{Action: bot.ActionCollectEvidence}, {Action: bot.ActionDeletePod, Suggested: true}}
	}
	flow := NewRespondFlow(h.store, h.chat, h.dialogs, runner, policy.Rule, fits, handlers.NewCards(h.store, h.chat, handlers.CardsOptions{}),
		Options{Feed: runner.Feed()})
	h.mux, h.flow = handlers.NewMux(nil), flow
	flow.Register(h.mux)

	if b := flow.buttons(h.f); len(b) < 2 || b[0].ActionID != handlers.ActionEvidence || b[1].ActionID != handlers.ActionContain {
		t.Fatalf("card buttons = %+v, want Collect evidence first", b)
	}
	submitDelete := handlers.Request{Kind: handlers.RequestSubmit, CallbackID: handlers.CallbackContain, PrivateMetadata: h.f.ShortID(),
		UserID: "U0ALICE", Values: map[string]string{"action": bot.ActionDeletePod, "reason": "remove it"}}
	h.do(t, submitDelete)
	if e := h.ephemerals(); len(e) != 1 || !strings.Contains(e[0], "requires evidence") || !strings.Contains(e[0], "[Collect evidence]") {
		t.Fatalf("refusal = %q, want the reason and the button", e)
	}
	if n := h.gke.runs.Load(); n != 0 {
		t.Fatalf("delete ran %d times without evidence", n)
	}
	h.do(t, handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionEvidence, Value: h.f.ShortID(), UserID: "U0ALICE"})
	text := ""
	for _, p := range h.chat.All() {
		text += handlerstest.Flatten(p.Msg)
	}
	for _, want := range []string{"matches the finding", "gs://ev/evidence/x/manifest.json",
		"VirusTotal <https://www.virustotal.com/gui/file/ab>"} {
		if !strings.Contains(text, want) {
			t.Errorf("thread lacks %q:\n%s", want, text)
		}
	}
	h.do(t, submitDelete)
	if n := h.gke.runs.Load(); n != 1 {
		t.Errorf("delete ran %d times after evidence, want 1", n)
	}
}
