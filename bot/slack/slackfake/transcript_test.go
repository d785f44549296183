package slackfake_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

// TestTranscript proves the plain-text rendering of a finding card, its
// edit, metadata, thread reply and an ephemeral message: headers, fields as
// "Label: value", links, buttons, context, and decoded entities (escaped
// attacker text shows as typed, not as a mention).
func TestTranscript(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	mrkdwn := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Execution: Built in Malicious Binary Executed")),
		slack.NewSectionBlock(mrkdwn("Process `/tmp/x` ran &lt;!channel&gt; &amp; more. <https://console.cloud.google.com/x?a=1&amp;b=2|Open in console>"),
			[]*slack.TextBlockObject{mrkdwn("*Severity*\nHIGH"), mrkdwn("*Project*\ndemo-prod")}, nil),
		slack.NewDividerBlock(),
		slack.NewContextBlock("", mrkdwn("Cloud Run · <@U1> acked"), plain("1 & 2")),
		slack.NewActionBlock("actions",
			button("finding.related", "Related findings", "1"),
			button("finding.attack", "MITRE T1059", "2").WithURL("https://attack.mitre.org/techniques/T1059/")),
	}
	meta := slack.SlackMetadata{EventType: "scc_finding", EventPayload: map[string]any{"name": "f1"}}
	_, ts, err := api.PostMessageContext(ctx, "#secops", slack.MsgOptionText("fallback", false),
		slack.MsgOptionBlocks(blocks...), slack.MsgOptionMetadata(meta))
	if err != nil {
		t.Fatal(err)
	}
	id := f.ChannelID("#secops")
	if _, _, _, err := api.UpdateMessageContext(ctx, id, ts, slack.MsgOptionBlocks(blocks[:2]...)); err != nil {
		t.Fatal(err)
	}
	_, reply, err := api.PostMessageContext(ctx, id, slack.MsgOptionText("U1 stopped the container", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, id, "U2", slack.MsgOptionText("Only approvers can contain", false)); err != nil {
		t.Fatal(err)
	}
	eph := f.Ephemerals(id, "U2")[0].TS
	want := strings.Join([]string{
		"== #secops (" + id + ") ==",
		"--- " + ts + " (edited 1x) [scc_finding] ---",
		"# Execution: Built in Malicious Binary Executed",
		"Process `/tmp/x` ran <!channel> & more. Open in console <https://console.cloud.google.com/x?a=1&b=2>",
		"Severity: HIGH",
		"Project: demo-prod",
		"    --- reply " + reply + " ---",
		"    U1 stopped the container",
		"--- " + eph + " ephemeral to U2 ---",
		"Only approvers can contain",
		"",
	}, "\n")
	if diff := cmp.Diff(want, f.Transcript("#secops")); diff != "" {
		t.Errorf("transcript (-want +got):\n%s", diff)
	}
	if _, _, err := api.PostMessageContext(ctx, "#secops", slack.MsgOptionBlocks(blocks[2:]...)); err != nil {
		t.Fatal(err)
	}
	last := f.Messages("#secops")[1].TS
	if got, want := f.Transcript(id), strings.Join([]string{
		"--- " + last + " ---",
		"----------",
		"~ Cloud Run · @U1 acked | 1 & 2",
		"[Related findings] (finding.related)  [MITRE T1059] -> https://attack.mitre.org/techniques/T1059/",
	}, "\n"); !strings.Contains(got, want) {
		t.Errorf("transcript lacks\n%s\ngot:\n%s", want, got)
	}
}
