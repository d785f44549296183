package playbooks

import (
	"slices"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Playbook is the response procedure for one finding category, or the
// generic one for findings no other playbook covers. It is read-only after
// loading and safe for concurrent use.
type Playbook struct {
	// Category is the category as SCC writes it in finding.category; it is
	// empty for the generic playbook.
	Category string
	Generic  bool
	Aliases  []string
	Modules  []string
	Sources  []string
	Products []bot.Product
	Summary  string
	Review   []ReviewItem
	// Techniques are ATT&CK technique ids such as T1611 or T1027.004.
	Techniques []string
	Docs       map[bot.Product]Doc
	// File is where the playbook was read: data/NAME.yaml for an embedded
	// one, the operator's path otherwise.
	File string

	embedded  bool
	queries   map[bot.Product][]query
	responses map[bot.Product][]Response
	steps     map[string][]string
}

// ReviewItem is a field of the finding a responder should look at.
type ReviewItem struct {
	Label string
	// Value names the finding value shown next to the label ("binary",
	// "pod", ...); empty when the bot does not decode it.
	Value string
	// JSON is where the field is in the finding's JSON.
	JSON string
	Why  string
	// Optional items are left out when the finding lacks the value (the
	// job of a service finding).
	Optional bool
	// Products limits the item to these products; empty means all.
	Products []bot.Product
}

// Doc is Google's page about the finding.
type Doc struct {
	URL string
	// Verified is set when the URL was seen to exist.
	Verified bool
}

// Response is an action that fits the finding. Label says what it does.
type Response struct {
	Action    string
	Suggested bool
	Label     string
}

type query struct {
	// src is the filter as written, one restriction a line.
	src   string
	title string
	when  string
	// needs are the values the filter uses, project first: a query runs in
	// a project.
	needs []string
	tmpl  template
}

// ThreatFindingsIndex is Google's list of every threat finding, with links
// to their pages.
const ThreatFindingsIndex = "https://cloud.google.com/security-command-center/docs/threat-findings-index"

// Title names the playbook for people.
func (p *Playbook) Title() string {
	if p.Generic {
		return "Generic playbook"
	}
	return p.Category
}

// Doc returns Google's page for the finding on product, or the page of any
// product when that one has none.
func (p *Playbook) Doc(product bot.Product) (Doc, bool) {
	if d, ok := p.Docs[product]; ok {
		return d, true
	}
	for _, pr := range p.Products {
		if d, ok := p.Docs[pr]; ok {
			return d, true
		}
	}
	return Doc{}, false
}

// DocURL is Google's page for the finding on product, or the threat
// findings index when the playbook names none.
func (p *Playbook) DocURL(product bot.Product) string {
	if d, ok := p.Doc(product); ok {
		return d.URL
	}
	return ThreatFindingsIndex
}

// Steps are the checks specific to this finding on product.
func (p *Playbook) Steps(product bot.Product) []string {
	return append(append([]string(nil), p.steps["all"]...), p.steps[string(product)]...)
}

// Queries renders the playbook's log queries for f's product with f's
// values, each bounded by start and end and limited to limit entries.
// Queries that need a value f does not have are left out and named in
// missing, e.g. "Node logs: the finding has no node name".
func (p *Playbook) Queries(f bot.Finding, start, end time.Time, limit int) (qs []bot.LogQuery, missing []string) {
	product := productOf(f)
	list, ok := p.queries[product]
	if !ok {
		return nil, []string{"this playbook has no log queries for " + product.Label() + " findings"}
	}
	vals := valuesOf(f)
	for _, q := range list {
		if q.when != "" && vals[q.when] == "" {
			continue
		}
		if gaps := absent(vals, q.needs); len(gaps) > 0 {
			missing = append(missing, q.title+": the finding has no "+strings.Join(gaps, " or "))
			continue
		}
		qs = append(qs, bot.LogQuery{
			Title: q.title, Project: vals["project"], Filter: q.tmpl.render(vals, bot.QuoteFilter),
			Start: start, End: end, Limit: limit,
		})
	}
	return qs, missing
}

// absent names the values in needs that vals lacks.
func absent(vals values, needs []string) []string {
	var out []string
	for _, n := range needs {
		if name := valueName(n); vals[n] == "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
