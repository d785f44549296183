package handlers

import (
	"github.com/sccbot/sccbot/bot"
)

// maxCardTechniques bounds the techniques named on a card; the ATT&CK
// button (and the thread) carry the full list.
const maxCardTechniques = 6

// attackBlock names the finding's tactic and techniques with their ATT&CK
// ids, each linked to attack.mitre.org.
func attackBlock(f bot.Finding, attack AttackCatalog) (bot.Block, bool) {
	techniques := f.AllTechniques()
	if f.Attack.Tactic.Empty() && len(techniques) == 0 {
		return nil, false
	}
	text := bot.R(bot.B("ATT&CK "))
	if !f.Attack.Tactic.Empty() {
		text = append(text, TacticSpans(f.Attack.Tactic, attack)...)
	}
	for i, t := range techniques {
		if i == maxCardTechniques {
			text = append(text, bot.T(" · and more"))
			break
		}
		if len(text) > 1 {
			text = append(text, bot.T(" · "))
		}
		text = append(text, techniqueSpan(t, attack))
	}
	return bot.Section{Text: text}, true
}

// TacticSpans names the tactic of ref, by its catalogue name when known.
func TacticSpans(ref bot.TechniqueRef, attack AttackCatalog) []bot.Span {
	name := ref.Enum
	if attack != nil && ref.ID != "" {
		if t, ok := attack.Tactic(ref.ID); ok {
			name = t.Name
		}
	}
	if ref.ID == "" {
		return []bot.Span{bot.T(name)}
	}
	return []bot.Span{bot.T(name + " "), bot.Link(ref.ID, bot.AttackURL(ref.ID))}
}

func techniqueSpan(ref bot.TechniqueRef, attack AttackCatalog) bot.Span {
	if ref.ID == "" {
		return bot.T(ref.Enum)
	}
	label := ref.ID
	if attack != nil {
		if t, ok := attack.Technique(ref.ID); ok {
			label += " " + t.FullName()
		}
	}
	return bot.Link(label, bot.AttackURL(ref.ID))
}

// maxIndicators bounds each indicator list on the card.
const maxIndicators = 5

func indicatorBlock(f bot.Finding) (bot.Block, bool) {
	var fields []bot.Field
	add := func(label string, values []string) {
		if len(values) == 0 {
			return
		}
		var r bot.Rich
		for i, v := range values {
			if i == maxIndicators {
				r = append(r, bot.T(" and more"))
				break
			}
			if i > 0 {
				r = append(r, bot.T(" "))
			}
			r = append(r, bot.M(v))
		}
		fields = append(fields, bot.Field{Label: label, Value: r})
	}
	add("Domains", f.Indicator.Domains)
	add("IP addresses", f.Indicator.IPs)
	add("URIs", f.Indicator.URIs)
	if len(fields) == 0 {
		return nil, false
	}
	return bot.Section{Text: bot.R(bot.B("Indicators")), Fields: fields}, true
}

// linksBlock is the card's small print: console links and the finding's
// full name, which responders copy into other tools.
func linksBlock(f bot.Finding) bot.Block {
	var links bot.Rich
	if u := bot.FindingURL(f); u != "" {
		links = append(links, bot.Link("Open in Security Command Center", u))
	}
	if u := bot.WorkloadURL(f.Target); u != "" {
		if len(links) > 0 {
			links = append(links, bot.T(" · "))
		}
		links = append(links, bot.Link("Open workload", u))
	}
	ctx := bot.Context{}
	if len(links) > 0 {
		ctx.Elements = append(ctx.Elements, links)
	}
	ctx.Elements = append(ctx.Elements, bot.R(bot.T("Finding "), bot.M(f.Name)))
	return ctx
}
