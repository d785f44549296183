package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/handlers"
)

// requireReason is a Validate hook like the containment dialog's: the
// reason is required and must say something.
func requireReason(r handlers.Request) map[string]string {
	if r.CallbackID == "finding.contain" && strings.TrimSpace(r.Values["reason"]) == "" {
		return map[string]string{"reason": "Say why <!channel> this is needed."}
	}
	return nil
}

// openContainView opens the containment dialog on the fake, as the
// handler would, and returns its view id.
func openContainView(t *testing.T, f *slackfake.Server) string {
	t.Helper()
	api := goslack.New(f.BotToken(), goslack.OptionAPIURL(f.URL()))
	resp, err := api.OpenViewContext(ctxT(t), freshTrigger(t, f), RenderModal(containModal()))
	if err != nil {
		t.Fatal(err)
	}
	return resp.View.ID
}

func submit(viewID, reason string) slackfake.ViewSubmission {
	return slackfake.ViewSubmission{UserID: "U0ALICE", ViewID: viewID, Values: map[string]map[string]string{
		"action": {"action": "isolate_pod"}, "reason": {"reason": reason}, "mode": {"mode": "live"},
	}}
}

// TestBotValidatesSubmissionInTheAck proves an invalid submission is
// answered with response_action errors in the ack and never dispatched,
// and a valid one gets an empty ack (the dialog closes) and is dispatched
// with its values keyed by input id.
func TestBotValidatesSubmissionInTheAck(t *testing.T) {
	h := startBot(t, newRecorder(), BotOptions{Workers: 1, Validate: requireReason,
		AppID: slackfake.AppID, TeamID: slackfake.TeamID})
	ctx := ctxT(t)
	view := openContainView(t, h.fake)

	ack, err := h.fake.SendAndWaitAck(ctx, "interactive", h.fake.ViewSubmissionPayload(submit(view, "  ")))
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(ack.Payload, &got); err != nil {
		t.Fatalf("ack payload %q: %v", ack.Payload, err)
	}
	want := map[string]any{"response_action": "errors", "errors": map[string]any{"reason": "Say why ‹!channel› this is needed."}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors ack (-want +got):\n%s", diff)
	}

	ack, err = h.fake.SendAndWaitAck(ctx, "interactive", h.fake.ViewSubmissionPayload(submit(view, "crypto miner")))
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Payload) != 0 {
		t.Errorf("valid submission acked with payload %s, want none", ack.Payload)
	}
	// One worker serves in order: had the invalid submission been queued,
	// it would come first.
	r := waitReq(t, h.rec.seen)
	wantValues := map[string]string{"action": "isolate_pod", "reason": "crypto miner", "mode": "live"}
	if r.EnvelopeID != ack.EnvelopeID || r.Kind != handlers.RequestSubmit || r.CallbackID != "finding.contain" ||
		r.PrivateMetadata != "req_7f3a9c2e" || r.UserID != "U0ALICE" {
		t.Errorf("dispatched %+v, want the valid submission", r)
	}
	if diff := cmp.Diff(wantValues, r.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	_ = h.stop()
	if n := len(h.rec.reqs); n != 1 {
		t.Errorf("%d requests dispatched, want only the valid one", n)
	}
}

// TestBotValidatePanicDispatches proves a panicking validator neither
// kills the loop nor loses the submission: it is acked and dispatched for
// the handler to check.
func TestBotValidatePanicDispatches(t *testing.T) {
	h := startBot(t, newRecorder(), BotOptions{Validate: func(handlers.Request) map[string]string { panic("bug") }})
	ctx := ctxT(t)
	ack, err := h.fake.SendAndWaitAck(ctx, "interactive", h.fake.ViewSubmissionPayload(submit(openContainView(t, h.fake), "")))
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Payload) != 0 {
		t.Errorf("ack payload %s, want none", ack.Payload)
	}
	if r := waitReq(t, h.rec.seen); r.EnvelopeID != ack.EnvelopeID {
		t.Errorf("dispatched %+v", r)
	}
}

// TestBotRefusedSubmissionIsNotValidated proves a submission from another
// app is acked without errors and neither validated nor dispatched.
func TestBotRefusedSubmissionIsNotValidated(t *testing.T) {
	called := make(chan struct{}, 1)
	h := startBot(t, newRecorder(), BotOptions{AppID: "A0OTHER", Validate: func(handlers.Request) map[string]string {
		called <- struct{}{}
		return map[string]string{"reason": "x"}
	}})
	ack, err := h.fake.SendAndWaitAck(ctxT(t), "interactive", h.fake.ViewSubmissionPayload(submit("V0NONE", "")))
	if err != nil {
		t.Fatal(err)
	}
	_ = h.stop()
	if len(ack.Payload) != 0 || len(called) != 0 || len(h.rec.reqs) != 0 {
		t.Errorf("ack payload %s, validated %d, dispatched %d; want a bare ack only", ack.Payload, len(called), len(h.rec.reqs))
	}
}

func TestErrorsAckLimits(t *testing.T) {
	errs := map[string]string{
		"":                       "dropped: no block id",
		strings.Repeat("k", 256): "dropped: too long for a block id",
		"blank":                  "\u202e",
		"long":                   strings.Repeat("é<", 1000),
		strings.Repeat("a", 255): "kept",
	}
	resp := errorsAck(errs)
	if resp == nil || resp.ResponseAction != goslack.RAErrors {
		t.Fatalf("errorsAck = %+v", resp)
	}
	if len(resp.Errors) != 3 || resp.Errors["blank"] == "" {
		t.Errorf("errors = %v, want the three with valid keys, none blank", resp.Errors)
	}
	if m := resp.Errors["long"]; utf8.RuneCountInString(m) > maxErrorText || strings.Contains(m, "<") {
		t.Errorf("long message not cut or not sanitized: %d chars", utf8.RuneCountInString(m))
	}
	huge := map[string]string{}
	for i := range 200 {
		huge[strings.Repeat("k", 200)+string(rune('A'+i%26))+strings.Repeat("z", i/26)] = strings.Repeat("m", 1000)
	}
	raw, _ := json.Marshal(errorsAck(huge))
	if len(raw) > maxErrorsBytes+1024 {
		t.Errorf("errors ack is %d bytes, budget %d", len(raw), maxErrorsBytes)
	}
	if errorsAck(map[string]string{"": "x"}) != nil {
		t.Error("an ack with no showable error must be nil")
	}
}
