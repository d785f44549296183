package main

import (
	"context"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/handlers"
)

// TestE2EDialogsOpenUnderLoad: 100 clicks arrive at once while SCC and
// Cloud Logging take 2 s a call; a quarter of them open a dialog
// (Contain…, Mute…, Silence…). Slack's trigger lives 3 s (the fake rejects
// an older one with expired_trigger_id), so every dialog must be served
// ahead of the 75 slow investigations that fill every worker.
func TestE2EDialogsOpenUnderLoad(t *testing.T) {
	h := newRespondHarness(t, false)
	ctx := testContext(t)
	const cards = 25
	for _, raw := range payloads(t, 3*cards) {
		h.fakes.publish(raw)
	}
	posted, err := h.fakes.slack.WaitMessages(ctx, "C0SECOPSGKE", cards)
	if err != nil {
		t.Fatal(err)
	}
	h.fakes.scc.SetLatency("ListFindings", 2*time.Second)
	h.fakes.logging.SetLatency(2 * time.Second)

	dialogs := []string{handlers.ActionContain, handlers.ActionMute, handlers.ActionSilence}
	slow := []string{handlers.ActionRelated, handlers.ActionLogs}
	var ids []string
	wantViews := 0
	for i := range 100 {
		card := posted[i%cards]
		action := slow[i%len(slow)]
		if i%4 == 3 {
			action = dialogs[wantViews%len(dialogs)]
			wantViews++
		}
		p := h.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: alice, Channel: card.Channel,
			MessageTS: card.TS, ActionID: action})
		id, err := h.fakes.slack.Send(ctx, "interactive", p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if _, err := h.fakes.slack.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	calls, err := h.fakes.slack.WaitCalls(wctx, "views.open", wantViews)
	if err != nil {
		t.Fatalf("%d views.open calls, want %d: %v", len(h.fakes.slack.Calls("views.open")), wantViews, err)
	}
	failed := 0
	for _, c := range calls {
		if c.Error != "" {
			failed++
			t.Errorf("views.open answered %s", c.Error)
		}
	}
	t.Logf("%d dialogs requested, %d opened, %d failed", wantViews, len(calls)-failed, failed)
	if len(h.fakes.slack.Views()) != wantViews {
		t.Errorf("%d views open, want %d", len(h.fakes.slack.Views()), wantViews)
	}
}
