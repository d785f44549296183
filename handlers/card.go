package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// AttackCatalog names ATT&CK tactics and techniques.
type AttackCatalog interface {
	Technique(id string) (bot.Technique, bool)
	Tactic(id string) (bot.Tactic, bool)
}

// CardButtons supplies the buttons of a finding's card. Capabilities add
// their buttons here, so the card never shows a button that does nothing.
type CardButtons func(f bot.Finding) []bot.Button

// maxCardArgs bounds the arguments put on a card; the renderer cuts the
// text further to the platform's limits.
const maxCardArgs = 400

// CardState is what is happening to a finding, shown at the foot of its
// card: work in progress and lines such as who acknowledged it.
type CardState struct {
	Running []Running
	Notes   []bot.Rich
	// Group is set when the card stands for a group of findings.
	Group *bot.Group
}

// Card builds the message that announces a finding. Every string from the
// finding goes into the message as literal text; the renderer escapes it.
func Card(f bot.Finding, attack AttackCatalog, buttons CardButtons, state CardState) bot.Message {
	m := bot.Message{Text: cardText(f)}
	header := SeverityIcon(f.Severity) + " " + f.Severity.Label() + " · " + bot.CategoryOf(f)
	if g := state.Group; g != nil {
		header = SeverityIcon(g.Worst) + " " + g.Worst.Label() + " · " + bot.CategoryOf(f) + fmt.Sprintf(" ×%d", g.Count)
	}
	m.Blocks = append(m.Blocks, bot.Header{Text: header})
	if g := state.Group; g != nil {
		m.Blocks = append(m.Blocks, groupSection(*g))
	}
	m.Blocks = append(m.Blocks, bot.Section{Fields: cardFields(f)})
	m.Blocks = append(m.Blocks, ProcessBlocks(f)...)
	if b, ok := hashBlock(f); ok {
		m.Blocks = append(m.Blocks, b)
	}
	if b, ok := attackBlock(f, attack); ok {
		m.Blocks = append(m.Blocks, b)
	}
	if b, ok := indicatorBlock(f); ok {
		m.Blocks = append(m.Blocks, b)
	}
	m.Blocks = append(m.Blocks, linksBlock(f))
	if buttons != nil {
		if bs := buttons(f); len(bs) > 0 {
			m.Blocks = append(m.Blocks, bot.Actions{Buttons: bs})
		}
	}
	if b, ok := stateBlock(state); ok {
		m.Blocks = append(m.Blocks, b)
	}
	return m
}

// stateBlock lists work in progress and the card's notes.
func stateBlock(s CardState) (bot.Block, bool) {
	var lines []bot.Rich
	for _, r := range s.Running {
		lines = append(lines, bot.R(bot.T("⏳ "+r.Label+" running, asked by "), bot.Mention(r.UserID),
			bot.T(" at "+InDisplayZone(r.Since).Format("15:04:05 MST"))))
	}
	lines = append(lines, s.Notes...)
	if len(lines) == 0 {
		return nil, false
	}
	return bot.Context{Elements: lines}, true
}

func cardText(f bot.Finding) string {
	s := f.Severity.Label() + " finding: " + bot.CategoryOf(f)
	if p := f.Project(); p != "" {
		s += " in " + p
	}
	return s
}

// SeverityIcon is the emoji that leads a line about a finding of severity s.
func SeverityIcon(s bot.Severity) string {
	switch s {
	case bot.SeverityCritical:
		return "🔴"
	case bot.SeverityHigh:
		return "🟠"
	case bot.SeverityMedium:
		return "🟡"
	case bot.SeverityLow:
		return "🔵"
	}
	return "⚪"
}

func cardFields(f bot.Finding) []bot.Field {
	fields := []bot.Field{
		{Label: "Project", Value: monoOr(f.Project(), "unknown")},
		{Label: "Product", Value: bot.R(bot.T(productLabel(f)))},
	}
	fields = append(fields, targetFields(f)...)
	if c := containerName(f); c != "" {
		fields = append(fields, bot.Field{Label: "Container", Value: bot.R(bot.M(c))})
	}
	if img := f.Image(); img != "" {
		fields = append(fields, bot.Field{Label: "Image", Value: bot.R(bot.M(img))})
	}
	fields = append(fields,
		bot.Field{Label: "Event time", Value: bot.R(bot.T(FormatTime(f.EventTime)))},
		bot.Field{Label: "State", Value: bot.R(bot.T(StateLabel(f)))},
	)
	return fields
}

func productLabel(f bot.Finding) string {
	label := ProductOf(f).Label()
	if f.Source != "" {
		label += " · " + f.Source
	}
	return label
}

func monoOr(s, fallback string) bot.Rich {
	if s == "" {
		return bot.R(bot.I(fallback))
	}
	return bot.R(bot.M(s))
}

// targetFields describe where the workload runs, product by product.
func targetFields(f bot.Finding) []bot.Field {
	t := f.Target
	switch t.Product {
	case bot.ProductGKE:
		return gkeFields(t)
	case bot.ProductCloudRun:
		return cloudRunFields(t)
	}
	if f.Resource.Name == "" {
		return nil
	}
	return []bot.Field{{Label: "Resource", Value: bot.R(bot.M(f.Resource.Name))}}
}

func gkeFields(t bot.Target) []bot.Field {
	var out []bot.Field
	if t.Cluster != "" {
		v := bot.R(bot.M(t.Cluster))
		if t.Location != "" {
			v = append(v, bot.T(" ("+t.Location+")"))
		}
		out = append(out, bot.Field{Label: "Cluster", Value: v})
	}
	switch {
	case t.Namespace != "" && t.Pod != "":
		out = append(out, bot.Field{Label: "Namespace / pod", Value: bot.R(bot.M(t.Namespace), bot.T(" / "), bot.M(t.Pod))})
	case t.Pod != "":
		out = append(out, bot.Field{Label: "Pod", Value: bot.R(bot.M(t.Pod))})
	case t.Namespace != "":
		out = append(out, bot.Field{Label: "Namespace", Value: bot.R(bot.M(t.Namespace))})
	}
	if t.Node != "" {
		out = append(out, bot.Field{Label: "Node", Value: bot.R(bot.M(t.Node))})
	}
	return out
}

func cloudRunFields(t bot.Target) []bot.Field {
	var out []bot.Field
	where := ""
	if t.Location != "" {
		where = " (" + t.Location + ")"
	}
	switch {
	case t.Service != "":
		out = append(out, bot.Field{Label: "Service", Value: bot.R(bot.M(t.Service), bot.T(where))})
	case t.Job != "":
		out = append(out, bot.Field{Label: "Job", Value: bot.R(bot.M(t.Job), bot.T(where))})
	}
	if t.Revision != "" {
		out = append(out, bot.Field{Label: "Revision", Value: bot.R(bot.M(t.Revision))})
	}
	if t.Execution != "" {
		out = append(out, bot.Field{Label: "Execution", Value: bot.R(bot.M(t.Execution))})
	}
	return out
}

func containerName(f bot.Finding) string {
	if f.Target.Container != "" {
		return f.Target.Container
	}
	for _, c := range f.Containers {
		if c.Name != "" {
			return c.Name
		}
	}
	return ""
}

// FormatTime writes t in the display zone, as every message does.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return InDisplayZone(t).Format("2006-01-02 15:04:05 MST")
}

// StateLabel is how a card names a finding's state and mute.
func StateLabel(f bot.Finding) string {
	s := f.State
	if s == "" {
		s = "STATE_UNSPECIFIED"
	}
	if f.Mute == "MUTED" {
		s += " · muted"
	}
	return s
}

// ProcessBlocks show the binary and its arguments as a shell command line.
func ProcessBlocks(f bot.Finding) []bot.Block {
	p, ok := f.Process()
	if !ok || (p.Binary == "" && len(p.Args) == 0) {
		return nil
	}
	args, note := p.Args, ""
	if len(args) > maxCardArgs {
		note = fmt.Sprintf("%d arguments, first %d shown", len(p.Args), maxCardArgs)
		args = args[:maxCardArgs]
	}
	if p.ArgsTruncated {
		note = strings.TrimPrefix(note+"; SCC truncated the argument list", "; ")
	}
	label := "Process"
	if len(f.Processes) > 1 {
		label = fmt.Sprintf("Process (1 of %d)", len(f.Processes))
	}
	return []bot.Block{
		bot.Section{Text: bot.R(bot.B(label))},
		bot.Code{Text: bot.CommandLine(p.Binary, args), Truncated: note != "", Note: note},
	}
}

func hashBlock(f bot.Finding) (bot.Block, bool) {
	sha := f.SHA256()
	if sha == "" {
		return nil, false
	}
	text := bot.R(bot.B("SHA-256 "), bot.M(sha))
	if u := bot.VirusTotalURL(sha); u != "" {
		text = append(text, bot.T(" · "), bot.Link("VirusTotal", u))
	}
	return bot.Section{Text: text}, true
}

// groupSection sums up the findings a group card stands for.
func groupSection(g bot.Group) bot.Block {
	text := bot.R(bot.T("🔁 "), bot.B(fmt.Sprintf("%d findings", g.Count)),
		bot.T(" like this one from "+FormatTime(g.First)+" to "+FormatTime(g.Last)+"; the card shows the first, the thread lists them all."))
	text = append(text, valueList("\nPods", g.Pods, g.MorePods)...)
	text = append(text, valueList("\nBinaries", g.Binaries, g.MoreBinaries)...)
	return bot.Section{Text: text}
}

func valueList(label string, vals []string, more int) []bot.Span {
	if len(vals) == 0 {
		return nil
	}
	spans := []bot.Span{bot.T(label + fmt.Sprintf(" (%d): ", len(vals)+more))}
	for i, v := range vals {
		if i > 0 {
			spans = append(spans, bot.T(", "))
		}
		spans = append(spans, bot.M(v))
	}
	if more > 0 {
		spans = append(spans, bot.T(fmt.Sprintf(" and %d more", more)))
	}
	return spans
}
