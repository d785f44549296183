package playbooks

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

var (
	techniqueID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	moduleName  = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// products a playbook may name. "other" is any finding that is neither GKE
// nor Cloud Run (VM Threat Detection, Security Health Analytics, ...).
var knownProducts = []bot.Product{bot.ProductGKE, bot.ProductCloudRun, bot.ProductOther}

// maxSummary keeps the summary one readable line.
const maxSummary = 200

// validator checks a decoded file against the rules that are not about
// shape: required fields, known names, and the query templates.
type validator struct {
	d     *decoder
	spec  *fileSpec
	known func(id string) bool
}

// errorf records a problem unless the decoder already reported the path or
// one of its parents: a value that failed to decode is not also "required".
func (v *validator) errorf(path, format string, args ...any) {
	for p := path; p != ""; p = parentPath(p) {
		if v.d.flagged[p] {
			return
		}
	}
	v.d.problems = append(v.d.problems, Problem{Field: path, Line: v.d.lineOf(path), Message: fmt.Sprintf(format, args...)})
}

func (v *validator) validate() {
	v.identity()
	v.productsList()
	v.summary()
	v.review()
	v.queries()
	v.techniques()
	v.responses()
	v.docs()
	v.steps()
}

func (v *validator) identity() {
	s := v.spec
	switch {
	case s.Generic && strings.TrimSpace(s.Category) != "":
		v.errorf("generic", "a generic playbook has no category")
	case !s.Generic && strings.TrimSpace(s.Category) == "":
		v.errorf("category", "required (or generic: true for the fallback playbook)")
	}
	for i, a := range s.Aliases {
		if strings.TrimSpace(a) == "" {
			v.errorf(index("aliases", i), "empty alias")
		}
	}
	for i, m := range s.Modules {
		if !moduleName.MatchString(m) {
			v.errorf(index("modules", i), "%s is not a module name (UPPER_SNAKE, e.g. CONTAINER_ESCAPE)", strconv.Quote(m))
		}
	}
}

func (v *validator) productsList() {
	if len(v.spec.Products) == 0 {
		v.errorf("products", "required: one or more of gke, cloud_run, other")
	}
	for i, p := range v.spec.Products {
		switch {
		case !isProduct(p):
			v.errorf(index("products", i), "unknown product %s (known: gke, cloud_run, other)", strconv.Quote(p))
		case slices.Index(v.spec.Products, p) < i:
			v.errorf(index("products", i), "%s is listed twice", p)
		}
	}
}

func (v *validator) summary() {
	s := strings.TrimSpace(v.spec.Summary)
	switch {
	case s == "":
		v.errorf("summary", "required")
	case strings.Contains(s, "\n"):
		v.errorf("summary", "must be one line")
	case len(s) > maxSummary:
		v.errorf("summary", "longer than %d characters", maxSummary)
	}
}

func (v *validator) review() {
	if len(v.spec.Review) == 0 {
		v.errorf("review", "required: the fields a responder should look at")
	}
	for i, r := range v.spec.Review {
		p := index("review", i)
		v.required(p+".label", r.Label)
		v.required(p+".why", r.Why)
		switch {
		case r.Value != "" && !isReviewValue(r.Value):
			v.errorf(p+".value", "unknown finding value %s", strconv.Quote(r.Value))
		case r.Optional && r.Value == "":
			v.errorf(p+".optional", "an optional item needs a value to be missing")
		}
		for j, pr := range r.Products {
			v.listedProduct(index(p+".products", j), pr)
		}
	}
}

func (v *validator) queries() {
	for _, pr := range sortedKeys(v.spec.Queries) {
		base := joinKey("queries", pr)
		v.listedProduct(base, pr)
		for i, q := range v.spec.Queries[pr] {
			v.query(index(base, i), q)
		}
	}
}

func (v *validator) query(p string, q querySpec) {
	v.required(p+".title", q.Title)
	if q.When != "" && !isFilterPlaceholder(q.When) {
		v.errorf(p+".when", "unknown finding value %s", strconv.Quote(q.When))
	}
	if strings.TrimSpace(q.Filter) == "" {
		v.errorf(p+".filter", "required")
		return
	}
	t, err := parseTemplate(normalizeFilter(q.Filter))
	if err != nil {
		v.errorf(p+".filter", "%s", err)
		return
	}
	rendered := t.render(sampleValues(), bot.QuoteFilter)
	if err := checkFilter(rendered); err != nil {
		v.errorf(p+".filter", "%s", err)
		return
	}
	if hasTimestamp(rendered) {
		v.errorf(p+".filter", "no timestamp restrictions: the bot bounds every query by the finding's time window")
	}
}

func (v *validator) techniques() {
	if len(v.spec.Techniques) == 0 && !v.spec.Generic {
		v.errorf("techniques", "required: the ATT&CK techniques of the finding")
	}
	for i, id := range v.spec.Techniques {
		p := index("techniques", i)
		switch {
		case !techniqueID.MatchString(id):
			v.errorf(p, "%s is not an ATT&CK technique id (T1234 or T1234.567)", strconv.Quote(id))
		case slices.Index(v.spec.Techniques, id) < i:
			v.errorf(p, "%s is listed twice", id)
		case v.known != nil && !v.known(id):
			v.errorf(p, "%s is not in the ATT&CK catalogue", id)
		}
	}
}

func (v *validator) responses() {
	for _, pr := range v.spec.Products {
		if isProduct(pr) && len(v.spec.Responses[pr]) == 0 {
			v.errorf(joinKey("responses", pr), "required: the responses that fit on %s", pr)
		}
	}
	for _, pr := range sortedKeys(v.spec.Responses) {
		base := joinKey("responses", pr)
		if !v.listedProduct(base, pr) {
			continue
		}
		v.responseList(base, bot.Product(pr), v.spec.Responses[pr])
	}
}

func (v *validator) responseList(base string, pr bot.Product, rs []responseSpec) {
	suggested := 0
	var seen []string
	for i, r := range rs {
		p := index(base, i) + ".action"
		switch {
		case !isAction(r.Action):
			v.errorf(p, "unknown action %s (known: %s)", strconv.Quote(r.Action), strings.Join(Actions(), ", "))
		case !actionFits(r.Action, pr):
			v.errorf(p, "%s does not apply to %s", r.Action, pr)
		case slices.Contains(seen, r.Action):
			v.errorf(p, "%s is listed twice", r.Action)
		}
		seen = append(seen, r.Action)
		if r.Suggested {
			suggested++
		}
	}
	if len(rs) > 0 && suggested != 1 {
		v.errorf(base, "exactly one response must be suggested, found %d", suggested)
	}
}

func (v *validator) docs() {
	for _, pr := range sortedKeys(v.spec.Docs) {
		p := joinKey("docs", pr)
		v.listedProduct(p, pr)
		u, err := url.Parse(v.spec.Docs[pr].URL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			v.errorf(p+".url", "must be an https URL")
		}
	}
}

func (v *validator) steps() {
	for _, k := range sortedKeys(v.spec.Steps) {
		p := joinKey("steps", k)
		if k != "all" {
			v.listedProduct(p, k)
		}
		for i, s := range v.spec.Steps[k] {
			v.required(index(p, i), s)
		}
	}
}

func (v *validator) required(path, s string) {
	if strings.TrimSpace(s) == "" {
		v.errorf(path, "required")
	}
}

// listedProduct checks that a product key is one the playbook lists.
func (v *validator) listedProduct(path, pr string) bool {
	switch {
	case !isProduct(pr):
		v.errorf(path, "unknown product %s (known: gke, cloud_run, other)", strconv.Quote(pr))
	case !slices.Contains(v.spec.Products, pr):
		v.errorf(path, "%s is not in products", pr)
	default:
		return true
	}
	return false
}

func isProduct(s string) bool { return slices.Contains(knownProducts, bot.Product(s)) }

func isAction(s string) bool { return slices.Contains(Actions(), s) }

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// normalizeFilter trims every line and drops empty ones, so that YAML
// block scalars and indentation do not reach the query.
func normalizeFilter(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// sampleValues fill every placeholder for linting.
func sampleValues() values {
	v := values{}
	for _, p := range filterPlaceholders {
		v[p] = "sample-" + p
	}
	return v
}

func hasTimestamp(filter string) bool {
	for _, line := range strings.Split(filter, "\n") {
		if r, err := parseRestriction(line); err == nil && r.Field == "timestamp" {
			return true
		}
	}
	return false
}
