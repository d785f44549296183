package bot_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// The dependency rule of DESIGN.md, enforced: arrows point inward to bot.
//
//   - bot imports only the standard library;
//   - handlers and playbooks import no SDK, only the standard library,
//     the project's core packages and Prometheus' client for metrics;
//   - adapters (bot/X, playbooks/X) never import each other; only the
//     driving Slack adapter may import handlers;
//   - only cmd/sccbot imports config.

const module = "github.com/sccbot/sccbot"

type pkg struct {
	ImportPath string
	Imports    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func rel(imp string) (string, bool) {
	if imp == module {
		return "", true
	}
	r, ok := strings.CutPrefix(imp, module+"/")
	return r, ok
}

// adapterOf returns the adapter a package belongs to ("bot/slack" for
// bot/slack/slackfake), or "" for core packages.
func adapterOf(r string) string {
	parts := strings.Split(r, "/")
	if (parts[0] == "bot" || parts[0] == "playbooks") && len(parts) >= 2 {
		return parts[0] + "/" + parts[1]
	}
	return ""
}

// coreLibrary is a library the use cases may import: metrics, and the YAML
// decoder the playbooks are written in. Neither talks to anything.
func coreLibrary(imp string) bool {
	return strings.HasPrefix(imp, "github.com/prometheus/client_golang/") || imp == "gopkg.in/yaml.v3"
}

func TestDependencyRule(t *testing.T) {
	for _, p := range listPackages(t) {
		from, _ := rel(p.ImportPath)
		for _, imp := range p.Imports {
			if msg := violation(from, imp); msg != "" {
				t.Errorf("%s imports %s: %s", from, imp, msg)
			}
		}
	}
}

func violation(from, imp string) string {
	to, internal := rel(imp)
	switch {
	case from == "bot" || from == "":
		if !isStd(imp) {
			return "the domain package imports only the standard library"
		}
	case from == "handlers" || from == "playbooks":
		if !isStd(imp) && !internal && !coreLibrary(imp) {
			return "use cases import no SDK; declare an interface and let an adapter satisfy it"
		}
	}
	if !internal {
		return ""
	}
	if to == "config" && !strings.HasPrefix(from, "cmd/") {
		return "only cmd/sccbot imports config; copy values into constructors"
	}
	fromAdapter, toAdapter := adapterOf(from), adapterOf(to)
	if fromAdapter != "" && toAdapter != "" && fromAdapter != toAdapter {
		return "adapters never import each other"
	}
	if fromAdapter != "" && (to == "handlers" || strings.HasPrefix(to, "handlers/")) && fromAdapter != "bot/slack" {
		return "only the driving Slack adapter calls into handlers"
	}
	return ""
}

func TestViolationRules(t *testing.T) {
	tests := []struct {
		from, imp string
		bad       bool
	}{
		{"bot", "fmt", false},
		{"bot", "github.com/slack-go/slack", true},
		{"handlers", module + "/bot", false},
		{"handlers", "cloud.google.com/go/logging", true},
		{"handlers", "github.com/prometheus/client_golang/prometheus", false},
		{"playbooks", "gopkg.in/yaml.v3", false},
		{"playbooks", "k8s.io/client-go/kubernetes", true},
		{"playbooks/gke", "k8s.io/client-go/kubernetes", false},
		{"bot/scc", module + "/bot/sqlite", true},
		{"bot/slack/slackfake", module + "/bot/slack", false},
		{"bot/slack", module + "/handlers", false},
		{"bot/scc", module + "/handlers", true},
		{"bot/scc", module + "/config", true},
		{"cmd/sccbot", module + "/config", false},
	}
	for _, tt := range tests {
		if got := violation(tt.from, tt.imp) != ""; got != tt.bad {
			t.Errorf("violation(%s -> %s) = %v, want %v", tt.from, tt.imp, got, tt.bad)
		}
	}
}
