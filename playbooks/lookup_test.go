package playbooks

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// catalogEntry is the part of testdata/scc-categories.json (a byte-identical
// copy of ../shared/data/scc-categories.json) that the playbooks must agree
// with.
type catalogEntry struct {
	DisplayName         string            `json:"display_name"`
	APICategory         string            `json:"api_category"`
	APICategoryCloudRun *string           `json:"api_category_cloud_run"`
	ModuleNames         map[string]string `json:"module_names"`
	Products            []string          `json:"products"`
	DetectionServices   []string          `json:"detection_services"`
	DocURLs             []struct {
		URL      string `json:"url"`
		Verified bool   `json:"verified_in_research"`
	} `json:"doc_urls"`
}

func loadCatalog(t *testing.T) []catalogEntry {
	t.Helper()
	data, err := os.ReadFile("testdata/scc-categories.json")
	if err != nil {
		t.Fatal(err)
	}
	var entries []catalogEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 56 {
		t.Fatalf("catalogue has %d categories, want 56", len(entries))
	}
	return entries
}

func (e catalogEntry) modules() []string {
	var out []string
	for _, k := range []string{"gke", "cloud_run", "event_threat_detection"} {
		if m := e.ModuleNames[k]; m != "" {
			out = append(out, m)
		}
	}
	return out
}

// spellings are the ways a finding may name the category: the catalogue's
// spellings, then case and white-space variants of them.
func (e catalogEntry) spellings() map[string]string {
	s := map[string]string{
		"display_name": e.DisplayName, "api_category": e.APICategory,
		"lower case": strings.ToLower(e.DisplayName), "upper case": strings.ToUpper(e.APICategory),
		"extra white space": "  " + strings.ReplaceAll(e.DisplayName, " ", " \t ") + "\n",
	}
	if e.APICategoryCloudRun != nil {
		s["api_category_cloud_run"] = *e.APICategoryCloudRun
		s["cloud run lower case"] = strings.ToLower(*e.APICategoryCloudRun)
	}
	for _, m := range e.modules() {
		s["module as category "+m] = m
		s["module as category, lower case "+m] = strings.ToLower(m)
	}
	return s
}

func TestEveryCatalogueCategoryResolvesToItsPlaybook(t *testing.T) {
	lib := mustLoad(t)
	for _, e := range loadCatalog(t) {
		for how, category := range e.spellings() {
			got := lib.Lookup(bot.Finding{Category: category})
			if got.Category != e.APICategory {
				t.Errorf("Lookup(category %q, the %s of %q) = %q, want %q", category, how, e.DisplayName, got.Title(), e.APICategory)
			}
		}
		for _, m := range e.modules() {
			got := lib.Lookup(bot.Finding{Category: "Some New Name For It", Module: m})
			if got.Category != e.APICategory {
				t.Errorf("Lookup(module %q) = %q, want %q", m, got.Title(), e.APICategory)
			}
		}
		if p, ok := lib.ByCategory(strings.ToUpper(e.DisplayName)); !ok || p.Category != e.APICategory {
			t.Errorf("ByCategory(%q) = %v, %v", e.DisplayName, p, ok)
		}
	}
}

func TestOtherFindingsResolveToGeneric(t *testing.T) {
	lib := mustLoad(t)
	tests := []bot.Finding{
		{Category: "Execution: Cryptocurrency Mining Combined Detection", Module: "CRYPTOMINING_HASH", Source: "Virtual Machine Threat Detection"},
		{Category: "API_KEY_APIS_UNRESTRICTED", Source: "Security Health Analytics"},
		{Category: "account_has_leaked_credentials"},
		{Category: "C2: Bad IP"},
		{Category: "Execution: A Category Google Adds Next Year", Module: "SOMETHING_NEW"},
		{Category: "", Module: ""},
		{Category: "Reverse Shellx"},
	}
	for _, f := range tests {
		if got := lib.Lookup(f); got == nil || !got.Generic {
			t.Errorf("Lookup(%q, %q) = %v, want the generic playbook", f.Category, f.Module, got)
		}
	}
	if _, ok := lib.ByCategory(""); ok {
		t.Error("ByCategory(\"\") found a playbook")
	}
}

// TestPlaybooksAgreeWithTheCatalogue keeps the data honest: every
// catalogue category has exactly one playbook, with the catalogue's module
// names, products, sources and Google pages.
func TestPlaybooksAgreeWithTheCatalogue(t *testing.T) {
	lib := mustLoad(t)
	entries := loadCatalog(t)
	if got, want := lib.Len(), len(entries)+1; got != want {
		t.Errorf("Len() = %d, want %d (the catalogue and the generic playbook)", got, want)
	}
	for _, e := range entries {
		p, ok := lib.ByCategory(e.APICategory)
		if !ok {
			t.Errorf("no playbook for %q", e.APICategory)
			continue
		}
		if diff := cmp.Diff(e.modules(), p.Modules); diff != "" {
			t.Errorf("%s: modules (-catalogue +playbook):\n%s", p.File, diff)
		}
		if diff := cmp.Diff(catalogueProducts(e), p.Products); diff != "" {
			t.Errorf("%s: products (-catalogue +playbook):\n%s", p.File, diff)
		}
		if diff := cmp.Diff(e.DetectionServices, p.Sources); diff != "" {
			t.Errorf("%s: sources (-catalogue +playbook):\n%s", p.File, diff)
		}
		if diff := cmp.Diff(catalogueDocs(e), p.Docs); diff != "" {
			t.Errorf("%s: docs (-catalogue +playbook):\n%s", p.File, diff)
		}
	}
}

func catalogueProducts(e catalogEntry) []bot.Product {
	var out []bot.Product
	for _, p := range e.Products {
		pr := bot.Product(strings.TrimSuffix(p, "_control_plane"))
		if !slices.Contains(out, pr) {
			out = append(out, pr)
		}
	}
	return out
}

// catalogueDocs are the per-finding pages; the index, which the catalogue
// gives for the Event Threat Detection rules, is the checklist's fallback.
func catalogueDocs(e catalogEntry) map[bot.Product]Doc {
	out := map[bot.Product]Doc{}
	for _, d := range e.DocURLs {
		if d.URL == ThreatFindingsIndex {
			continue
		}
		pr := bot.ProductGKE
		if strings.Contains(d.URL, "/cloud-run-") {
			pr = bot.ProductCloudRun
		}
		out[pr] = Doc{URL: d.URL, Verified: d.Verified}
	}
	return out
}

func TestDocURLFallsBackToTheIndex(t *testing.T) {
	lib := mustLoad(t)
	p, _ := lib.ByCategory("Privilege Escalation: Creation of sensitive Kubernetes bindings")
	if got := p.DocURL(bot.ProductGKE); got != ThreatFindingsIndex {
		t.Errorf("DocURL = %q, want the index", got)
	}
	p, _ = lib.ByCategory("Added Binary Executed")
	if got := p.DocURL(bot.ProductCloudRun); !strings.HasSuffix(got, "/added-binary-executed") {
		t.Errorf("DocURL(cloud_run) of a GKE-only playbook = %q, want its GKE page", got)
	}
}
