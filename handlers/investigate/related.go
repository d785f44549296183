package investigate

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/intake"
)

// RelatedFinder lists the findings around a finding.
type RelatedFinder interface {
	RelatedFindings(ctx context.Context, f bot.Finding, window time.Duration) (bot.RelatedFindings, error)
}

// Limits of the related-findings answer, so a busy cluster still fits in
// one readable message.
const (
	maxRelatedGroups   = 8
	maxRelatedPerGroup = 3
)

// RelatedTask answers the Related findings button: findings on the same
// resource within window of the event, grouped by category.
func RelatedTask(finder RelatedFinder, window time.Duration) handlers.Task {
	return func(ctx context.Context, f bot.Finding) (bot.Message, error) {
		rel, err := finder.RelatedFindings(ctx, f, window)
		if err != nil {
			return bot.Message{}, err
		}
		return relatedMessage(f, rel, window), nil
	}
}

type relatedGroup struct {
	category string
	findings []bot.Finding // newest first
	worst    bot.Severity
}

func groupRelated(fs []bot.Finding) []relatedGroup {
	index := map[string]int{}
	var groups []relatedGroup
	for _, f := range fs {
		key := intake.FoldCategory(bot.CategoryOf(f))
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, relatedGroup{category: bot.CategoryOf(f)})
		}
		groups[i].findings = append(groups[i].findings, f)
		groups[i].worst = max(groups[i].worst, f.Severity)
	}
	for i := range groups {
		slices.SortStableFunc(groups[i].findings, func(a, b bot.Finding) int { return b.EventTime.Compare(a.EventTime) })
	}
	slices.SortStableFunc(groups, func(a, b relatedGroup) int {
		return b.findings[0].EventTime.Compare(a.findings[0].EventTime)
	})
	return groups
}

func relatedMessage(f bot.Finding, rel bot.RelatedFindings, window time.Duration) bot.Message {
	from, to := f.EventTime.Add(-window), f.EventTime.Add(window)
	span := "(" + handlers.FormatTime(from) + " to " + handlers.FormatTime(to) + ")"
	if len(rel.Findings) == 0 {
		text := "No other findings on " + rel.Scope + " " + span + "."
		m := bot.Message{Text: text, Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T(text))}}}
		return withRelatedNotes(m, rel)
	}
	groups := groupRelated(rel.Findings)
	summary := fmt.Sprintf("%d related %s in %d %s on %s %s.", len(rel.Findings), bot.Plural(len(rel.Findings), "finding", "findings"),
		len(groups), bot.Plural(len(groups), "category", "categories"), rel.Scope, span)
	m := bot.Message{Text: summary, Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T(summary))}}}
	for i, g := range groups {
		if i == maxRelatedGroups {
			rest := 0
			for _, g := range groups[i:] {
				rest += len(g.findings)
			}
			m.Blocks = append(m.Blocks, bot.Context{Elements: []bot.Rich{bot.R(bot.I(fmt.Sprintf(
				"and %d more findings in %d more categories", rest, len(groups)-i)))}})
			break
		}
		m.Blocks = append(m.Blocks, bot.Section{Text: groupText(g, rel.Why)})
	}
	return withRelatedNotes(m, rel)
}

func groupText(g relatedGroup, why map[string]string) bot.Rich {
	r := bot.R(bot.B(g.category), bot.T(fmt.Sprintf(" — %d, worst %s", len(g.findings), g.worst.Label())))
	for i, f := range g.findings {
		if i == maxRelatedPerGroup {
			r = append(r, bot.T(fmt.Sprintf("\nand %d more", len(g.findings)-i)))
			break
		}
		r = append(r, bot.T("\n• "+handlers.FormatTime(f.EventTime)+" · "+f.Severity.Label()+" · "))
		r = append(r, handlers.FindingLink(f))
		if where := handlers.WhereOf(f); where != "" {
			r = append(r, bot.T(" · "), bot.M(where))
		}
		if w := why[f.Name]; w != "" && w != "resource" {
			r = append(r, bot.I(" (same "+w+")"))
		}
	}
	return r
}

func withRelatedNotes(m bot.Message, rel bot.RelatedFindings) bot.Message {
	var notes []bot.Rich
	if rel.Narrowed > 0 {
		notes = append(notes, bot.R(bot.I(fmt.Sprintf("%d more %s on the same resource concern other pods or images and are not listed.",
			rel.Narrowed, bot.Plural(rel.Narrowed, "finding", "findings")))))
	}
	if rel.Truncated {
		notes = append(notes, bot.R(bot.I("SCC returned more findings than sccbot reads; the newest are shown. The console has the rest.")))
	}
	if len(notes) > 0 {
		m.Blocks = append(m.Blocks, bot.Context{Elements: notes})
	}
	return m
}
