package handlerstest

import (
	"strings"

	"github.com/sccbot/sccbot/bot"
)

// Flatten writes a message as text so tests can look for what a reader sees.
func Flatten(m bot.Message) string {
	var b strings.Builder
	rich := func(r bot.Rich) {
		for _, s := range r {
			b.WriteString(s.Text)
			if s.URL != "" {
				b.WriteString(" <" + s.URL + ">")
			}
		}
	}
	for _, blk := range m.Blocks {
		switch x := blk.(type) {
		case bot.Header:
			b.WriteString("# " + x.Text)
		case bot.Section:
			rich(x.Text)
			for _, f := range x.Fields {
				b.WriteString("\n" + f.Label + ": ")
				rich(f.Value)
			}
		case bot.Code:
			b.WriteString("```" + x.Text + "``` " + x.Note)
		case bot.Lines:
			b.WriteString("```" + strings.Join(x.Lines, "\n") + "```")
		case bot.Context:
			for _, e := range x.Elements {
				rich(e)
				b.WriteString(" | ")
			}
		case bot.Actions:
			for _, btn := range x.Buttons {
				b.WriteString("[" + btn.Label + "]")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// DigestText flattens a message: text, @mentions and <links>, one block a
// line.
func DigestText(m bot.Message) string {
	var b strings.Builder
	rich := func(r bot.Rich) {
		for _, s := range r {
			if s.User != "" {
				b.WriteString("@" + s.User)
			}
			b.WriteString(s.Text)
			if s.URL != "" {
				b.WriteString(" <" + s.URL + ">")
			}
		}
	}
	for _, blk := range m.Blocks {
		switch x := blk.(type) {
		case bot.Header:
			b.WriteString("# " + x.Text)
		case bot.Section:
			rich(x.Text)
			for _, f := range x.Fields {
				b.WriteString("\n" + f.Label + ": ")
				rich(f.Value)
			}
		case bot.Context:
			for _, e := range x.Elements {
				rich(e)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
