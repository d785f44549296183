package scc

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
)

func TestAttackID(t *testing.T) {
	tests := []struct {
		enum string
		id   string
		ok   bool
	}{
		{"DEFENSE_EVASION", "TA0005", true},
		{"COMPILE_AFTER_DELIVERY", "T1027.004", true},
		{"INGRESS_TOOL_TRANSFER", "T1105", true},
		{"NATIVE_API", "T1106", true},
		{"MADE_UP", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		id, ok := AttackID(tt.enum)
		if id != tt.id || ok != tt.ok {
			t.Errorf("AttackID(%q) = %q, %v; want %q, %v", tt.enum, id, ok, tt.id, tt.ok)
		}
	}
}

// TestAttackTableCoversProtoEnums fails when a securitycenter upgrade adds
// enum values: regenerate scc-mitre-enum.json from the new enum comments.
func TestAttackTableCoversProtoEnums(t *testing.T) {
	idPattern := regexp.MustCompile(`^(TA\d{4}|T\d{4}(\.\d{3})?)$`)
	for _, names := range []map[int32]string{securitycenterpb.MitreAttack_Tactic_name, securitycenterpb.MitreAttack_Technique_name} {
		for _, name := range names {
			if strings.HasSuffix(name, "_UNSPECIFIED") {
				continue
			}
			id, ok := AttackID(name)
			if !ok || !idPattern.MatchString(id) {
				t.Errorf("enum %s: id %q, known %v", name, id, ok)
			}
		}
	}
}

func TestAttackTableKeepsItsSource(t *testing.T) {
	var doc struct {
		Description string `json:"description"`
	}
	if err := json.Unmarshal(mitreEnumJSON, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc.Description, "Apache-2.0") {
		t.Errorf("description should state the source and licence: %q", doc.Description)
	}
}
