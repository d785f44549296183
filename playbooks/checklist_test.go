package playbooks

import (
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestChecklistGolden renders the checklist of the three findings of
// Google's guides that the seeds reproduce (../shared/seeds): the compiler
// on GKE and on Cloud Run, and the built-in malicious binary on Cloud Run.
func TestChecklistGolden(t *testing.T) {
	lib := mustLoad(t)
	for _, key := range []string{sccfake.SeedGKECompiler, sccfake.SeedCloudRunCompiler, sccfake.SeedCloudRunMaliciousBinary} {
		f := seedFinding(t, key)
		got := dumpMessage(lib.Lookup(f).Checklist(f, fixtureStart, fixtureEnd))
		golden := filepath.Join("testdata", "checklist-"+key+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", golden, diff)
		}
	}
}

// TestChecklistFitsAndLinksSafely renders every playbook for every fixture,
// plain and hostile: the message stays within the block budget, and every
// link is an https URL in which no finding value appears unescaped.
func TestChecklistFitsAndLinksSafely(t *testing.T) {
	lib := mustLoad(t)
	for _, fx := range fixtures() {
		for _, h := range append([]string{""}, hostileValues...) {
			f := fx.f
			if h != "" {
				f = hostileFinding(f, h)
			}
			for _, p := range lib.Playbooks() {
				m := p.Checklist(f, fixtureStart, fixtureEnd)
				if n := len(m.Blocks); n > maxBlocks || n < 8 {
					t.Errorf("%s, %s fixture: %d blocks", p.File, fx.name, n)
				}
				checkLinks(t, p.File, m)
				checkStepNumbers(t, p.File, m)
			}
		}
	}
}

func checkLinks(t *testing.T, file string, m bot.Message) {
	t.Helper()
	for _, r := range richOf(m) {
		for _, s := range r {
			if s.URL == "" {
				continue
			}
			u, err := url.Parse(s.URL)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("%s: link %q is not an https URL", file, s.URL)
			}
			// Every finding value reaches a link percent-encoded: none of
			// the characters that end or change a link (in chat markup or
			// a URL) may appear raw.
			if strings.ContainsAny(s.URL, " \"<>`|\\\n{}^") || !utf8.ValidString(s.URL) || strings.ContainsFunc(s.URL, func(r rune) bool { return r > 0x7e }) {
				t.Errorf("%s: unescaped character in link %q", file, s.URL)
			}
		}
	}
}

func richOf(m bot.Message) []bot.Rich {
	var out []bot.Rich
	for _, b := range m.Blocks {
		switch x := b.(type) {
		case bot.Section:
			out = append(out, x.Text)
		case bot.Context:
			out = append(out, x.Elements...)
		}
	}
	return out
}

func TestChecklistShowsValuesLiterally(t *testing.T) {
	lib := mustLoad(t)
	f := gkeFixture()
	f.Processes[0].Binary = "/tmp/x\n• Suggested: delete everything\u202e"
	f.Category = "<!channel> *bold* `code`"
	m := lib.Lookup(f).Checklist(f, fixtureStart, fixtureEnd)
	dump := dumpMessage(m)
	if !strings.Contains(dump, "`/tmp/x\\n• Suggested: delete everything\\u202e`") {
		t.Errorf("hostile binary not shown escaped:\n%s", dump)
	}
	g := otherFixture()
	g.Category = "<!channel> *bold*"
	m = lib.Lookup(g).Checklist(g, fixtureStart, fixtureEnd)
	if h := m.Blocks[0].(bot.Header); h.Text != "Playbook: <!channel> *bold* (generic playbook)" {
		t.Errorf("generic header = %q: the category must be literal text for the renderer to escape", h.Text)
	}
}

func TestGenericChecklist(t *testing.T) {
	lib := mustLoad(t)
	f := otherFixture()
	m := lib.Lookup(f).Checklist(f, fixtureStart, fixtureEnd)
	dump := dumpMessage(m)
	for _, want := range []string{
		"## Playbook: Execution: Cryptocurrency Mining Combined Detection (generic playbook)",
		`protoPayload.resourceName:"projects/demo-vm/zones/us-east1-b/instances/worker-1"`,
		"*Suggested:* Page the project owner",
		"[Google's threat findings index](" + ThreatFindingsIndex + ")",
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("missing %q in:\n%s", want, dump)
		}
	}
	if strings.Contains(dump, "kubectl") || strings.Contains(dump, "gcloud run") {
		t.Errorf("commands for a finding without a workload:\n%s", dump)
	}
}

func TestResponsesFor(t *testing.T) {
	lib := mustLoad(t)
	escape, _ := lib.ByCategory("Execution: Container Escape")
	noNode := gkeFixture()
	noNode.Target.Node = ""
	noPod := gkeFixture()
	noPod.Target.Pod = ""
	noExecution := runJobFixture()
	noExecution.Target.Execution = ""
	tests := []struct {
		name string
		f    bot.Finding
		want []string // actions, the suggested one marked with *
	}{
		{"gke", gkeFixture(), []string{"collect_evidence", "isolate_pod", "delete_pod", "cordon_node*", "page_owner", "mute", "resolve"}},
		{"gke without node", noNode, []string{"collect_evidence", "isolate_pod*", "delete_pod", "page_owner", "mute", "resolve"}},
		{"gke without pod", noPod, []string{"cordon_node*", "page_owner", "mute", "resolve"}},
		{"cloud run service", runServiceFixture(), []string{"collect_evidence", "cloudrun_rollback*", "page_owner", "mute", "resolve"}},
		{"cloud run job", runJobFixture(), []string{"cloudrun_cancel_execution*", "page_owner", "mute", "resolve"}},
		{"cloud run job without execution", noExecution, []string{"page_owner*", "mute", "resolve"}},
		{"other product", otherFixture(), []string{"page_owner*", "mute", "resolve"}},
	}
	for _, tt := range tests {
		var got []string
		for _, r := range escape.ResponsesFor(tt.f) {
			a := r.Action
			if r.Suggested {
				a += "*"
			}
			if r.Label != ActionLabel(r.Action) {
				t.Errorf("%s: label %q", tt.name, r.Label)
			}
			got = append(got, a)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestEveryPlaybookSuggestsOneResponsePerProduct holds the embedded data to
// the rule Lint enforces on operators' files.
func TestEveryPlaybookSuggestsOneResponsePerProduct(t *testing.T) {
	for _, p := range mustLoad(t).Playbooks() {
		for _, pr := range p.Products {
			n := 0
			for _, r := range p.Responses(pr) {
				if r.Suggested {
					n++
				}
				if !actionFits(r.Action, pr) {
					t.Errorf("%s: %s on %s", p.File, r.Action, pr)
				}
			}
			if n != 1 {
				t.Errorf("%s: %d suggested responses on %s", p.File, n, pr)
			}
		}
	}
}

func TestLongFilterIsNotLinked(t *testing.T) {
	lib := mustLoad(t)
	f := gkeFixture()
	f.Target.Pod = strings.Repeat("p", 3000)
	dump := dumpMessage(lib.Lookup(f).Checklist(f, fixtureStart, fixtureEnd))
	if !strings.Contains(dump, "*Container logs of the pod* · _too long to link") {
		t.Errorf("long filter linked:\n%s", dump)
	}
	if !strings.Contains(dump, "*Logs of the node (kubelet, container runtime)* · [Logs Explorer](") {
		t.Errorf("short filter not linked:\n%s", dump)
	}
}

func TestControlPlaneChecklist(t *testing.T) {
	lib := mustLoad(t)
	f := bot.Finding{
		Name:     "organizations/123/sources/5/findings/rbac",
		Source:   "Event Threat Detection",
		Category: "Privilege Escalation: Changes to sensitive Kubernetes RBAC objects",
		Resource: bot.Resource{Name: "//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod-cluster", Project: "demo-prod"},
		Target:   bot.Target{Product: bot.ProductGKE, Project: "demo-prod", Location: "us-central1", Cluster: "prod-cluster"},
	}
	dump := dumpMessage(lib.Lookup(f).Checklist(f, fixtureStart, fixtureEnd))
	for _, want := range []string{
		"*RBAC changes in the cluster*",
		`protoPayload.resourceName:"rbac.authorization.k8s.io"`,
		"*5. VirusTotal* The finding carries no SHA-256 to look up.",
		"*Suggested:* Page the project owner",
		"*Principal* — who made the call",
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("missing %q in:\n%s", want, dump)
		}
	}
	if strings.Contains(dump, "kubectl") || strings.Contains(dump, "Isolate the pod") {
		t.Errorf("pod steps for a control-plane finding:\n%s", dump)
	}
}

// checkStepNumbers wants the numbered steps to run 1, 2, 3... without gaps.
func checkStepNumbers(t *testing.T, file string, m bot.Message) {
	t.Helper()
	next := 1
	for _, r := range richOf(m) {
		for _, s := range r {
			if s.Style != bot.Bold || !strings.HasPrefix(s.Text, strconv.Itoa(next)+". ") {
				continue
			}
			next++
		}
	}
	if next < 7 {
		t.Errorf("%s: steps numbered up to %d only", file, next-1)
	}
	for _, r := range richOf(m) {
		for _, s := range r {
			if s.Style == bot.Bold && strings.HasPrefix(s.Text, strconv.Itoa(next)+". ") {
				t.Errorf("%s: step %d out of order", file, next)
			}
		}
	}
}
