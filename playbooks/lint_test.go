package playbooks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// testdata/broken holds one file per mistake (two for the clashes between
// files). Each line below is the exact problem Lint must report for it.
var brokenWant = []string{
	`testdata/broken/alias-clash.yaml:2: aliases[0]: "Reverse Shell" is already used by data/reverse-shell.yaml (category)`,
	`testdata/broken/bad-doc-url.yaml:16: docs.gke.url: must be an https URL`,
	`testdata/broken/bad-technique.yaml:14: techniques[1]: "t1059" is not an ATT&CK technique id (T1234 or T1234.567)`,
	`testdata/broken/bad-type.yaml:14: techniques: expected a list, found "T1611"`,
	`testdata/broken/dup-category-b.yaml:1: category: "test:   good twin" is already used by testdata/broken/dup-category-a.yaml (category)`,
	`testdata/broken/empty.yaml: the file is empty`,
	`testdata/broken/generic-two.yaml:1: generic: another generic playbook is in testdata/broken/generic-one.yaml`,
	`testdata/broken/generic-with-category.yaml:1: generic: a generic playbook has no category`,
	`testdata/broken/missing-responses.yaml:15: responses.cloud_run: required: the responses that fit on cloud_run`,
	`testdata/broken/missing-summary.yaml: summary: required`,
	`testdata/broken/module-clash.yaml:2: modules[0]: REVERSE_SHELL is already used by data/reverse-shell.yaml (modules[0])`,
	`testdata/broken/none-suggested.yaml:16: responses.gke: exactly one response must be suggested, found 0`,
	`testdata/broken/quoted-placeholder.yaml:11: queries.gke[0].filter: placeholder {{pod}} inside a quoted string: write it unquoted, the bot quotes the value`,
	`testdata/broken/syntax.yaml:4: invalid YAML: did not find expected ',' or ']'`,
	`testdata/broken/timestamp.yaml:11: queries.gke[0].filter: no timestamp restrictions: the bot bounds every query by the finding's time window`,
	`testdata/broken/two-restrictions.yaml:11: queries.gke[0].filter: line 1: unexpected "OR resource.type=\"gce_in…" after the value: one restriction a line`,
	`testdata/broken/two-suggested.yaml:16: responses.gke: exactly one response must be suggested, found 2`,
	`testdata/broken/unbalanced-quote.yaml:11: queries.gke[0].filter: line 1: unbalanced quotes`,
	`testdata/broken/unbalanced.yaml:11: queries.gke[0].filter: line 1: unbalanced parentheses`,
	`testdata/broken/unknown-action.yaml:19: responses.gke[1].action: unknown action "kill_pod" (known: collect_evidence, isolate_pod, delete_pod, cordon_node, cloudrun_rollback, cloudrun_cancel_execution, page_owner, mute, resolve)`,
	`testdata/broken/unknown-key.yaml:3: owner: unknown key`,
	`testdata/broken/unknown-placeholder.yaml:11: queries.gke[0].filter: unknown placeholder {{podname}}`,
	`testdata/broken/unknown-product.yaml:2: products[1]: unknown product "kubernetes" (known: gke, cloud_run, other)`,
	`testdata/broken/unknown-review-value.yaml:6: review[0].value: unknown finding value "podname"`,
	`testdata/broken/unknown-technique.yaml:14: techniques[1]: T1999 is not in the ATT&CK catalogue`,
	`testdata/broken/wrong-product-action.yaml:19: responses.gke[1].action: cloudrun_rollback does not apply to gke`,
}

func TestLintNamesFileFieldAndLine(t *testing.T) {
	known := func(id string) bool { return id != "T1999" }
	var got []string
	for _, p := range Lint("testdata/broken", known) {
		got = append(got, p.String())
	}
	if diff := cmp.Diff(brokenWant, got); diff != "" {
		t.Errorf("Lint (-want +got):\n%s", diff)
	}
}

func TestLoadDirReportsEveryProblem(t *testing.T) {
	lib, err := LoadDir("testdata/broken")
	var problems Problems
	if lib != nil || !errors.As(err, &problems) {
		t.Fatalf("LoadDir = %v, %v; want Problems", lib, err)
	}
	// Without a catalogue, the unknown technique is only checked for shape.
	if len(problems) != len(brokenWant)-1 {
		t.Errorf("LoadDir reported %d problems, want %d:\n%v", len(problems), len(brokenWant)-1, err)
	}
	if _, err := LoadDir("testdata/no-such-dir"); err == nil {
		t.Error("LoadDir of a missing directory succeeded")
	}
}

func TestLintAcceptsGoodFiles(t *testing.T) {
	if got := Lint("testdata/override", nil); len(got) > 0 {
		t.Errorf("Lint(override) = %v", got)
	}
	empty := t.TempDir()
	if got := Lint(empty, nil); len(got) > 0 {
		t.Errorf("Lint(empty dir) = %v", got)
	}
}

func TestLoadDirOverridesAndAdds(t *testing.T) {
	base := mustLoad(t)
	lib, err := LoadDir("testdata/override")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lib.Len(), base.Len()+1; got != want {
		t.Errorf("Len() = %d, want %d (one replaced, one added)", got, want)
	}
	rs := lib.Lookup(bot.Finding{Category: "Reverse Shell"})
	if rs.File != filepath.Join("testdata", "override", "reverse-shell.yaml") || rs.Summary != "A shell is connected to a remote host; our proxy logs show where." {
		t.Errorf("Reverse Shell resolves to %s (%q), want the override", rs.File, rs.Summary)
	}
	// The replacement drops the embedded module names with the rest.
	if got := lib.Lookup(bot.Finding{Module: "CLOUD_RUN_REVERSE_SHELL"}); !got.Generic {
		t.Errorf("the replaced playbook's module still resolves to %s", got.File)
	}
	custom := lib.Lookup(bot.Finding{Category: "x", Module: "inhouse_detector"})
	if custom.Category != "Execution: In-house Detector Fired" {
		t.Errorf("module lookup = %q", custom.Title())
	}
	if got := custom.Responses(bot.ProductCloudRun); len(got) != 2 || !got[0].Suggested {
		t.Errorf("Responses(cloud_run) = %+v", got)
	}
	if p, ok := lib.ByCategory("Execution: Container Escape"); !ok || p.File != "data/container-escape.yaml" {
		t.Errorf("untouched playbook: %v, %v", p, ok)
	}
}

func TestLintReportsUnreadableFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Lint(dir, nil); len(got) > 0 {
		t.Errorf("a directory named .yaml is not a playbook: %v", got)
	}
	bad := filepath.Join(dir, "twice.yaml")
	if err := os.WriteFile(bad, []byte("generic: true\n---\ngeneric: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []Problem{{File: bad, Message: "more than one YAML document: put one playbook in each file"}}
	if diff := cmp.Diff(want, Lint(dir, nil)); diff != "" {
		t.Errorf("Lint (-want +got):\n%s", diff)
	}
}

func TestLintCommand(t *testing.T) {
	var out strings.Builder
	if code := LintCommand(&out, "testdata/override", nil); code != 0 {
		t.Errorf("exit code %d for good playbooks:\n%s", code, out.String())
	}
	if want := "testdata/override: ok, 2 playbook(s) from the directory, 58 in all\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	out.Reset()
	known := func(id string) bool { return id != "T1999" }
	if code := LintCommand(&out, "testdata/broken", known); code != 1 {
		t.Errorf("exit code %d for broken playbooks", code)
	}
	want := strings.Join(brokenWant, "\n") + "\n26 problem(s) in testdata/broken\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
