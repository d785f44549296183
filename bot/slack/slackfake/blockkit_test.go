package slackfake_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func repeatBlocks(n int) []slack.Block {
	out := make([]slack.Block, n)
	for i := range out {
		out[i] = slack.NewDividerBlock()
	}
	return out
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func button(actionID, label, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plain(label))
}

func fields(n, size int) []*slack.TextBlockObject {
	out := make([]*slack.TextBlockObject, n)
	for i := range out {
		out[i] = slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("f", size), false, false)
	}
	return out
}

func elements(n int) []slack.BlockElement {
	out := make([]slack.BlockElement, n)
	for i := range out {
		out[i] = button(fmt.Sprint("a", i), "Go", "v")
	}
	return out
}

func contextElements(n int) []slack.MixedElement {
	out := make([]slack.MixedElement, n)
	for i := range out {
		out[i] = plain("c")
	}
	return out
}

// TestBlockKitLimits proves the fake rejects what Slack rejects, through the
// real client, with invalid_blocks and a reason that names the limit, and
// accepts content exactly at each limit (counted in characters).
func TestBlockKitLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) } // 2 bytes, 1 character
	withButton := func(b *slack.ButtonBlockElement) []slack.Block {
		return []slack.Block{slack.NewActionBlock("actions", b)}
	}
	cases := []struct {
		name   string
		blocks []slack.Block
		text   string
		want   string // "" means accepted; else the error code
		reason string // part of the first reason
	}{
		{"50 blocks", repeatBlocks(50), "", "", ""},
		{"51 blocks", repeatBlocks(51), "", "invalid_blocks", "no more than 50 items"},
		{"section 3000", []slack.Block{section(long(3000))}, "", "", ""},
		{"section 3001", []slack.Block{section(long(3001))}, "", "invalid_blocks", "less than 3001 characters"},
		{"empty section text", []slack.Block{section("")}, "x", "invalid_blocks", "more than 0 characters"},
		{"11 fields", []slack.Block{slack.NewSectionBlock(nil, fields(11, 1), nil)}, "", "invalid_blocks", "no more than 10"},
		{"field 2001", []slack.Block{slack.NewSectionBlock(nil, fields(1, 2001), nil)}, "", "invalid_blocks", "less than 2001"},
		{"header 150", []slack.Block{slack.NewHeaderBlock(plain(long(150)))}, "", "", ""},
		{"header 151", []slack.Block{slack.NewHeaderBlock(plain(long(151)))}, "", "invalid_blocks", "less than 151"},
		{"mrkdwn header", []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject("mrkdwn", "h", false, false))}, "", "invalid_blocks", "must be plain_text"},
		{"unknown text type", []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject("markdown", "x", false, false), nil, nil)}, "", "invalid_blocks", "plain_text, mrkdwn"},
		{"11 context elements", []slack.Block{slack.NewContextBlock("", contextElements(11)...)}, "", "invalid_blocks", "no more than 10"},
		{"26 actions", []slack.Block{slack.NewActionBlock("", elements(26)...)}, "", "invalid_blocks", "no more than 25"},
		{"button text 76", withButton(button("a", long(76), "v")), "", "invalid_blocks", "less than 76"},
		{"action_id 256", withButton(button(long(256), "Go", "v")), "", "invalid_blocks", "less than 256"},
		{"value 2001", withButton(button("a", "Go", long(2001))), "", "invalid_blocks", "less than 2001"},
		{"url 3001", withButton(button("a", "Go", "v").WithURL("https://x/" + long(2991))), "", "invalid_blocks", "less than 3001"},
		{"block_id 256", []slack.Block{slack.NewActionBlock(long(256), button("a", "Go", "v"))}, "", "invalid_blocks", "less than 256"},
		{"duplicate action_id", []slack.Block{slack.NewActionBlock("", button("finding.ack", "Ack", "1"), button("finding.ack", "Ack", "2"))}, "", "invalid_blocks", `duplicate action_id "finding.ack"`},
		{"text 40001", nil, long(40001), "msg_too_long", ""},
		{"nothing", nil, "", "no_text", ""},
	}
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := []slack.MsgOption{slack.MsgOptionText(tc.text, false)}
			if tc.blocks != nil {
				opts = append(opts, slack.MsgOptionBlocks(tc.blocks...))
			}
			_, _, err := api.PostMessageContext(ctx, "C1", opts...)
			e, _ := slackErr(err)
			if e.Err != tc.want {
				t.Fatalf("post = %v, want error %q", err, tc.want)
			}
			if tc.reason == "" {
				return
			}
			if len(e.Errors) == 0 || e.Errors[0].Message == nil || !strings.Contains(*e.Errors[0].Message, tc.reason) {
				t.Errorf("errors = %v, want a reason containing %q", e.Errors, tc.reason)
			}
		})
	}
	if n := len(f.Messages("C1")); n != 3 {
		t.Errorf("stored %d messages, want the 3 accepted ones", n)
	}
}

// TestBlocksNotJSON proves a blocks parameter that is not a JSON array is
// answered like Slack (invalid_blocks_format), using a raw form post since
// slack-go always sends valid JSON.
func TestBlocksNotJSON(t *testing.T) {
	f := newFake(t)
	form := url.Values{"token": {f.BotToken()}, "channel": {"C1"}, "blocks": {`[{"type":`}}
	resp, err := http.PostForm(f.URL()+"chat.postMessage", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	calls := f.Calls("chat.postMessage")
	if len(calls) != 1 || calls[0].Error != "invalid_blocks_format" || calls[0].Status != http.StatusOK {
		t.Errorf("calls = %+v, want one answered 200 invalid_blocks_format", calls)
	}
}
