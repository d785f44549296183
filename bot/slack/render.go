// Package slack is sccbot's Slack adapter: the socket-mode connection with
// its ack-first event loop and bounded workers, the decoding of payloads,
// the rendering of neutral messages to Block Kit, and the outbox that
// paces posts the way Slack allows. It is the only package that imports
// slack-go.
package slack

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// Block Kit limits (docs.slack.dev reference, see notes/slack.md 2.4). The
// renderer keeps every message inside them so Slack never rejects a card
// for its content.
const (
	maxBlocks        = 50
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxFields        = 10
	maxHeaderText    = 150
	maxContextItems  = 10
	maxContextText   = 2000
	maxButtons       = 25
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxButtonURL     = 3000
	maxFallbackText  = 3000
	codeFence        = "```"
	truncatedMessage = "⚠️ truncated"
)

// Render turns a neutral message into Block Kit blocks and the escaped
// fallback text. The result always respects Slack's limits.
func Render(m bot.Message) ([]goslack.Block, string) {
	var blocks []goslack.Block
	for _, b := range m.Blocks {
		blocks = append(blocks, renderBlock(b)...)
	}
	if len(blocks) > maxBlocks {
		more := len(blocks) - (maxBlocks - 1)
		blocks = append(blocks[:maxBlocks-1], contextBlock(fmt.Sprintf("_%s: %d more blocks not shown_", truncatedMessage, more)))
	}
	text, _ := cut(escapeText(m.Text, false), maxFallbackText)
	return blocks, text
}

func renderBlock(b bot.Block) []goslack.Block {
	switch b := b.(type) {
	case bot.Header:
		return []goslack.Block{renderHeader(b)}
	case bot.Section:
		return renderSection(b)
	case bot.Code:
		return renderCode(b)
	case bot.Lines:
		return renderLines(b)
	case bot.Context:
		return []goslack.Block{renderContext(b)}
	case bot.Actions:
		return renderActions(b)
	case bot.Divider:
		return []goslack.Block{goslack.NewDividerBlock()}
	}
	return nil
}

func renderHeader(h bot.Header) goslack.Block {
	text := cutPlain(plainText(h.Text), maxHeaderText)
	if strings.TrimSpace(text) == "" {
		text = "(untitled)"
	}
	return goslack.NewHeaderBlock(goslack.NewTextBlockObject(goslack.PlainTextType, text, true, false))
}

// mrkdwn returns a mrkdwn text object. verbatim stops Slack from turning
// bare URLs and #names into links; the only links are the ones we build.
func mrkdwn(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.MarkdownType, s, false, true)
}

func renderSection(s bot.Section) []goslack.Block {
	var text *goslack.TextBlockObject
	var note goslack.Block
	if len(s.Text) > 0 {
		t, cutHere := cut(renderRich(s.Text, true), maxSectionText)
		text = mrkdwn(t)
		if cutHere {
			// Never silent: the reader sees that something is missing.
			note = contextBlock("_" + truncatedMessage + ": this section was too long to show whole_")
		}
	}
	fields := renderFields(s.Fields)
	if text == nil && len(fields) == 0 {
		return nil
	}
	var out []goslack.Block
	first := fields
	if len(first) > maxFields {
		first = fields[:maxFields]
	}
	out = append(out, goslack.NewSectionBlock(text, first, nil))
	for rest := fields[len(first):]; len(rest) > 0; {
		n := min(len(rest), maxFields)
		out = append(out, goslack.NewSectionBlock(nil, rest[:n], nil))
		rest = rest[n:]
	}
	if note != nil {
		out = append(out, note)
	}
	return out
}

func renderFields(fields []bot.Field) []*goslack.TextBlockObject {
	var out []*goslack.TextBlockObject
	for _, f := range fields {
		label := "*" + escapeText(f.Label, false) + "*\n"
		value, _ := cut(renderRich(f.Value, false), maxFieldText-utf8.RuneCountInString(label))
		out = append(out, mrkdwn(label+value))
	}
	return out
}

// renderCode shows text in a code block, cut to the section limit, with a
// visible note whenever anything is missing.
func renderCode(c bot.Code) []goslack.Block {
	body := escapeText(c.Text, true)
	if body == "" {
		body = " "
	}
	budget := maxSectionText - 2*len(codeFence) - 2
	shown, cutHere := cut(body, budget)
	out := []goslack.Block{goslack.NewSectionBlock(mrkdwn(codeFence+"\n"+shown+"\n"+codeFence), nil, nil)}
	var notes []string
	if cutHere {
		total := utf8.RuneCountInString(c.Text)
		notes = append(notes, fmt.Sprintf("showing the first %d of %d characters", utf8.RuneCountInString(shown)-1, total))
	}
	if c.Note != "" {
		notes = append(notes, escapeText(c.Note, false))
	}
	if cutHere || c.Truncated {
		out = append(out, contextBlock("_"+truncatedMessage+": "+strings.Join(notes, "; ")+"_"))
	}
	return out
}

func renderContext(c bot.Context) goslack.Block {
	var elems []goslack.MixedElement
	for i, e := range c.Elements {
		if i == maxContextItems {
			break
		}
		t, _ := cut(renderRich(e, false), maxContextText)
		if t == "" {
			continue
		}
		elems = append(elems, mrkdwn(t))
	}
	return goslack.NewContextBlock("", elems...)
}

func contextBlock(text string) goslack.Block {
	return goslack.NewContextBlock("", mrkdwn(text))
}

func renderActions(a bot.Actions) []goslack.Block {
	var out []goslack.Block
	var row []goslack.BlockElement
	for _, b := range a.Buttons {
		row = append(row, renderButton(b))
		if len(row) == maxButtons {
			out = append(out, goslack.NewActionBlock("", row...))
			row = nil
		}
	}
	if len(row) > 0 {
		out = append(out, goslack.NewActionBlock("", row...))
	}
	return out
}

func renderButton(b bot.Button) *goslack.ButtonBlockElement {
	label := cutPlain(plainText(b.Label), maxButtonText)
	btn := goslack.NewButtonBlockElement(b.ActionID, cutPlain(b.Value, maxButtonValue),
		goslack.NewTextBlockObject(goslack.PlainTextType, label, true, false))
	if u := linkTarget(b.URL); u != "" && len(u) <= maxButtonURL {
		btn.URL = strings.ReplaceAll(u, "&amp;", "&")
	}
	switch b.Style {
	case bot.ButtonPrimary:
		btn.Style = goslack.StylePrimary
	case bot.ButtonDanger:
		btn.Style = goslack.StyleDanger
	}
	return btn
}

// renderRich turns spans into mrkdwn, escaping every span's text.
func renderRich(r bot.Rich, keepNewlines bool) string {
	var b strings.Builder
	for _, s := range r {
		b.WriteString(renderSpan(s, keepNewlines))
	}
	return b.String()
}

func renderSpan(s bot.Span, keepNewlines bool) string {
	if s.Channel != "" {
		if channelID.MatchString(s.Channel) {
			return "<#" + s.Channel + ">"
		}
		return escapeText(s.Channel, false)
	}
	if s.User != "" {
		switch {
		case userID.MatchString(s.User):
			return "<@" + s.User + ">"
		case groupID.MatchString(s.User):
			return "<!subteam^" + s.User + ">"
		}
		return escapeText(s.User, false)
	}
	if s.URL != "" {
		if target := linkTarget(s.URL); target != "" {
			label := escapeLinkText(s.Text)
			if label == "" {
				label = target
			}
			return "<" + target + "|" + label + ">"
		}
	}
	switch s.Style {
	case bot.Bold:
		return wrap(escapeText(s.Text, keepNewlines), "*")
	case bot.Italic:
		return wrap(escapeText(s.Text, keepNewlines), "_")
	case bot.Mono:
		return wrap(escapeText(s.Text, false), "`")
	}
	return escapeText(s.Text, keepNewlines)
}

// userID is what a Slack user id looks like; anything else is shown as
// text.
var (
	userID  = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	groupID = regexp.MustCompile(`^S[A-Z0-9]{2,20}$`)
	// channelID: public (C), private (G) and direct (D) conversations.
	channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`)
)

// wrap puts formatting marks around the text but outside its surrounding
// spaces, where Slack would not recognise them.
func wrap(s, mark string) string {
	inner := strings.TrimSpace(s)
	if inner == "" {
		return s
	}
	lead := s[:strings.Index(s, inner)]
	trail := s[len(lead)+len(inner):]
	return lead + mark + inner + mark + trail
}
