package mitre_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/mitre"
)

func load(t testing.TB) *mitre.Catalog {
	t.Helper()
	c, err := mitre.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestCatalog(t *testing.T) {
	c := load(t)
	if got, want := c.Version(), "18.1"; got != want {
		t.Errorf("Version() = %q, want %q", got, want)
	}
	if got, want := c.Len(), 216+475; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	notice := c.Notice()
	for _, want := range []string{"© 2025 The MITRE Corporation", "reproduced and distributed with the permission of The MITRE Corporation", "ATT&CK Terms of Use"} {
		if !strings.Contains(notice, want) {
			t.Errorf("Notice() = %q, want it to contain %q", notice, want)
		}
	}
}

func TestCompileAfterDelivery(t *testing.T) {
	c := load(t)
	got, ok := c.Technique("T1027.004")
	if !ok {
		t.Fatal("T1027.004 not found")
	}
	want := bot.Technique{
		ID:         "T1027.004",
		Name:       "Compile After Delivery",
		ParentID:   "T1027",
		ParentName: "Obfuscated Files or Information",
		Tactics:    []string{"defense-evasion"},
		Platforms:  []string{"Linux", "macOS", "Windows"},
		URL:        "https://attack.mitre.org/techniques/T1027/004",
	}
	if diff := cmp.Diff(want, got, cmpIgnoreDescription()); diff != "" {
		t.Errorf("Technique(T1027.004) (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got.Description, "Adversaries may attempt to make payloads difficult to discover") {
		t.Errorf("description = %q", got.Description)
	}
	if got, want := got.FullName(), "Obfuscated Files or Information: Compile After Delivery"; got != want {
		t.Errorf("FullName() = %q, want %q", got, want)
	}
	tactic, ok := c.Tactic(got.Tactics[0])
	if !ok || tactic.ID != "TA0005" || tactic.Name != "Defense Evasion" {
		t.Errorf("Tactic(%q) = %+v, %v; want TA0005 Defense Evasion", got.Tactics[0], tactic, ok)
	}
}

func cmpIgnoreDescription() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Description" }, cmp.Ignore())
}

func TestIngressToolTransferHasMitigations(t *testing.T) {
	got, ok := load(t).Technique("T1105")
	if !ok {
		t.Fatal("T1105 not found")
	}
	if got.Name != "Ingress Tool Transfer" || got.ParentID != "" || got.ParentName != "" {
		t.Errorf("T1105 = %q parent %q %q, want Ingress Tool Transfer without a parent", got.Name, got.ParentID, got.ParentName)
	}
	want := []bot.Mitigation{{ID: "M1031", Name: "Network Intrusion Prevention"}, {ID: "M1037", Name: "Filter Network Traffic"}}
	if diff := cmp.Diff(want, got.Mitigations); diff != "" {
		t.Errorf("T1105 mitigations (-want +got):\n%s", diff)
	}
}

func TestTechniqueIDForms(t *testing.T) {
	c := load(t)
	tests := []struct {
		in     string
		wantID string // "" when the lookup must fail
	}{
		{"T1027.004", "T1027.004"},
		{"t1027.004", "T1027.004"},
		{"T1027/004", "T1027.004"},
		{"  T1027.004\n", "T1027.004"},
		{"https://attack.mitre.org/techniques/T1027/004/", "T1027.004"},
		{"https://attack.mitre.org/techniques/T1105", "T1105"},
		{"T1105", "T1105"},
		{"T1027", "T1027"},
		{"", ""},
		{"T9999", ""},
		{"T1027.999", ""},
		{"T1027.04", ""},
		{"1027.004", ""},
		{"TA0005", ""},
		{"T1027/004/extra", ""},
		{"Compile After Delivery", ""},
	}
	for _, tt := range tests {
		got, ok := c.Technique(tt.in)
		if ok != (tt.wantID != "") || got.ID != tt.wantID {
			t.Errorf("Technique(%q) = %q, %v; want %q", tt.in, got.ID, ok, tt.wantID)
		}
	}
}

func TestTactic(t *testing.T) {
	c := load(t)
	tests := []struct {
		in, wantID string
	}{
		{"TA0005", "TA0005"},
		{"ta0005", "TA0005"},
		{"defense-evasion", "TA0005"},
		{"DEFENSE_EVASION", "TA0005"},
		{" Defense Evasion ", "TA0005"},
		{"command-and-control", "TA0011"},
		{"TA0043", "TA0043"},
		{"TA9999", ""},
		{"evasion", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := c.Tactic(tt.in)
		if ok != (tt.wantID != "") || got.ID != tt.wantID {
			t.Errorf("Tactic(%q) = %q, %v; want %q", tt.in, got.ID, ok, tt.wantID)
		}
	}
	got, _ := c.Tactic("defense-evasion")
	want := bot.Tactic{
		ID: "TA0005", Name: "Defense Evasion", ShortName: "defense-evasion",
		URL: "https://attack.mitre.org/tactics/TA0005", Description: "The adversary is trying to avoid being detected.",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tactic(defense-evasion) (-want +got):\n%s", diff)
	}
}

func ids(ts []bot.Technique) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestSearch(t *testing.T) {
	c := load(t)
	tests := []struct {
		query string
		limit int
		want  []string
	}{
		{"Compile After Delivery", 0, []string{"T1027.004"}},
		{"compile after", 5, []string{"T1027.004"}},
		// Exact name first, then the names that start with it.
		{"ingress tool transfer", 0, []string{"T1105"}},
		{"obfuscated files", 1, []string{"T1027"}},
		{"  INGRESS ", 0, []string{"T1105"}},
		{"no such technique", 0, nil},
		{"", 10, nil},
		{"   ", 10, nil},
	}
	for _, tt := range tests {
		got := ids(c.Search(tt.query, tt.limit))
		if len(got) == 0 {
			got = nil
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Search(%q, %d) (-want +got):\n%s", tt.query, tt.limit, diff)
		}
	}
}

func TestSearchRanking(t *testing.T) {
	c := load(t)
	want := []string{
		// Names starting with "process", in ID order.
		"T1055", "T1055.012", "T1055.013", "T1057", "T1564.010",
		// Names with a word starting with it ("Inter-Process" included).
		"T1036.009", "T1036.011", "T1134.002", "T1220", "T1543", "T1547.012", "T1556", "T1559", "T1564.011",
	}
	if diff := cmp.Diff(want, ids(c.Search("Process", 0))); diff != "" {
		t.Errorf("Search(Process) (-want +got):\n%s", diff)
	}
	// "AppleScript", "JavaScript" and "Subscription" only contain the
	// query, so they come after every name with a word "script...".
	got := ids(c.Search("script", 0))
	if n := len(got); n < 3 || !slices.Equal(got[n-3:], []string{"T1059.002", "T1059.007", "T1546.003"}) {
		t.Errorf("Search(script) = %v, want it to end with T1059.002 T1059.007 T1546.003", got)
	}
	if diff := cmp.Diff(want[:3], ids(c.Search("process", 3))); diff != "" {
		t.Errorf("a limit must cut the ranked list (-want +got):\n%s", diff)
	}
}

// TestReturnedValuesAreCopies checks that a caller changing what it got
// cannot change the shared catalogue.
func TestReturnedValuesAreCopies(t *testing.T) {
	c := load(t)
	first, _ := c.Technique("T1105")
	first.Tactics[0] = "changed"
	first.Mitigations[0].Name = "changed"
	again, _ := c.Technique("T1105")
	if again.Tactics[0] != "command-and-control" || again.Mitigations[0].Name != "Network Intrusion Prevention" {
		t.Errorf("catalogue changed through a returned technique: %+v", again)
	}
	found := c.Search("Ingress Tool Transfer", 1)
	found[0].Platforms[0] = "changed"
	again, _ = c.Technique("T1105")
	if again.Platforms[0] == "changed" {
		t.Error("catalogue changed through a Search result")
	}
}

// TestConcurrentLookups runs lookups from many goroutines; with -race it
// proves the catalogue needs no lock.
func TestConcurrentLookups(t *testing.T) {
	c := load(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if _, ok := c.Technique("t1027/004"); !ok {
					t.Error("T1027.004 not found")
				}
				c.Tactic("defense-evasion")
				c.Search("compile", 3)
			}
		})
	}
	wg.Wait()
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mitre.Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTechnique(b *testing.B) {
	c := load(b)
	for _, id := range []string{"T1027.004", " t1027/004 ", "T1105", "T9999"} {
		b.Run(strings.TrimSpace(id), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Technique(id)
			}
		})
	}
}

func BenchmarkSearch(b *testing.B) {
	c := load(b)
	b.ReportAllocs()
	for b.Loop() {
		c.Search("injection", 10)
	}
}
