package slack

import (
	"strconv"
	"strings"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// codeBudget is how much escaped text a code block holds inside a
// section's limit, fences and newlines included.
const codeBudget = maxSectionText - 2*len(codeFence) - 2

// renderLines packs a listing's lines into code blocks by their rendered
// size. A line is never split between blocks; a single line longer than a
// block is cut within itself, with a note (Fits reports it, so a poster
// that checks never sends one).
func renderLines(l bot.Lines) []goslack.Block {
	var out []goslack.Block
	var cur []string
	size := 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, goslack.NewSectionBlock(mrkdwn(codeFence+"\n"+strings.Join(cur, "\n")+"\n"+codeFence), nil, nil))
		}
		cur, size = nil, 0
	}
	cutLines := 0
	for _, line := range l.Lines {
		esc := escapeText(line, false)
		if esc == "" {
			esc = " "
		}
		if n := utf8.RuneCountInString(esc); n > codeBudget {
			esc, _ = cut(esc, codeBudget)
			cutLines++
		}
		n := utf8.RuneCountInString(esc)
		if len(cur) > 0 && size+1+n > codeBudget {
			flush()
		}
		if len(cur) > 0 {
			size++
		}
		cur, size = append(cur, esc), size+n
	}
	flush()
	if cutLines > 0 {
		out = append(out, contextBlock("_"+truncatedMessage+": "+plural(cutLines, "line was", "lines were")+" too long to show whole_"))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Fits reports whether m renders whole: no block, field or line cut, no
// block dropped for the message's block limit. Messages that name
// findings are checked before they are sent, so that a cut can never hide
// that a finding existed.
func Fits(m bot.Message) bool {
	blocks := 0
	for _, b := range m.Blocks {
		if !blockFits(b) {
			return false
		}
		blocks += len(renderBlock(b))
	}
	_, cutText := cut(escapeText(m.Text, false), maxFallbackText)
	return blocks <= maxBlocks && !cutText
}

func blockFits(b bot.Block) bool {
	switch b := b.(type) {
	case bot.Header:
		return utf8.RuneCountInString(plainText(b.Text)) <= maxHeaderText
	case bot.Section:
		if utf8.RuneCountInString(renderRich(b.Text, true)) > maxSectionText {
			return false
		}
		for _, f := range b.Fields {
			if utf8.RuneCountInString(escapeText(f.Label, false))+2+utf8.RuneCountInString(renderRich(f.Value, false)) > maxFieldText {
				return false
			}
		}
	case bot.Code:
		return !b.Truncated && utf8.RuneCountInString(escapeText(b.Text, true)) <= codeBudget
	case bot.Lines:
		for _, line := range b.Lines {
			if utf8.RuneCountInString(escapeText(line, false)) > codeBudget {
				return false
			}
		}
	case bot.Context:
		if len(b.Elements) > maxContextItems {
			return false
		}
		for _, e := range b.Elements {
			if utf8.RuneCountInString(renderRich(e, false)) > maxContextText {
				return false
			}
		}
	}
	return true
}

// Fits is the package's Fits, for callers that take a measurer.
func (o *Outbox) Fits(m bot.Message) bool { return Fits(m) }
