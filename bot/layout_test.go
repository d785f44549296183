package bot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The dependency rule of DESIGN.md, enforced: arrows point inward to bot.
//
//   - every layer has an allow-list of the project packages it may import
//     directly (layers below); anything not listed fails;
//   - bot imports only the standard library, even indirectly;
//   - handlers and playbooks reach no SDK, not even through another
//     package: their transitive dependencies (go list's Deps, the set
//     `go list -deps` prints) are checked against the SDKs below;
//   - adapters (bot/X, playbooks/X) never import each other; only the
//     driving Slack adapter may import handlers;
//   - only cmd/sccbot imports config.

const module = "github.com/sccbot/sccbot"

// pkg is the part of `go list -json` the guard reads. Deps holds every
// package the import graph reaches, which is what `go list -deps` lists.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
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

func TestDependencyRule(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; the guard would guard nothing", len(pkgs))
	}
	for _, p := range pkgs {
		for _, msg := range check(p) {
			t.Error(msg)
		}
	}
}

// check returns one message per rule the package breaks.
func check(p pkg) []string {
	from, ok := rel(p.ImportPath)
	if !ok {
		return []string{fmt.Sprintf("%s is outside module %s", p.ImportPath, module)}
	}
	var msgs []string
	for _, imp := range p.Imports {
		if msg := violation(from, imp); msg != "" {
			msgs = append(msgs, fmt.Sprintf("%s imports %s: %s", from, imp, msg))
		}
	}
	for _, dep := range p.Deps {
		if msg := reachViolation(from, dep); msg != "" {
			msgs = append(msgs, fmt.Sprintf("%s reaches %s: %s", from, dep, msg))
		}
	}
	return msgs
}

func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

// rel returns imp relative to the module ("" for the module root).
func rel(imp string) (string, bool) {
	if imp == module {
		return "", true
	}
	r, ok := strings.CutPrefix(imp, module+"/")
	return r, ok
}

func under(r, root string) bool { return r == root || strings.HasPrefix(r, root+"/") }

// adapterOf returns the adapter a package belongs to ("bot/slack" for
// bot/slack/slackfake), or "" for other packages.
func adapterOf(r string) string {
	parts := strings.Split(r, "/")
	if (parts[0] == "bot" || parts[0] == "playbooks") && len(parts) >= 2 {
		return parts[0] + "/" + parts[1]
	}
	return ""
}

// layerOf names the layer a project package belongs to.
func layerOf(r string) string {
	switch {
	case r == "" || r == "bot":
		return "bot"
	case under(r, "handlers"):
		return "handlers"
	case r == "playbooks":
		return "playbooks"
	case adapterOf(r) != "":
		return "adapter"
	case under(r, "internal"):
		return "internal"
	case r == "config":
		return "config"
	case under(r, "cmd"):
		return "cmd"
	}
	return "unknown"
}

// mayImport is the allow-list: may a package in layer from (path fromRel)
// import the project package to?
func mayImport(fromRel, to string) bool {
	toLayer := layerOf(to)
	switch layerOf(fromRel) {
	case "cmd":
		return true
	case "bot":
		return false
	case "config":
		return toLayer == "internal"
	case "internal":
		return toLayer == "internal" || toLayer == "bot"
	case "playbooks":
		return toLayer == "bot" || toLayer == "internal"
	case "handlers":
		return slices.Contains([]string{"bot", "playbooks", "internal", "handlers"}, toLayer)
	case "adapter":
		own := adapterOf(fromRel)
		switch {
		case toLayer == "bot" || toLayer == "internal" || adapterOf(to) == own:
			return true
		case own == "bot/slack" && toLayer == "handlers":
			return true
		}
	}
	return false
}

// coreLibrary is a library the use cases may import: metrics, and the YAML
// decoder the playbooks are written in. Neither talks to anything.
func coreLibrary(imp string) bool {
	return strings.HasPrefix(imp, "github.com/prometheus/client_golang/") || imp == "gopkg.in/yaml.v3"
}

// sdks are the prefixes of the client libraries that talk to the outside
// world; the use cases must not reach them by any path.
var sdks = []string{
	"github.com/slack-go/",
	"github.com/gorilla/websocket",
	"k8s.io/",
	"cloud.google.com/",
	"google.golang.org/grpc",
	"google.golang.org/api",
	"github.com/googleapis/gax-go",
	"golang.org/x/oauth2",
	"github.com/jackc/",
	"modernc.org/sqlite",
	"github.com/fsouza/fake-gcs-server",
}

func isSDK(imp string) bool {
	for _, p := range sdks {
		if strings.HasSuffix(p, "/") && strings.HasPrefix(imp, p) || imp == p || strings.HasPrefix(imp, p+"/") {
			return true
		}
	}
	return false
}

// violation checks one direct import.
func violation(from, imp string) string {
	to, internal := rel(imp)
	if !internal {
		return thirdPartyViolation(from, imp)
	}
	switch {
	case to == "config" && !under(from, "cmd"):
		return "only cmd/sccbot imports config; copy values into constructors"
	case adapterOf(from) != "" && adapterOf(to) != "" && adapterOf(from) != adapterOf(to):
		return "adapters never import each other"
	case adapterOf(from) != "" && adapterOf(from) != "bot/slack" && under(to, "handlers"):
		return "only the driving Slack adapter calls into handlers"
	case !mayImport(from, to):
		return fmt.Sprintf("layer %s may not import layer %s", layerOf(from), layerOf(to))
	}
	return ""
}

func thirdPartyViolation(from, imp string) string {
	if isStd(imp) {
		return ""
	}
	switch layerOf(from) {
	case "bot":
		return "the domain package imports only the standard library"
	case "handlers", "playbooks":
		if !coreLibrary(imp) {
			return "use cases import no SDK; declare an interface and let an adapter satisfy it"
		}
	}
	return ""
}

// reachViolation checks one transitive dependency.
func reachViolation(from, dep string) string {
	switch layerOf(from) {
	case "bot":
		if !isStd(dep) {
			if _, internal := rel(dep); !internal {
				return "the domain package depends only on the standard library"
			}
		}
	case "handlers", "playbooks":
		if isSDK(dep) {
			return "use cases reach no SDK, not even through another package"
		}
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
		{"bot", module + "/internal/retry", true},
		{"handlers", module + "/bot", false},
		{"handlers", module + "/playbooks", false},
		{"handlers", module + "/internal/editdist", false},
		{"handlers", "cloud.google.com/go/logging", true},
		{"handlers", "github.com/prometheus/client_golang/prometheus", false},
		{"handlers/finding", module + "/handlers", false},
		{"playbooks", "gopkg.in/yaml.v3", false},
		{"playbooks", "k8s.io/client-go/kubernetes", true},
		{"playbooks/gke", "k8s.io/client-go/kubernetes", false},
		{"bot/scc", module + "/bot/sqlite", true},
		{"bot/slack/slackfake", module + "/bot/slack", false},
		{"bot/slack", module + "/handlers", false},
		{"bot/scc", module + "/handlers", true},
		{"bot/scc", module + "/config", true},
		{"bot/scc", module + "/internal/retry", false},
		{"internal/grpcerr", module + "/bot", false},
		{"internal/grpcerr", module + "/handlers", true},
		{"config", module + "/bot", true},
		{"config", module + "/internal/editdist", false},
		{"cmd/sccbot", module + "/config", false},
		// The five the old guard let through (issue 16).
		{"handlers", module + "/bot/slack", true},
		{"handlers", module + "/bot/sqlite", true},
		{"playbooks", module + "/playbooks/gke", true},
		{"playbooks", module + "/handlers", true},
		{"bot/scc", module + "/playbooks", true},
		// The digest chart is an adapter over a plotting library: the use
		// cases reach it through an interface, never import it.
		{"bot/chart", "gonum.org/v1/plot", false},
		{"bot/chart", module + "/bot", false},
		{"bot/chart", module + "/bot/slack", true},
		{"bot/slack", module + "/bot/chart", true},
		{"handlers", module + "/bot/chart", true},
		{"handlers", "gonum.org/v1/plot", true},
		{"playbooks", "gonum.org/v1/plot/vg", true},
	}
	for _, tt := range tests {
		if got := violation(tt.from, tt.imp) != ""; got != tt.bad {
			t.Errorf("violation(%s -> %s) = %v, want %v", tt.from, tt.imp, got, tt.bad)
		}
	}
}

// TestCheckSyntheticGraphs feeds made-up import graphs to check: each of
// the forbidden edges issue 16 names must fail through the allow-list
// alone (no SDK in Deps), and an SDK reached only indirectly must fail
// through the transitive check.
func TestCheckSyntheticGraphs(t *testing.T) {
	m := func(r string) string { return module + "/" + r }
	tests := []struct {
		name string
		p    pkg
		want string // substring of the one expected message; "" for none
	}{
		{"handlers to bot/slack", pkg{m("handlers"), []string{m("bot"), m("bot/slack")}, []string{m("bot"), m("bot/slack")}},
			"handlers imports " + m("bot/slack")},
		{"handlers to bot/sqlite", pkg{m("handlers"), []string{m("bot/sqlite")}, []string{m("bot/sqlite")}},
			"handlers imports " + m("bot/sqlite")},
		{"playbooks to playbooks/gke", pkg{m("playbooks"), []string{m("playbooks/gke")}, []string{m("playbooks/gke")}},
			"playbooks imports " + m("playbooks/gke")},
		{"playbooks to handlers", pkg{m("playbooks"), []string{m("handlers")}, []string{m("handlers")}},
			"playbooks imports " + m("handlers")},
		{"bot/scc to playbooks", pkg{m("bot/scc"), []string{m("playbooks")}, []string{m("playbooks")}},
			"bot/scc imports " + m("playbooks")},
		{"handlers reaches grpc through internal", pkg{m("handlers"), []string{m("internal/grpcfake")},
			[]string{m("internal/grpcfake"), "google.golang.org/grpc"}},
			"handlers reaches google.golang.org/grpc"},
		{"playbooks reaches client-go through yaml", pkg{m("playbooks"), []string{"gopkg.in/yaml.v3"},
			[]string{"gopkg.in/yaml.v3", "k8s.io/client-go/rest"}},
			"playbooks reaches k8s.io/client-go/rest"},
		{"handlers reaches pgx", pkg{m("handlers"), []string{m("internal/x")}, []string{m("internal/x"), "github.com/jackc/pgx/v5"}},
			"handlers reaches github.com/jackc/pgx/v5"},
		{"bot reaches a module package", pkg{m("bot"), []string{"fmt"}, []string{"fmt", "golang.org/x/text"}},
			"bot reaches golang.org/x/text"},
		{"a clean use case", pkg{m("handlers"), []string{m("bot"), m("playbooks"), "github.com/prometheus/client_golang/prometheus"},
			[]string{m("bot"), m("playbooks"), "github.com/prometheus/client_golang/prometheus", "google.golang.org/protobuf/proto", "gopkg.in/yaml.v3"}},
			""},
		{"a clean adapter", pkg{m("bot/scc"), []string{m("bot"), m("internal/retry"), "google.golang.org/grpc"},
			[]string{m("bot"), m("internal/retry"), "google.golang.org/grpc"}},
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(tt.p)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("check = %q, want no violation", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Fatalf("check = %q, want one message containing %q", got, tt.want)
			}
		})
	}
}

func TestIsSDK(t *testing.T) {
	for imp, want := range map[string]bool{
		"github.com/slack-go/slack/socketmode": true,
		"google.golang.org/grpc":               true,
		"google.golang.org/grpc/codes":         true,
		"google.golang.org/grpcx":              false,
		"google.golang.org/protobuf/proto":     false,
		"modernc.org/sqlite/lib":               true,
		"k8s.io/api/core/v1":                   true,
		"gopkg.in/yaml.v3":                     false,
	} {
		if got := isSDK(imp); got != want {
			t.Errorf("isSDK(%s) = %v, want %v", imp, got, want)
		}
	}
}
