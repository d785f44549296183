package playbooks

import (
	"fmt"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

// dumpMessage renders a message as plain text for golden files: one block
// a paragraph, styles as markers, links as [text](url).
func dumpMessage(m bot.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "text: %s\n", m.Text)
	for _, blk := range m.Blocks {
		b.WriteString("\n")
		switch x := blk.(type) {
		case bot.Header:
			fmt.Fprintf(&b, "## %s\n", x.Text)
		case bot.Section:
			fmt.Fprintf(&b, "[section]\n%s\n", dumpRich(x.Text))
			for _, f := range x.Fields {
				fmt.Fprintf(&b, "  field %s: %s\n", f.Label, dumpRich(f.Value))
			}
		case bot.Code:
			fmt.Fprintf(&b, "[code]\n%s\n[/code]\n", x.Text)
		case bot.Context:
			for _, e := range x.Elements {
				fmt.Fprintf(&b, "[context] %s\n", dumpRich(e))
			}
		default:
			fmt.Fprintf(&b, "[%T]\n", blk)
		}
	}
	return b.String()
}

func dumpRich(r bot.Rich) string {
	var b strings.Builder
	for _, s := range r {
		text := s.Text
		switch s.Style {
		case bot.Bold:
			text = "*" + text + "*"
		case bot.Italic:
			text = "_" + text + "_"
		case bot.Mono:
			text = "`" + text + "`"
		}
		if s.URL != "" {
			text = "[" + text + "](" + s.URL + ")"
		}
		b.WriteString(text)
	}
	return b.String()
}
