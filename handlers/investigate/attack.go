package investigate

import (
	"context"
	"strings"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// maxAttackTechniques bounds the techniques described in one answer.
const maxAttackTechniques = 8

// maxDescription bounds a technique's description: the first sentences are
// the definition; attack.mitre.org has the rest.
const maxDescription = 400

// AttackTask answers the ATT&CK button: the finding's own classification
// (tactic, primary and additional techniques), or the playbook's list when
// SCC sent none, each technique with its tactics, description and
// mitigations, and MITRE's notice.
func AttackTask(catalog handlers.AttackCatalog, notice string, fallback func(bot.Finding) []string) handlers.Task {
	return func(_ context.Context, f bot.Finding) (bot.Message, error) {
		ids, source := techniqueIDs(f, fallback)
		if len(ids) == 0 {
			text := "Neither the finding nor its playbook names an ATT&CK technique."
			return bot.Message{Text: text, Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T(text))}}}, nil
		}
		m := bot.Message{Text: "ATT&CK techniques of " + bot.CategoryOf(f)}
		intro := bot.R(bot.T("ATT&CK techniques " + source))
		if t := f.Attack.Tactic; t.ID != "" {
			intro = append(intro, bot.T(". Primary tactic: "))
			intro = append(intro, handlers.TacticSpans(t, catalog)...)
		}
		m.Blocks = append(m.Blocks, bot.Section{Text: intro})
		for i, id := range ids {
			if i == maxAttackTechniques {
				m.Blocks = append(m.Blocks, bot.Context{Elements: []bot.Rich{bot.R(bot.I("and more: see the finding in the console"))}})
				break
			}
			m.Blocks = append(m.Blocks, TechniqueBlock(id, catalog))
		}
		if notice != "" {
			m.Blocks = append(m.Blocks, bot.Context{Elements: []bot.Rich{bot.R(bot.T(notice))}})
		}
		return m, nil
	}
}

// techniqueIDs prefers the finding's own classification, then the
// playbook's.
func techniqueIDs(f bot.Finding, fallback func(bot.Finding) []string) ([]string, string) {
	var ids []string
	for _, t := range f.AllTechniques() {
		if t.ID != "" {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) > 0 {
		return ids, "SCC assigned to this finding"
	}
	if fallback != nil {
		if ids = fallback(f); len(ids) > 0 {
			return ids, "the playbook lists for this category"
		}
	}
	return nil, ""
}

// TechniqueBlock describes a technique: its name, tactics, link and summary.
func TechniqueBlock(id string, catalog handlers.AttackCatalog) bot.Block {
	t, ok := bot.Technique{}, false
	if catalog != nil {
		t, ok = catalog.Technique(id)
	}
	if !ok {
		return bot.Section{Text: bot.R(bot.Link(id, bot.AttackURL(id)), bot.T(" (not in sccbot's ATT&CK catalogue)"))}
	}
	text := bot.R(bot.Link(t.ID+" "+t.FullName(), bot.AttackURL(t.ID)))
	if len(t.Tactics) > 0 {
		text = append(text, bot.T(" · tactics: "+strings.Join(t.Tactics, ", ")))
	}
	text = append(text, bot.T("\n"+firstSentences(t.Description, maxDescription)))
	if len(t.Mitigations) > 0 {
		text = append(text, bot.T("\n"), bot.B("Mitigations: "))
		for i, mt := range t.Mitigations {
			if i > 0 {
				text = append(text, bot.T(", "))
			}
			text = append(text, bot.T(mt.ID+" "+mt.Name))
		}
	} else {
		text = append(text, bot.T("\n"), bot.I("ATT&CK lists no mitigation for this technique."))
	}
	return bot.Section{Text: text}
}

// firstSentences cuts s at a sentence end within max runes when it can.
func firstSentences(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	cut := string(r[:max])
	if i := strings.LastIndex(cut, ". "); i > max/3 {
		return cut[:i+1]
	}
	return cut + "…"
}
