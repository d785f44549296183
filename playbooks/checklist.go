package playbooks

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

const (
	// maxBlocks keeps the checklist well inside Slack's 50 blocks.
	maxBlocks = 40
	// maxQueriesShown bounds the filters printed; the Logs button runs all.
	maxQueriesShown = 6
	// maxValueRunes cuts a finding value shown in the review step; the
	// finding's JSON has the rest.
	maxValueRunes = 200
	// maxHashes bounds the VirusTotal links.
	maxHashes = 3
	// maxLinkLen keeps a Logs Explorer link whole inside one section's
	// text; a longer one would be cut by the chat adapter mid-URL.
	maxLinkLen = 2000
	// sectionBudget starts a new section before Slack's 3000 characters.
	sectionBudget = 2500
)

// checklist builds the message of one Checklist call.
type checklist struct {
	p          *Playbook
	f          bot.Finding
	v          values
	product    bot.Product
	start, end time.Time
	blocks     []bot.Block
	step       int
}

// Checklist is Google's procedure for the finding as a message, with the
// finding's own values filled in: what to review, related findings, the
// console pages, the log filters with Logs Explorer links, the commands
// for the running container, VirusTotal, ATT&CK, the responses that fit
// (the suggested one marked; the caller adds the buttons) and Google's
// page. Every finding value is literal text in the message; the chat
// adapter escapes it.
func (p *Playbook) Checklist(f bot.Finding, start, end time.Time) bot.Message {
	c := &checklist{p: p, f: f, v: valuesOf(f), product: productOf(f), start: start, end: end}
	c.header()
	c.review()
	c.related()
	c.console()
	c.logs()
	c.container()
	c.virusTotal()
	c.attack()
	c.respond()
	c.docs()
	return bot.Message{Text: "Playbook: " + c.title(), Blocks: c.capped()}
}

func (c *checklist) add(b ...bot.Block) { c.blocks = append(c.blocks, b...) }

// heading starts a numbered step.
func (c *checklist) heading(title string) bot.Span {
	c.step++
	return bot.B(strconv.Itoa(c.step) + ". " + title)
}

func (c *checklist) title() string {
	if !c.p.Generic {
		return c.p.Category
	}
	cat := strings.TrimSpace(c.f.Category)
	if cat == "" {
		cat = "Unknown category"
	}
	return visible(cat) + " (generic playbook)"
}

func (c *checklist) header() {
	about := []string{c.product.Label()}
	if c.f.Severity != bot.SeverityUnspecified {
		about = append(about, c.f.Severity.Label())
	}
	if c.f.Source != "" {
		about = append(about, visible(c.f.Source))
	}
	c.add(bot.Header{Text: "Playbook: " + c.title()},
		bot.Section{Text: bot.R(bot.T(c.p.Summary+"\n"), bot.I(strings.Join(about, " · ")))})
}

// capped enforces maxBlocks, saying so when it cuts.
func (c *checklist) capped() []bot.Block {
	if len(c.blocks) <= maxBlocks {
		return c.blocks
	}
	out := append([]bot.Block(nil), c.blocks[:maxBlocks-1]...)
	return append(out, bot.Context{Elements: []bot.Rich{bot.R(bot.I("The checklist was cut to fit one message."))}})
}

// sections packs lines into as few sections as fit the text budget.
func sections(head bot.Rich, lines []bot.Rich) []bot.Block {
	var out []bot.Block
	cur, size := head, richLen(head)
	for _, l := range lines {
		if n := richLen(l); size+n > sectionBudget && size > 0 {
			out = append(out, bot.Section{Text: trimEnd(cur)})
			cur, size = nil, 0
		}
		cur = append(cur, l...)
		size += richLen(l)
	}
	return append(out, bot.Section{Text: trimEnd(cur)})
}

// trimEnd drops the line break that ends the last bullet.
func trimEnd(r bot.Rich) bot.Rich {
	if n := len(r); n > 0 && r[n-1].Style == bot.Plain && r[n-1].URL == "" {
		r = append(r[:n-1:n-1], bot.T(strings.TrimRight(r[n-1].Text, "\n")))
	}
	return r
}

func richLen(r bot.Rich) int {
	n := 0
	for _, s := range r {
		n += len(s.Text) + len(s.URL)
	}
	return n
}

// visible makes a finding value safe to look at: invalid UTF-8 becomes
// U+FFFD, and control and invisible characters are shown as escapes, so
// that a value cannot fake a new line of the checklist or hide text.
func visible(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsFunc(s, hidden) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func hidden(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// shown is a value for the review step: visible and cut.
func shown(s string) string {
	s = visible(s)
	if utf8.RuneCountInString(s) <= maxValueRunes {
		return s
	}
	return string([]rune(s)[:maxValueRunes]) + "…"
}

func bullet(spans ...bot.Span) bot.Rich {
	return append(append(bot.R(bot.T("• ")), spans...), bot.T("\n"))
}
