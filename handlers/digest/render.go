package digest

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// The digest is one message (notes/slack.md 2.2). Its lists are cut here,
// with what is left out summed up, rather than by the renderer: a cut
// there would drop the summary line, and Slack refuses a message whose
// blocks hold about 13k characters in all even when each is within its
// own limit (notes/slack.md 2.4). Each list gets a budget of rendered
// characters, estimated from above (escaping can make one character
// five), and the budgets add up to well under that.
const (
	digestListBudget = 2000
	digestNameRunes  = 80
	digestIDRunes    = 40
	digestPeople     = 3
	// digestFields is Slack's limit of fields in a section.
	digestFields = 10
	// digestSparkDays bounds the sparkline, which ComputeDigest makes
	// seven days long, against any other input.
	digestSparkDays = 31
)

// Message renders the digest of a period. period names it in the
// header ("daily"); times are shown in tz (UTC when nil). Category and
// project names are literal text: the renderer escapes them.
func Message(d Digest, period string, tz *time.Location) bot.Message {
	if tz == nil {
		tz = time.UTC
	}
	m := bot.Message{Text: fmt.Sprintf("SCC digest: %s: %d %s (%s), %d open and unacknowledged",
		period, d.Total, bot.Plural(d.Total, "finding", "findings"), handlers.Change(d.Total, d.Previous), d.UnacknowledgedTotal)}
	m.Blocks = append(m.Blocks,
		bot.Header{Text: "SCC digest: " + period},
		bot.Context{Elements: []bot.Rich{bot.R(bot.T("Findings first seen from " + digestTime(d.From, tz) +
			" to " + digestTime(d.To, tz) + ", compared with the " + handlers.Span(d.To.Sub(d.From)) + " before."))}},
		bot.Section{Text: totalsText(d)})
	if len(d.Severities) > 0 {
		m.Blocks = append(m.Blocks, bot.Section{Fields: severityFields(d.Severities)})
	}
	m.Blocks = append(m.Blocks, bot.Section{Text: sparklineText(d, tz)})
	m.Blocks = append(m.Blocks, chartBlocks(d)...)
	if d.Total > 0 {
		m.Blocks = append(m.Blocks,
			bot.Section{Text: groupList("Top categories", d.Categories, d.OtherCategories, d.OtherCategoryFindings, "category", "categories")},
			bot.Section{Text: groupList("Top projects", d.Projects, d.OtherProjects, d.OtherProjectFindings, "project", "projects")})
	}
	m.Blocks = append(m.Blocks, bot.Divider{},
		bot.Section{Text: unackedList(d, tz)},
		bot.Section{Text: actionList(d.Actions)},
		bot.Context{Elements: []bot.Rich{timesText(d)}})
	m.Blocks = append(m.Blocks, ackBlocks(d)...)
	m.Blocks = append(m.Blocks, tuningBlocks(d)...)
	return m
}

func digestTime(t time.Time, tz *time.Location) string {
	return t.In(tz).Format("Mon 2 Jan 15:04 MST")
}

func totalsText(d Digest) bot.Rich {
	r := bot.R(bot.B(fmt.Sprintf("%d %s", d.Total, bot.Plural(d.Total, "finding", "findings"))),
		bot.T(fmt.Sprintf(" (%s against %d in the previous period).", handlers.Change(d.Total, d.Previous), d.Previous)))
	if d.Silenced > 0 {
		r = append(r, bot.T(fmt.Sprintf(" 🔕 %d silenced: stored and counted, not posted.", d.Silenced)))
	}
	return r
}

func severityFields(rows []Count) []bot.Field {
	var out []bot.Field
	for _, r := range rows[:min(len(rows), digestFields)] {
		sev, _ := bot.ParseSeverity(r.Key)
		out = append(out, bot.Field{Label: handlers.SeverityIcon(sev) + " " + sev.Label(),
			Value: bot.R(bot.T(fmt.Sprintf("%d (%s)", r.Count, handlers.Change(r.Count, r.Previous))))})
	}
	return out
}

// sparkline draws counts with eighth blocks, the largest full.
func sparkline(counts []int) string {
	bars := []rune("▁▂▃▄▅▆▇█")
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	var b strings.Builder
	for _, c := range counts {
		i := 0
		if top > 0 {
			i = c * 7 / top
		}
		b.WriteRune(bars[i])
	}
	return b.String()
}

func sparklineText(d Digest, tz *time.Location) bot.Rich {
	daily := d.Daily[max(len(d.Daily)-digestSparkDays, 0):]
	nums := make([]string, len(daily))
	for i, c := range daily {
		nums[i] = fmt.Sprint(c)
	}
	return bot.R(bot.B(fmt.Sprintf("Last %d days ", len(daily))), bot.M(sparkline(daily)),
		bot.T("  "+strings.Join(nums, " · ")+" (per 24 hours, oldest first, to "+digestTime(d.To, tz)+")"))
}

// groupList lists the top groups and sums up the rest, within budget.
func groupList(title string, rows []Count, others, otherFindings int, one, many string) bot.Rich {
	var lines []bot.Rich
	for _, r := range rows {
		lines = append(lines, bot.R(bot.T(fmt.Sprintf("\n• %d  ", r.Count)), bot.T(shorten(groupName(r.Key, one), digestNameRunes)),
			bot.T(" ("+handlers.Change(r.Count, r.Previous)+")")))
	}
	text, kept := fitLines(bot.R(bot.B(title)), lines, digestListBudget)
	for _, r := range rows[kept:] {
		otherFindings += r.Count
	}
	others += len(rows) - kept
	if others > 0 {
		text = append(text, bot.T(fmt.Sprintf("\n• %d more in %d other %s", otherFindings, others, bot.Plural(others, one, many))))
	}
	return text
}

func groupName(key, one string) string {
	if strings.TrimSpace(key) != "" {
		return key
	}
	if one == "category" {
		return "Unknown category"
	}
	return "(no " + one + ")"
}

// fitLines appends lines to head while the text stays within budget, and
// says how many it kept.
func fitLines(head bot.Rich, lines []bot.Rich, budget int) (bot.Rich, int) {
	used := renderedLen(head)
	for i, l := range lines {
		n := renderedLen(l)
		if used+n > budget {
			return head, i
		}
		head = append(head, l...)
		used += n
	}
	return head, len(lines)
}

// unackedList links the open findings nobody acknowledged, most urgent
// first.
func unackedList(d Digest, tz *time.Location) bot.Rich {
	head := bot.R(bot.B(fmt.Sprintf("Open, nobody acknowledged (%d)", d.UnacknowledgedTotal)))
	if d.UnacknowledgedTotal == 0 {
		return append(head, bot.T(": none. ✅"))
	}
	var lines []bot.Rich
	for _, f := range d.Unacknowledged {
		lines = append(lines, unackedLine(f, tz))
	}
	text, kept := fitLines(head, lines, digestListBudget)
	if more := d.UnacknowledgedTotal - kept; more > 0 {
		text = append(text, bot.T(fmt.Sprintf("\n…and %d more", more)))
	}
	return text
}

// unackedLine is one open finding, linked to the console. A link that
// would take more than a line's share of the list (a name or project far
// longer than SCC's) gives way to the bare id.
func unackedLine(f bot.Finding, tz *time.Location) bot.Rich {
	id := shorten(f.ShortID(), digestIDRunes)
	link := bot.Link(id, bot.FindingURL(f))
	if renderedLen(bot.R(link)) > digestListBudget/4 {
		link = bot.M(id)
	}
	line := bot.R(bot.T("\n"+handlers.SeverityIcon(f.Severity)+" "), link, bot.T(" "+shorten(bot.CategoryOf(f), digestNameRunes)))
	if p := f.Project(); p != "" {
		line = append(line, bot.T(" · "+shorten(p, digestNameRunes)))
	}
	if !f.EventTime.IsZero() {
		line = append(line, bot.T(" · event "+digestTime(f.EventTime, tz)))
	}
	return line
}

// kindLabel names the kinds of action for people.
func kindLabel(kind string) string {
	switch kind {
	case KindContained:
		return "🛡️ Contained"
	case KindPaged:
		return "📟 Paged"
	case KindMuted:
		return "🔇 Muted"
	case KindResolved:
		return "✅ Resolved"
	}
	return "⚙️ Other actions"
}

// actionList says what was done, how often and by whom.
func actionList(actions []Action) bot.Rich {
	head := bot.R(bot.B("Actions taken"))
	if len(actions) == 0 {
		return append(head, bot.T(": none finished in this period."))
	}
	var lines []bot.Rich
	for _, a := range actions {
		line := bot.R(bot.T("\n"+kindLabel(a.Kind)+" "), bot.B(fmt.Sprint(a.Count)))
		line = append(line, personList(" · requested by ", a.RequestedBy)...)
		line = append(line, personList(" · approved by ", a.ApprovedBy)...)
		lines = append(lines, line)
	}
	text, kept := fitLines(head, lines, digestListBudget)
	if kept < len(lines) {
		text = append(text, bot.T(fmt.Sprintf("\n…and %d more kinds", len(lines)-kept)))
	}
	return text
}

// personList names the first few people with their counts.
func personList(label string, ps []Person) []bot.Span {
	if len(ps) == 0 {
		return nil
	}
	spans := []bot.Span{bot.T(label)}
	for i, p := range ps {
		if i == digestPeople {
			spans = append(spans, bot.T(fmt.Sprintf(" and %d more", len(ps)-i)))
			break
		}
		if i > 0 {
			spans = append(spans, bot.T(", "))
		}
		spans = append(spans, bot.Mention(shorten(p.User, digestIDRunes)), bot.T(fmt.Sprintf(" (%d)", p.Count)))
	}
	return spans
}

func timesText(d Digest) bot.Rich {
	mtta, mttc := "n/a", "n/a"
	if d.Acks > 0 {
		mtta = handlers.FormatDuration(d.MeanTimeToAck)
	}
	if d.Containments > 0 {
		mttc = handlers.FormatDuration(d.MeanTimeToContain)
	}
	return bot.R(bot.T(fmt.Sprintf("⏱️ Mean time to acknowledge: %s (%d acknowledged) · mean time to contain: %s (%d contained)",
		mtta, d.Acks, mttc, d.Containments)))
}

// shorten cuts s to n runes, marking the cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// renderedLen bounds from above how many characters r takes once
// rendered: escaping turns & into five, < and > into four; a link adds
// its escaped URL; marks and mentions add a few.
func renderedLen(r bot.Rich) int {
	n := 0
	for _, s := range r {
		n += escapedLen(s.Text) + escapedLen(s.User) + 4
		for i := 0; i < len(s.URL); i++ {
			switch c := s.URL[i]; {
			case c == '&':
				n += 5
			case c <= ' ' || c >= 0x7f || strings.IndexByte("<>|\"`", c) >= 0:
				n += 3
			default:
				n++
			}
		}
		if s.User != "" || s.URL != "" {
			n += 12
		}
	}
	return n
}

func escapedLen(s string) int {
	n := 0
	for _, c := range s {
		switch c {
		case '&':
			n += 5
		case '<', '>':
			n += 4
		default:
			n++
		}
	}
	return n
}
