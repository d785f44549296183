package digest

import (
	"cmp"
	"slices"

	"github.com/sccbot/sccbot/bot"
)

// A category is worth tuning when at least suggestFalsePositivePercent
// of its verdicts in the period were false positive, out of at least
// suggestMinVerdicts: fewer verdicts say little, and a lower share would
// mute real detections along with the noise.
const (
	suggestMinVerdicts          = 5
	suggestFalsePositivePercent = 60
)

// Tuning is what the verdicts of a period say about noise.
type Tuning struct {
	// Groups are the category and project pairs with findings marked
	// false positive or benign, most such verdicts first.
	Groups []TuningGroup
	// Suggestions are the categories mostly false positive, over all
	// projects, most false positives first: candidates for a silence or
	// an SCC mute rule.
	Suggestions []TuningSuggestion
}

// TuningGroup counts the verdicts on one category in one project.
type TuningGroup struct {
	Category, Project     string
	FalsePositive, Benign int
	// Verdicts counts every verdict, true positives included.
	Verdicts int
}

// TuningSuggestion is a category mostly false positive.
type TuningSuggestion struct {
	Category      string
	FalsePositive int
	Verdicts      int
}

// tune sums the verdict counts by category and project, and by category.
func tune(rows []bot.VerdictCount) Tuning {
	type pair struct{ category, project string }
	groups := map[pair]*TuningGroup{}
	cats := map[string]*TuningSuggestion{}
	for _, r := range rows {
		if r.Count <= 0 {
			continue
		}
		g := groups[pair{r.Category, r.Project}]
		if g == nil {
			g = &TuningGroup{Category: r.Category, Project: r.Project}
			groups[pair{r.Category, r.Project}] = g
		}
		c := cats[r.Category]
		if c == nil {
			c = &TuningSuggestion{Category: r.Category}
			cats[r.Category] = c
		}
		g.Verdicts += r.Count
		c.Verdicts += r.Count
		switch r.Verdict {
		case bot.VerdictFalsePositive:
			g.FalsePositive += r.Count
			c.FalsePositive += r.Count
		case bot.VerdictBenign:
			g.Benign += r.Count
		}
	}
	var t Tuning
	for _, g := range groups {
		if g.FalsePositive+g.Benign > 0 {
			t.Groups = append(t.Groups, *g)
		}
	}
	slices.SortFunc(t.Groups, func(a, b TuningGroup) int {
		return cmp.Or(cmp.Compare(b.FalsePositive+b.Benign, a.FalsePositive+a.Benign),
			cmp.Compare(a.Category, b.Category), cmp.Compare(a.Project, b.Project))
	})
	for _, c := range cats {
		if mostlyFalsePositive(c.FalsePositive, c.Verdicts) {
			t.Suggestions = append(t.Suggestions, *c)
		}
	}
	slices.SortFunc(t.Suggestions, func(a, b TuningSuggestion) int {
		return cmp.Or(cmp.Compare(b.FalsePositive, a.FalsePositive), cmp.Compare(a.Category, b.Category))
	})
	return t
}

// mostlyFalsePositive applies the thresholds in whole numbers.
func mostlyFalsePositive(fp, verdicts int) bool {
	return verdicts >= suggestMinVerdicts && fp*100 >= suggestFalsePositivePercent*verdicts
}
