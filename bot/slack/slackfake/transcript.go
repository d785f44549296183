package slackfake

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Transcript renders what a channel (ID or "#name") shows as plain text:
// each message with its blocks, its thread replies indented, then the
// ephemeral messages users saw there. Block Kit is flattened: a header is
// "# Title", fields are "Label: value", buttons are "[Label] (action_id)"
// or "[Label] -> url", links are "text <url>", and Slack's &amp; &lt; &gt;
// are decoded in mrkdwn as Slack displays them.
func (s *Server) Transcript(channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.dir.lookup(channel)
	top := s.store.topLevel(id)
	var b strings.Builder
	fmt.Fprintf(&b, "== %s ==\n", s.dir.channelLabel(id))
	for _, m := range top {
		writeMessage(&b, m, "")
		s.writeFiles(&b, m, "")
		for _, r := range s.store.replies(id, m.TS) {
			writeMessage(&b, r, "    ")
			s.writeFiles(&b, r, "    ")
		}
	}
	for _, e := range s.store.ephemerals {
		if e.Channel == id {
			fmt.Fprintf(&b, "--- %s ephemeral to %s ---\n", e.TS, e.User)
			writeLines(&b, "", renderContent(e.Text, e.Blocks))
		}
	}
	return b.String()
}

// TranscriptAll renders every channel that received messages, in the order
// of their first message.
func (s *Server) TranscriptAll() string {
	var b strings.Builder
	for _, ch := range s.Channels() {
		b.WriteString(s.Transcript(ch))
		b.WriteString("\n")
	}
	return b.String()
}

func writeMessage(b *strings.Builder, m *message, indent string) {
	head := "--- " + m.TS
	if m.IsReply() {
		head = "--- reply " + m.TS
	}
	if m.Edits > 0 {
		head += fmt.Sprintf(" (edited %dx)", m.Edits)
	}
	if len(m.Metadata) > 0 {
		var meta struct {
			EventType string `json:"event_type"`
		}
		_ = json.Unmarshal(m.Metadata, &meta)
		head += " [" + meta.EventType + "]"
	}
	for _, r := range m.Reactions {
		head += " :" + r + ":"
	}
	writeLines(b, indent, []string{head + " ---"})
	writeLines(b, indent, renderContent(m.Text, m.Blocks))
}

// writeFiles shows the files a message shares, one line each:
// "[file: name "title", N bytes] <permalink>". The caller holds mu.
func (s *Server) writeFiles(b *strings.Builder, m *message, indent string) {
	for _, id := range m.Files {
		if u := s.files.byID[id]; u != nil {
			writeLines(b, indent, []string{fmt.Sprintf("[file: %s %q, %d bytes] <%s>", u.Name, u.Title, len(u.Data), u.Permalink)})
		}
	}
}

func writeLines(b *strings.Builder, indent string, lines []string) {
	for _, l := range lines {
		b.WriteString(strings.TrimRight(indent+l, " "))
		b.WriteString("\n")
	}
}

// renderContent shows the blocks, or the text when there are none (as
// Slack does; the text is then only the notification fallback).
func renderContent(text string, blocks json.RawMessage) []string {
	var list []map[string]any
	if json.Unmarshal(blocks, &list) != nil || len(list) == 0 {
		return strings.Split(mrkdwn(text), "\n")
	}
	var out []string
	for _, blk := range list {
		out = append(out, renderBlock(blk)...)
	}
	return out
}

func renderBlock(blk map[string]any) []string {
	switch typ := str(blk["type"]); typ {
	case "header":
		return []string{"# " + textOf(blk["text"])}
	case "section":
		return renderSection(blk)
	case "divider":
		return []string{"----------"}
	case "context":
		return []string{"~ " + strings.Join(renderElements(blk["elements"]), " | ")}
	case "actions":
		return []string{strings.Join(renderElements(blk["elements"]), "  ")}
	case "image":
		return []string{"[image: " + str(blk["alt_text"]) + "]"}
	case "markdown":
		return strings.Split(mrkdwn(str(blk["text"])), "\n")
	case "rich_text":
		return strings.Split(richText(blk["elements"]), "\n")
	case "input":
		return []string{"[input: " + textOf(blk["label"]) + "]"}
	default:
		return []string{"[" + typ + " block]"}
	}
}

func renderSection(blk map[string]any) []string {
	var out []string
	if t, ok := blk["text"]; ok {
		out = append(out, strings.Split(textOf(t), "\n")...)
	}
	fields, _ := blk["fields"].([]any)
	for _, f := range fields {
		out = append(out, strings.Split(field(textOf(f)), "\n")...)
	}
	if acc, ok := blk["accessory"]; ok {
		out = append(out, renderElements([]any{acc})...)
	}
	return out
}

// field shows "*Label*\nvalue" (how labelled fields are usually written)
// as "Label: value".
func field(t string) string {
	first, rest, ok := strings.Cut(t, "\n")
	if ok && len(first) > 2 && strings.HasPrefix(first, "*") && strings.HasSuffix(first, "*") {
		return strings.Trim(first, "*") + ": " + rest
	}
	return t
}

func renderElements(raw any) []string {
	list, _ := raw.([]any)
	var out []string
	for _, e := range list {
		el, _ := e.(map[string]any)
		switch typ := str(el["type"]); {
		case typ == "button" && el["url"] != nil:
			out = append(out, fmt.Sprintf("[%s] -> %s", textOf(el["text"]), str(el["url"])))
		case typ == "button":
			out = append(out, fmt.Sprintf("[%s] (%s)", textOf(el["text"]), str(el["action_id"])))
		case typ == "image":
			out = append(out, "[image: "+str(el["alt_text"])+"]")
		case typ == "plain_text" || typ == "mrkdwn":
			out = append(out, textOf(el))
		default:
			out = append(out, fmt.Sprintf("[%s] (%s)", typ, str(el["action_id"])))
		}
	}
	return out
}

// textOf renders a text object: mrkdwn is decoded, plain_text is literal.
func textOf(raw any) string {
	t, _ := raw.(map[string]any)
	if str(t["type"]) == "mrkdwn" {
		return mrkdwn(str(t["text"]))
	}
	return str(t["text"])
}

// richText flattens a rich_text block's sections, lists, quotes and
// preformatted text.
func richText(raw any) string {
	list, _ := raw.([]any)
	var b strings.Builder
	for _, e := range list {
		el, _ := e.(map[string]any)
		switch str(el["type"]) {
		case "text":
			b.WriteString(str(el["text"]))
		case "link":
			b.WriteString(or(str(el["text"]), str(el["url"])) + " <" + str(el["url"]) + ">")
		case "user":
			b.WriteString("@" + str(el["user_id"]))
		case "channel":
			b.WriteString("#" + str(el["channel_id"]))
		case "rich_text_preformatted":
			b.WriteString("```\n" + richText(el["elements"]) + "\n```\n")
		default:
			b.WriteString(richText(el["elements"]))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// mrkdwnControl matches Slack's <...> control sequences; only they use raw
// angle brackets, since literal ones arrive as &lt; and &gt;.
var mrkdwnControl = regexp.MustCompile(`<([^<>]*)>`)

// mrkdwn renders links, mentions and entities the way Slack shows them.
func mrkdwn(t string) string {
	t = mrkdwnControl.ReplaceAllStringFunc(t, func(m string) string {
		target, label, hasLabel := strings.Cut(m[1:len(m)-1], "|")
		switch {
		case strings.HasPrefix(target, "@"):
			return "@" + or(label, target[1:])
		case strings.HasPrefix(target, "#"):
			return "#" + or(label, target[1:])
		case strings.HasPrefix(target, "!subteam^"):
			return or(label, "@"+strings.TrimPrefix(target, "!subteam^"))
		case strings.HasPrefix(target, "!"):
			return "@" + strings.TrimPrefix(target, "!")
		case hasLabel:
			return label + " <" + target + ">"
		}
		return "<" + target + ">"
	})
	return decodeEntities(t)
}

func decodeEntities(t string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(t)
}
