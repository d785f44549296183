package main

import (
	"context"
	"strings"
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
	posted := findingCards(t, h.fakes.slack, "C0SECOPSGKE", cards)
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

// findingCards waits for n top-level messages in channel that are finding
// cards (they carry the Contain… button), skipping any other message the
// bot posts there, and returns the first n.
func findingCards(t *testing.T, slack *slackfake.Server, channel string, n int) []slackfake.Message {
	t.Helper()
	ctx := testContext(t)
	for k := n; ; {
		msgs, err := slack.WaitMessages(ctx, channel, k)
		if err != nil {
			t.Fatal(err)
		}
		var cards []slackfake.Message
		for _, m := range msgs {
			if strings.Contains(string(m.Blocks), `"action_id":"`+handlers.ActionContain+`"`) {
				cards = append(cards, m)
			}
		}
		if len(cards) >= n {
			return cards[:n]
		}
		k = len(msgs) + 1
	}
}
