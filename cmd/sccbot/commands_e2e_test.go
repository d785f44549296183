package main

import (
	"path"
	"strings"
	"testing"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// slash types /finding text as user in channel and returns the answer
// sent to the command's response_url. The ack carries nothing: Slack
// shows nothing until the answer comes.
func (h *respondHarness) slash(text, user, channel string) slackfake.Response {
	h.t.Helper()
	ctx := testContext(h.t)
	p := h.fakes.slack.SlashCommandPayload(slackfake.SlashCommand{Text: text, UserID: user, Channel: channel})
	id := path.Base(p["response_url"].(string))
	ack, err := h.fakes.slack.SendAndWaitAck(ctx, "slash_commands", p)
	if err != nil {
		h.t.Fatalf("/finding %s not acked: %v", text, err)
	}
	if len(ack.Payload) > 0 && string(ack.Payload) != "{}" && string(ack.Payload) != "null" {
		h.t.Errorf("/finding %s acked with a payload %s; answers go to the response_url", text, ack.Payload)
	}
	rs, err := h.fakes.slack.WaitResponses(ctx, id, 1)
	if err != nil {
		h.t.Fatalf("/finding %s: no answer: %v", text, err)
	}
	if rs[0].ResponseType == "in_channel" {
		h.t.Errorf("/finding %s answered in the channel; answers are for the person", text)
	}
	return rs[0]
}

func TestE2ESlashCommands(t *testing.T) {
	t.Parallel()
	h := newRespondHarness(t, false)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	name := findingName(t, sccfake.SeedGKECompiler)
	id := name[strings.LastIndex(name, "/")+1:]
	ch := card.Channel
	ask := func(text string, wants ...string) slackfake.Response {
		t.Helper()
		r := h.slash(text, alice, ch)
		wantAll(t, "/finding "+text, r.Text+"\n"+texts(t, slackfake.Message{Blocks: r.Blocks})+"\n"+string(r.Blocks), wants...)
		return r
	}
	ask("help", "show &lt;id&gt;", "list [filters]", "silence list")
	ask("frobnicate", "frobnicate", "help")
	for _, hostile := range []string{"show <!channel>", "list project=<https://evil.example|x>", "related <!here>"} {
		r := h.slash(hostile, alice, ch)
		if raw := r.Text + string(r.Blocks); strings.Contains(raw, "<!channel>") || strings.Contains(raw, "<!here>") ||
			strings.Contains(raw, "<https://evil") {
			t.Errorf("/finding %s answered with live markup: %s", hostile, raw)
		}
	}
	ask("list severity>=HIGH", "No findings match")
	ask("list severity=LOW since=7d product=gke", "1 finding match", id)
	ask("related "+id, "No other findings on cluster prod-cluster")
	ask("logs "+id, "Open in Logs Explorer")
	ask("mitre T1027.004", "Compile After Delivery", "The MITRE Corporation")
	ask("mitre compile-after-delivery", "T1027.004")
	ask("stats", "posted as cards: 1", "LOW 1")
	ask("digest", "last 24 hours")

	ask("show "+id, "Launch Code Compiler Tool In Container", "finding.share", "<#"+ch+">", "Only you can see this")
	share := h.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: alice, Channel: ch, ActionID: "finding.share", Value: id})
	if _, err := h.fakes.slack.SendAndWaitAck(testContext(t), "interactive", share); err != nil {
		t.Fatal(err)
	}
	if cards := h.waitCards("#secops-gke", 2); !strings.Contains(string(cards[1].Blocks), "Launch Code Compiler") {
		t.Errorf("shared card: %s", cards[1].Blocks)
	}

	ask("ack "+id, "You acknowledged")
	h.edited(card, "Acknowledged by <@U0ALICE>")
	ask("ack "+id, "You already acknowledged it")

	ask("mute "+id+" expected: CI compiles here <!here>", "requested")
	req := h.reply(card, "CI compiles here")
	if strings.Contains(req.Text+string(req.Blocks), "<!here>") {
		t.Errorf("the mute request shows the reason's <!here> live: %s", req.Blocks)
	}
	h.press(req, "approval.approve", bob)
	h.edited(req, "✅")
	if f, _ := h.fakes.scc.Finding(name); f.GetMute() != securitycenterpb.Finding_MUTED {
		t.Errorf("mute after approval = %v", f.GetMute())
	}
	ask("unmute "+id, "Unmuted")
	if f, _ := h.fakes.scc.Finding(name); f.GetMute() != securitycenterpb.Finding_UNMUTED {
		t.Errorf("mute after unmute = %v", f.GetMute())
	}

	created := ask(`silence namespace=ci* for=2h nightly build`, "created until")
	silenceID := strings.Fields(strings.TrimPrefix(created.Text, "Silence "))[0]
	ask("silence list", "1 active silence", silenceID, "nightly build")
	ask("silence remove "+silenceID, "Removed silence")
	ask("silence list", "No silences are active")
	wantAudit(t, h.audit(name), "acknowledged U0ALICE ack", "requested U0ALICE mute", "approved U0BOB mute", "started sccbot mute",
		"succeeded sccbot mute", "unmuted U0ALICE mute")
}
