package mitre

import (
	"crypto/sha256"
	"encoding/hex"
	"go/build"
	"strings"
	"testing"
)

// dataSHA256 is the SHA-256 of ../shared/data/attack-enterprise.json. The
// copy here must stay byte-identical: it carries MITRE's notice, and an
// edited copy would no longer be the data the notice describes. To update
// the catalogue, copy the new file and change this hash in the same commit.
const dataSHA256 = "05f35b6c1efdcafffc5adaecf6a5c61f7c1e80f1eb5608b0b388d92b09bbaec5"

func TestEmbeddedDataIsTheSharedFile(t *testing.T) {
	sum := sha256.Sum256([]byte(catalogJSON))
	if got := hex.EncodeToString(sum[:]); got != dataSHA256 {
		t.Errorf("attack-enterprise.json has SHA-256 %s, want %s (the copy of ../shared/data)", got, dataSHA256)
	}
}

func TestEveryEntryIsComplete(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tech := range c.techniques {
		if !strings.HasPrefix(tech.URL, "https://attack.mitre.org/techniques/") {
			t.Errorf("%s: URL %q is not on https://attack.mitre.org", tech.ID, tech.URL)
		}
		if wantURL := "https://attack.mitre.org/techniques/" + strings.Replace(tech.ID, ".", "/", 1); tech.URL != wantURL {
			t.Errorf("%s: URL %q, want %q", tech.ID, tech.URL, wantURL)
		}
		if tech.Name == "" || tech.Description == "" || len(tech.Tactics) == 0 {
			t.Errorf("%s: missing name, description or tactics", tech.ID)
		}
		if got, ok := c.Technique(tech.ID); !ok || got.ID != tech.ID {
			t.Errorf("Technique(%q) = %q, %v", tech.ID, got.ID, ok)
		}
	}
	for _, tactic := range c.tactics {
		if !strings.HasPrefix(tactic.URL, "https://attack.mitre.org/tactics/") {
			t.Errorf("%s: URL %q is not on https://attack.mitre.org", tactic.ID, tactic.URL)
		}
	}
}

func TestParseRejectsBadData(t *testing.T) {
	const tactics = `"tactics":[{"id":"TA0005","name":"Defense Evasion","shortname":"defense-evasion","url":"https://attack.mitre.org/tactics/TA0005"}]`
	const parent = `{"id":"T1027","name":"Obfuscated Files or Information","tactics":["defense-evasion"],"url":"https://attack.mitre.org/techniques/T1027"}`
	head := `{"attack_version":"18.1","license_notice":"© MITRE",` + tactics + `,`
	tests := []struct {
		name, json, wantErr string
	}{
		{"not json", `{`, "decode attack catalogue"},
		{"no notice", `{"attack_version":"18.1"}`, "license_notice is missing"},
		{"bad id", head + `"techniques":[{"id":"X1","name":"x","url":"https://attack.mitre.org/x"}]}`, `technique "X1": bad id`},
		{"off-site url", head + `"techniques":[{"id":"T1027","name":"x","url":"http://example.com/"}]}`, "is not on https://attack.mitre.org/"},
		{"unknown tactic", head + `"techniques":[{"id":"T1027","name":"x","tactics":["nope"],"url":"https://attack.mitre.org/x"}]}`, `unknown tactic "nope"`},
		{"duplicate", head + `"techniques":[` + parent + `,` + parent + `]}`, "T1027: duplicate"},
		{"orphan", head + `"techniques":[{"id":"T1027.004","is_subtechnique":true,"parent_id":"T1027","parent_name":"x","name":"y","url":"https://attack.mitre.org/x"}]}`, "not in the catalogue"},
		{"wrong parent name", head + `"techniques":[` + parent + `,{"id":"T1027.004","is_subtechnique":true,"parent_id":"T1027","parent_name":"x","name":"y","url":"https://attack.mitre.org/x"}]}`, `parent name "x"`},
		{"counts", head + `"counts":{"tactics":1,"techniques":2},"techniques":[` + parent + `]}`, "counts say"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(strings.NewReader(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parse = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestImports enforces the layering rule for adapters of the domain: the
// standard library and bot, nothing else.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") && imp != "github.com/sccbot/sccbot/bot" {
			t.Errorf("bot/mitre imports %s", imp)
		}
	}
}
