package playbooks

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// stub records each call as "call NAME", one base64 line per argument,
// then "end", so that any byte of an argument survives the record.
const stub = `#!/bin/sh
{
  echo "call $(basename "$0")"
  for a in "$@"; do printf '%s' "$a" | base64 | tr -d '\n'; echo; done
  echo end
} >> "$STUB_LOG"
`

type call struct {
	name string
	args []string
}

// runPasted runs script as a responder pasting it would, in shell, with
// kubectl and gcloud replaced by the stub, and returns the calls made.
func runPasted(t *testing.T, shell, script string) []call {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kubectl", "gcloud"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	log := filepath.Join(dir, "calls.log")
	cmd := exec.Command(shell, "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "STUB_LOG="+log)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s\nscript:\n%s", shell, err, out, script)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatalf("no command ran: %v", err)
	}
	return parseCalls(t, string(data))
}

func parseCalls(t *testing.T, log string) []call {
	t.Helper()
	var calls []call
	var cur *call
	for _, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "call "):
			calls = append(calls, call{name: strings.TrimPrefix(line, "call ")})
			cur = &calls[len(calls)-1]
		case line == "end":
			cur = nil
		default:
			b, err := base64.StdEncoding.DecodeString(line)
			if err != nil || cur == nil {
				t.Fatalf("bad stub log line %q: %v", line, err)
			}
			cur.args = append(cur.args, string(b))
		}
	}
	return calls
}

// shellScripts are the Code blocks of a checklist that hold commands.
func shellScripts(m bot.Message) []string {
	var out []string
	for _, b := range m.Blocks {
		c, ok := b.(bot.Code)
		if ok && (strings.HasPrefix(c.Text, "gcloud ") || strings.HasPrefix(c.Text, "kubectl ") || strings.HasPrefix(c.Text, "mkdir ")) {
			out = append(out, c.Text)
		}
	}
	return out
}

// shells are the shells a responder may paste into: POSIX sh (dash here)
// and bash, Cloud Shell's.
func shells(t *testing.T) []string {
	var out []string
	for _, s := range []string{"/bin/sh", "bash"} {
		if p, err := exec.LookPath(s); err == nil {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Skip("no shell")
	}
	return out
}

func TestGKECommandsAreSafeToPaste(t *testing.T) {
	lib := mustLoad(t)
	marker := filepath.Join(t.TempDir(), "pwned")
	touch := "touch " + marker
	f := gkeFixture()
	f.Target.Cluster = "prod' ; " + touch + "; echo '"
	f.Target.Location = "us-central1-a"
	f.Target.Namespace = "pay;" + touch + ";"
	f.Target.Pod = "checkout$(" + touch + ")"
	f.Target.Container = "c`" + touch + "`"
	f.Processes[0].Binary = `/tmp/it's a "bin"; ` + touch + ` & \ |x`
	m := lib.Lookup(f).Checklist(f, fixtureStart, fixtureEnd)
	scripts := shellScripts(m)
	if len(scripts) != 1 {
		t.Fatalf("got %d command blocks, want 1:\n%s", len(scripts), dumpMessage(m))
	}
	want := []call{
		{"gcloud", []string{"container", "clusters", "get-credentials", f.Target.Cluster, "--zone=us-central1-a", "--project=demo-prod"}},
		{"kubectl", []string{"cp", "--namespace=" + f.Target.Namespace, f.Target.Pod + ":" + f.Processes[0].Binary,
			"./evidence/pwned______x", "--container=" + f.Target.Container}},
		{"kubectl", []string{"exec", "--namespace=" + f.Target.Namespace, "-ti", f.Target.Pod, "--container=" + f.Target.Container, "--", "/bin/sh"}},
	}
	for _, sh := range shells(t) {
		got := runPasted(t, sh, scripts[0])
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(call{})); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s\nscript:\n%s", sh, diff, scripts[0])
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%s ran an injected command:\n%s", sh, scripts[0])
		}
	}
}

func TestCloudRunCommandsAreSafeToPaste(t *testing.T) {
	lib := mustLoad(t)
	marker := filepath.Join(t.TempDir(), "pwned")
	touch := "touch " + marker
	f := runServiceFixture()
	f.Target.Project = "p'x$(" + touch + ")"
	f.Target.Location = "europe-west1;" + touch
	f.Target.Service = "api`" + touch + "`"
	f.Target.Revision = "rev\" " + touch
	p := lib.Lookup(f)
	qs, _ := p.Queries(f, fixtureStart, fixtureEnd, 0)
	m := p.Checklist(f, fixtureStart, fixtureEnd)
	scripts := shellScripts(m)
	if len(scripts) != 1 || len(qs) == 0 {
		t.Fatalf("got %d command blocks and %d queries:\n%s", len(scripts), len(qs), dumpMessage(m))
	}
	region, project := "--region="+f.Target.Location, "--project="+f.Target.Project
	filter := strings.ReplaceAll(qs[0].Filter, "\n", " AND ") +
		` AND timestamp>="2026-11-20T10:00:30Z" AND timestamp<="2026-11-20T10:30:30Z"`
	want := []call{
		{"gcloud", []string{"run", "services", "describe", f.Target.Service, region, project}},
		{"gcloud", []string{"run", "revisions", "list", "--service=" + f.Target.Service, region, project}},
		{"gcloud", []string{"run", "revisions", "describe", f.Target.Revision, region, project}},
		{"gcloud", []string{"logging", "read", filter, project, "--format=json", "--limit=1000"}},
	}
	for _, sh := range shells(t) {
		got := runPasted(t, sh, scripts[0])
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(call{})); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s\nscript:\n%s", sh, diff, scripts[0])
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%s ran an injected command:\n%s", sh, scripts[0])
		}
	}
}

// TestUnpasteableValuesWithholdCommands: values that need non-POSIX
// quoting, or that a tool would read as an option, leave their command
// out and say why.
func TestUnpasteableValuesWithholdCommands(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*bot.Finding)
		want    []string // command words expected in the block
		notWant []string
		note    string
	}{
		{"newline in pod", func(f *bot.Finding) { f.Target.Pod = "p\n" + "touch x" },
			[]string{"gcloud container clusters get-credentials"}, []string{"kubectl"},
			"kubectl cp not shown: the pod name or binary path holds control characters"},
		{"invalid UTF-8 in binary", func(f *bot.Finding) { f.Processes[0].Binary = "/tmp/\xff" },
			[]string{"kubectl exec"}, []string{"kubectl cp"},
			"kubectl cp not shown: the pod name or binary path holds control characters, invisible characters or invalid UTF-8."},
		{"bidi override in cluster", func(f *bot.Finding) { f.Target.Cluster = "prod\u202e" },
			[]string{"kubectl cp", "kubectl exec"}, []string{"gcloud"}, "get-credentials not shown: the cluster name holds"},
		{"option-like pod", func(f *bot.Finding) { f.Target.Pod = "--kubeconfig=/tmp/evil" },
			[]string{"gcloud"}, []string{"kubectl"}, `kubectl exec not shown: the pod name starts with "-"`},
		{"no pod", func(f *bot.Finding) { f.Target.Pod = "" },
			[]string{"gcloud"}, []string{"kubectl"}, "kubectl commands not shown: the finding has no pod name."},
	}
	lib := mustLoad(t)
	for _, tt := range tests {
		f := gkeFixture()
		tt.edit(&f)
		dump := dumpMessage(lib.Lookup(f).Checklist(f, fixtureStart, fixtureEnd))
		code := strings.Join(shellScripts(lib.Lookup(f).Checklist(f, fixtureStart, fixtureEnd)), "\n")
		for _, w := range tt.want {
			if !strings.Contains(code, w) {
				t.Errorf("%s: %q missing from the commands:\n%s", tt.name, w, code)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(code, w) {
				t.Errorf("%s: %q in the commands:\n%s", tt.name, w, code)
			}
		}
		if !strings.Contains(dump, tt.note) {
			t.Errorf("%s: note %q missing:\n%s", tt.name, tt.note, dump)
		}
	}
}
