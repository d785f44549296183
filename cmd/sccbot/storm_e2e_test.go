package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// burst returns n notifications of the GKE seed on pods pod-0..pod-(pods-1):
// the same category, cluster and image, so they share a group key.
func burst(t *testing.T, n, pods int, at time.Time) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for i := range out {
		raw := sccfake.WithFindingID(seed(t, sccfake.SeedGKECompiler), fmt.Sprintf("b%031x", i))
		raw = sccfake.WithEventTime(raw, at.Add(time.Duration(i)*100*time.Millisecond))
		out[i] = withPod(t, raw, fmt.Sprintf("checkout-%d", i%pods))
	}
	return out
}

func withPod(t *testing.T, raw []byte, pod string) []byte {
	t.Helper()
	var msg map[string]any
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatal(err)
	}
	finding := msg["finding"].(map[string]any)
	finding["kubernetes"].(map[string]any)["pods"].([]any)[0].(map[string]any)["name"] = pod
	finding["sourceProperties"].(map[string]any)["Pod_Name"] = pod
	out, _ := json.Marshal(msg)
	return out
}

func TestE2EBurstIsOneLiveCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), "grouping:\n  window: 10m\n"))
	msgs := burst(t, 60, 6, time.Now().Add(-time.Minute))
	for _, raw := range msgs {
		h.fakes.publish(raw)
	}
	ctx := testContext(t)
	card := h.waitCards("#secops-gke", 1)[0]
	edited, err := h.fakes.slack.WaitEdits(ctx, card.Channel, card.TS, 1)
	for err == nil && !strings.Contains(string(edited.Blocks), "×60") {
		edited, err = h.fakes.slack.WaitEdits(ctx, card.Channel, card.TS, edited.Edits+1)
	}
	if err != nil {
		t.Fatalf("the card never showed the whole burst: %v\n%s", err, h.fakes.slack.Transcript(card.Channel))
	}
	wantAll(t, "group card", texts(t, edited), "60 findings", "Pods (6)", "payments/checkout-5")
	// The lister puts the other 59 in the thread (it runs every 10 s). A
	// tick may fall while the burst is still joining, so the listing can
	// take more than one message. Which finding opened the group depends
	// on delivery order; it is on the card and not in the list.
	var missing []int
	for n := 1; ; n++ {
		replies, err := h.fakes.slack.WaitThread(ctx, card.Channel, card.TS, n)
		if err != nil {
			t.Fatalf("findings %v never listed in the thread: %v", missing, err)
		}
		missing = unlisted(t, replies, 60)
		if len(missing) <= 1 {
			break
		}
	}
	if len(missing) != 1 || !strings.Contains(string(edited.Blocks), fmt.Sprintf("b%031x", missing[0])) {
		t.Errorf("unlisted findings %v; want exactly the one on the card", missing)
	}
	if n := len(h.cards("#secops-gke")); n != 1 {
		t.Errorf("%d cards for one burst, want 1", n)
	}
}

func TestE2ELifecycleUpdatesTheCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	raw := seed(t, sccfake.SeedGKECompiler)
	h.fakes.publish(raw)
	card := h.waitCards("#secops-gke", 1)[0]
	inactive := strings.Replace(string(raw), `"state": "ACTIVE"`, `"state": "INACTIVE"`, 1)
	if inactive == string(raw) {
		t.Fatal("could not change the seed's state")
	}
	h.waitAcked(h.fakes.publish([]byte(inactive)))
	h.waitAcked(h.fakes.publish([]byte(inactive))) // redelivered: nothing more
	ctx := testContext(t)
	edited, err := h.fakes.slack.WaitEdits(ctx, card.Channel, card.TS, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantAll(t, "updated card", texts(t, edited), "INACTIVE")
	notes := h.fakes.slack.Thread(card.Channel, card.TS)
	if len(notes) != 1 || !strings.Contains(texts(t, notes[0]), "state ACTIVE → INACTIVE") {
		t.Errorf("thread = %d notes, want one saying the state changed", len(notes))
	}
	if n := len(h.cards("#secops-gke")); n != 1 {
		t.Errorf("%d cards, want the change shown on the existing card only", n)
	}
}

func TestE2ESilenceFromTheCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	ctx := testContext(t)
	p := h.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: "U0ALICE", Channel: card.Channel, MessageTS: card.TS, ActionID: "finding.silence"})
	if _, err := h.fakes.slack.SendAndWaitAck(ctx, "interactive", p); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fakes.slack.WaitCalls(ctx, "views.open", 1); err != nil {
		t.Fatal(err)
	}
	view := h.fakes.slack.Views()[0]
	// Without a reason the dialog stays open with the error.
	empty := h.fakes.slack.ViewSubmissionPayload(slackfake.ViewSubmission{UserID: "U0ALICE", ViewID: view.ID,
		Values: map[string]map[string]string{"scope": {"scope": "similar"}, "duration": {"duration": "4h"}, "reason": {"reason": " "}}})
	ack, err := h.fakes.slack.SendAndWaitAck(ctx, "interactive", empty)
	if err != nil || !strings.Contains(string(ack.Payload), `"response_action":"errors"`) {
		t.Fatalf("submission without a reason acked with %s (%v), want errors", ack.Payload, err)
	}
	ok := h.fakes.slack.ViewSubmissionPayload(slackfake.ViewSubmission{UserID: "U0ALICE", ViewID: view.ID,
		Values: map[string]map[string]string{"scope": {"scope": "similar"}, "duration": {"duration": "4h"}, "reason": {"reason": "known build step"}}})
	if _, err := h.fakes.slack.SendAndWaitAck(ctx, "interactive", ok); err != nil {
		t.Fatal(err)
	}
	notes, err := h.fakes.slack.WaitThread(ctx, card.Channel, card.TS, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantAll(t, "silence note", texts(t, notes[0]), "silenced findings matching", "category=Defense Evasion", "known build step")
	// A similar finding is now recorded but not posted.
	h.waitAcked(h.fakes.publish(sccfake.WithFindingID(seed(t, sccfake.SeedGKECompiler), "5ae5ae5ae5ae5ae5ae5ae5ae5ae5ae5")))
	if n := len(h.cards("#secops-gke")); n != 1 {
		t.Errorf("%d cards, want the similar finding silenced", n)
	}
	if n := counterSum(h.reg, "sccbot_findings_silenced_total"); n != 1 {
		t.Errorf("sccbot_findings_silenced_total = %v, want 1", n)
	}
	// Remove it from the thread: the next similar finding is posted.
	rm := h.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: "U0BOB", Channel: card.Channel, MessageTS: notes[0].TS, ActionID: "silence.remove"})
	if _, err := h.fakes.slack.SendAndWaitAck(ctx, "interactive", rm); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fakes.slack.WaitThread(ctx, card.Channel, card.TS, 2); err != nil {
		t.Fatal(err)
	}
	h.fakes.publish(sccfake.WithFindingID(seed(t, sccfake.SeedGKECompiler), "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"))
	h.waitCards("#secops-gke", 2)
}

// unlisted returns which of the burst's n findings no thread reply lists.
func unlisted(t *testing.T, replies []slackfake.Message, n int) []int {
	t.Helper()
	var listed strings.Builder
	for _, r := range replies {
		listed.WriteString(strings.Join(mrkdwnTexts(t, r), "\n"))
	}
	var missing []int
	for i := range n {
		if !strings.Contains(listed.String(), fmt.Sprintf("b%031x", i)) {
			missing = append(missing, i)
		}
	}
	return missing
}
