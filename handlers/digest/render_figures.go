package digest

import (
	"fmt"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// Budgets of the sections ComputeDigestWith adds, in rendered characters
// estimated from above, like the other lists': with them the message
// stays under Slack's limit of block text in all (see render.go).
const (
	tuningListBudget    = 1200
	tuningSuggestBudget = 700
)

// chartBlocks links the chart, or says it is missing.
func chartBlocks(d Digest) []bot.Block {
	switch {
	case d.Chart.Permalink != "":
		return []bot.Block{bot.Section{Text: bot.R(bot.T("📈 "), bot.Link(
			fmt.Sprintf("Chart: findings per day by severity over the last %d days, deadline breaches marked", chartDays),
			d.Chart.Permalink))}}
	case d.Chart.Missing:
		return []bot.Block{bot.Section{Text: bot.R(bot.T(fmt.Sprintf(
			"📈 The chart of the last %d days is missing: it could not be drawn or uploaded. The figures here are complete.", chartDays)))}}
	}
	return nil
}

// ackBlocks show the percentiles of time to acknowledge and the deadline
// breaches, when their sources were given.
func ackBlocks(d Digest) []bot.Block {
	var out []bot.Block
	if d.AckTimes != nil {
		out = append(out, bot.Section{Text: ackTimesText(d.AckTimes)})
	}
	if d.Deadlines != nil {
		out = append(out, bot.Section{Text: deadlinesText(*d.Deadlines)})
	}
	return out
}

func ackTimesText(rows []AckPercentiles) bot.Rich {
	head := bot.R(bot.B("Time to acknowledge"), bot.T(" (from arrival, acknowledged in this period)"))
	if len(rows) == 0 {
		return append(head, bot.T(": nothing was acknowledged."))
	}
	for _, r := range rows[:min(len(rows), digestFields)] {
		sev, _ := bot.ParseSeverity(r.Severity)
		head = append(head, bot.T(fmt.Sprintf("\n%s %s: p50 %s · p90 %s (%d acknowledged)", handlers.SeverityIcon(sev),
			sev.Label(), handlers.FormatDuration(r.P50), handlers.FormatDuration(r.P90), r.Acks)))
	}
	return head
}

// deadlinesText says what is counted: a breach is an escalation, a
// reminder only a first deadline passed.
func deadlinesText(dc DeadlineCounts) bot.Rich {
	text := bot.R(bot.B(fmt.Sprintf("⏰ Acknowledgement deadlines breached: %d", dc.Breaches)))
	if dc.Breaches > 0 {
		text = append(text, bot.T(" ("))
		for i, s := range dc.BreachesBySeverity {
			if i > 0 {
				text = append(text, bot.T(", "))
			}
			text = append(text, bot.T(fmt.Sprintf("%s %d %s", handlers.SeverityIcon(s.Severity), s.Count, s.Severity.Label())))
		}
		text = append(text, bot.T(")"))
	}
	return append(text, bot.T(fmt.Sprintf(
		" · escalated: unacknowledged past the second deadline. %d %s past the first deadline (due, reminded; may have been acknowledged since).",
		dc.Reminders, bot.Plural(dc.Reminders, "finding", "findings"))))
}

// tuningBlocks list the noise verdicts point at, and what to mute.
func tuningBlocks(d Digest) []bot.Block {
	if d.Tuning == nil {
		return nil
	}
	t := *d.Tuning
	head := bot.R(bot.B("Tuning: marked false positive or benign"))
	if len(t.Groups) == 0 {
		return []bot.Block{bot.Section{Text: append(head, bot.T(": none in this period."))}}
	}
	var lines []bot.Rich
	for _, g := range t.Groups {
		line := bot.R(bot.T(fmt.Sprintf("\n• %d false positive, %d benign (of %d verdicts)  ", g.FalsePositive, g.Benign, g.Verdicts)),
			bot.T(shorten(groupName(g.Category, "category"), digestNameRunes)),
			bot.T(" · "+shorten(groupName(g.Project, "project"), digestNameRunes)))
		lines = append(lines, line)
	}
	text, kept := fitLines(head, lines, tuningListBudget)
	if more := len(lines) - kept; more > 0 {
		text = append(text, bot.T(fmt.Sprintf("\n…and %d more", more)))
	}
	out := []bot.Block{bot.Section{Text: text}}
	if len(t.Suggestions) > 0 {
		out = append(out, bot.Section{Text: suggestionsText(t.Suggestions)})
	}
	return out
}

func suggestionsText(ss []TuningSuggestion) bot.Rich {
	head := bot.R(bot.B(fmt.Sprintf("💡 Mostly false positives (at least %d %% of %d or more verdicts)", suggestFalsePositivePercent, suggestMinVerdicts)),
		bot.T(": consider a silence, or an SCC mute rule with "), bot.M("/finding mute-rule <finding id>"),
		bot.T(" from one of its findings (shown before it is created, approved like mute)."))
	var lines []bot.Rich
	for _, s := range ss {
		lines = append(lines, bot.R(bot.T("\n• "), bot.T(shorten(groupName(s.Category, "category"), digestNameRunes)),
			bot.T(fmt.Sprintf(": %d of %d verdicts false positive (%d %%)", s.FalsePositive, s.Verdicts, s.FalsePositive*100/s.Verdicts))))
	}
	text, kept := fitLines(head, lines, tuningSuggestBudget)
	if more := len(lines) - kept; more > 0 {
		text = append(text, bot.T(fmt.Sprintf("\n…and %d more", more)))
	}
	return text
}
