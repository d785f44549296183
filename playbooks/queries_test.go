package playbooks

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// TestEveryQueryRendersWellFormed renders every query of every playbook
// for a realistic finding of each product: each filter is one restriction
// a line, and no query that applies to the fixture is skipped.
func TestEveryQueryRendersWellFormed(t *testing.T) {
	lib := mustLoad(t)
	for _, fx := range fixtures() {
		for _, p := range lib.Playbooks() {
			f := fx.f
			qs, missing := p.Queries(f, fixtureStart, fixtureEnd, 50)
			covered := slices.Contains(p.Products, productOf(f))
			if covered && len(missing) > 0 {
				t.Errorf("%s, %s fixture: missing %q", p.File, fx.name, missing)
			}
			if covered && len(qs) == 0 {
				t.Errorf("%s, %s fixture: no query", p.File, fx.name)
			}
			for _, q := range qs {
				if err := checkFilter(q.Filter); err != nil {
					t.Errorf("%s, %s fixture, %q: %v\n%s", p.File, fx.name, q.Title, err, q.Filter)
				}
				want := bot.LogQuery{Title: q.Title, Project: f.Project(), Filter: q.Filter, Start: fixtureStart, End: fixtureEnd, Limit: 50}
				if diff := cmp.Diff(want, q); diff != "" {
					t.Errorf("%s: query fields (-want +got):\n%s", p.File, diff)
				}
			}
		}
	}
}

func TestQueriesRenderFindingValues(t *testing.T) {
	lib := mustLoad(t)
	p, _ := lib.ByCategory("Reverse Shell")
	qs, missing := p.Queries(gkeFixture(), fixtureStart, fixtureEnd, 10)
	if len(missing) > 0 || len(qs) != 4 {
		t.Fatalf("got %d queries, missing %q", len(qs), missing)
	}
	want := `logName="projects/demo-prod/logs/cloudaudit.googleapis.com%2Factivity"
resource.type="k8s_cluster"
resource.labels.location="us-central1"
resource.labels.cluster_name="prod-cluster"
protoPayload.resourceName:"payments"
protoPayload.resourceName:"checkout-7d9f8b6c5-x2x9q"`
	if diff := cmp.Diff(want, qs[1].Filter); diff != "" {
		t.Errorf("audit filter (-want +got):\n%s", diff)
	}
}

func TestQueriesNameMissingValues(t *testing.T) {
	lib := mustLoad(t)
	p, _ := lib.ByCategory("Reverse Shell")
	f := gkeFixture()
	f.Target.Node = ""
	qs, missing := p.Queries(f, fixtureStart, fixtureEnd, 10)
	want := []string{
		"Logs of the node (kubelet, container runtime): the finding has no node name",
		"Serial console of the node VM: the finding has no node name",
	}
	if diff := cmp.Diff(want, missing); diff != "" || len(qs) != 2 {
		t.Errorf("%d queries; missing (-want +got):\n%s", len(qs), diff)
	}
	f.Target.Project, f.Resource.Project = "", ""
	if qs, missing := p.Queries(f, fixtureStart, fixtureEnd, 10); len(qs) != 0 || len(missing) != 4 {
		t.Errorf("without a project: %d queries, missing %q", len(qs), missing)
	}
	// A job finding skips the service's queries quietly: they do not apply.
	qs, missing = p.Queries(runJobFixture(), fixtureStart, fixtureEnd, 10)
	if got := titles(qs); len(missing) > 0 || !slices.Equal(got, []string{"Logs of the job", "Logs of the execution", "Admin activity on the job (who changed it)"}) {
		t.Errorf("job finding: queries %q, missing %q", got, missing)
	}
	gkeOnly, _ := lib.ByCategory("Added Binary Executed")
	if qs, missing := gkeOnly.Queries(runServiceFixture(), fixtureStart, fixtureEnd, 10); len(qs) != 0 || len(missing) != 1 {
		t.Errorf("GKE-only playbook for a Cloud Run finding: %d queries, missing %q", len(qs), missing)
	}
}

// hostileValues are finding values chosen to break out of a filter
// literal, a shell word or a chat message.
var hostileValues = []string{
	`a"b`,
	`back\slash\`,
	"new\nline\r\n",
	`" OR resource.type="gce_instance`,
	"x\"\nOR resource.type=\"gce_instance",
	"<!channel> <@U123|x>",
	"`touch /tmp/pwned`",
	"$(touch /tmp/pwned)",
	"a; touch /tmp/pwned #",
	"bad\xff\xfeutf8",
	`\" OR \"`,
	"{{pod}}",
	"\u202eevil",
}

func hostileFinding(base bot.Finding, h string) bot.Finding {
	f := base
	t := &f.Target
	for _, p := range []*string{&t.Project, &t.Location, &t.Cluster, &t.Namespace, &t.Pod, &t.Node,
		&t.Container, &t.Service, &t.Revision, &t.Job, &t.Execution, &f.Resource.Name, &f.Resource.Project} {
		if *p != "" {
			*p = h
		}
	}
	f.Processes = []bot.Process{{Binary: h, Args: []string{h, h}}}
	f.Containers = []bot.Container{{Name: h, ImageURI: h}}
	f.Category = h
	return f
}

// TestHostileValuesStayInsideOneLiteral renders every query of every
// playbook with every finding value set to a hostile string: each filter
// keeps one restriction a line, as many lines as its template, and each
// line that names a value holds it as exactly one quoted literal.
func TestHostileValuesStayInsideOneLiteral(t *testing.T) {
	lib := mustLoad(t)
	for _, h := range hostileValues {
		for _, fx := range fixtures() {
			f := hostileFinding(fx.f, h)
			for _, p := range lib.Playbooks() {
				for _, q := range p.queries[productOf(f)] {
					checkHostileQuery(t, p, q, valuesOf(f), h)
				}
			}
		}
	}
}

func checkHostileQuery(t *testing.T, p *Playbook, q query, vals values, h string) {
	t.Helper()
	if absentAny(vals, q.needs) {
		return
	}
	rendered := q.tmpl.render(vals, bot.QuoteFilter)
	src, got := strings.Split(q.src, "\n"), strings.Split(rendered, "\n")
	if len(src) != len(got) {
		t.Fatalf("%s %q with %q: %d lines, template has %d:\n%s", p.File, q.title, h, len(got), len(src), rendered)
	}
	for i, line := range got {
		r, err := parseRestriction(line)
		if err != nil {
			t.Fatalf("%s %q with %q: line %d: %v\n%s", p.File, q.title, h, i+1, err, rendered)
		}
		if !strings.Contains(src[i], "{{") {
			continue
		}
		if len(r.Values) != 1 || !strings.HasPrefix(r.Values[0], `"`) {
			t.Fatalf("%s %q: line %q: value is not one quoted literal", p.File, q.title, line)
		}
		if lit := unquoteFilter(r.Values[0]); !strings.Contains(lit, sanitized(h)) {
			t.Errorf("%s %q: literal %q does not hold the value %q", p.File, q.title, lit, sanitized(h))
		}
	}
}

func absentAny(vals values, needs []string) bool { return len(absent(vals, needs)) > 0 }

// unquoteFilter reverses bot.QuoteFilter.
func unquoteFilter(lit string) string {
	s := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// sanitized is what survives quoting: QuoteFilter drops control
// characters and reads each invalid UTF-8 byte as U+FFFD, as range does.
func sanitized(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsControl(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestExplorerURL(t *testing.T) {
	filter := "resource.type=\"k8s_container\"\nresource.labels.project_id=\"demo prod\""
	got := ExplorerURL("demo-prod", filter, fixtureStart, fixtureEnd)
	want := "https://console.cloud.google.com/logs/query;query=resource.type%3D%22k8s_container%22%0Aresource.labels.project_id%3D%22demo%20prod%22" +
		";timeRange=2026-11-20T10%3A00%3A30Z%2F2026-11-20T10%3A30%3A30Z?project=demo-prod"
	if got != want {
		t.Errorf("ExplorerURL =\n%s\nwant\n%s", got, want)
	}
	if got := ExplorerURL("p;x?y", "a=(b) OR c!*'~", time.Time{}, time.Time{}); got != consoleBase+"/logs/query;query=a%3D(b)%20OR%20c!*'~?project=p%3Bx%3Fy" {
		t.Errorf("ExplorerURL without a window = %s", got)
	}
}
