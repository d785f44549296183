package scc

import (
	_ "embed"
	"encoding/json"
	"sync"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"

	"github.com/sccbot/sccbot/bot"
)

// mitreEnumJSON maps SCC's MitreAttack enum names to ATT&CK IDs. SCC sends
// enum names only; the IDs exist solely as comments in the generated code, so
// the table is kept as data. Its description field states source and licence.
//
//go:embed scc-mitre-enum.json
var mitreEnumJSON []byte

// attackIDs is the parsed table. It is derived once from the embedded,
// read-only data above and never written afterwards.
var attackIDs = sync.OnceValue(func() map[string]string {
	type entry struct {
		Enum     string `json:"enum"`
		AttackID string `json:"attack_id"`
	}
	var doc struct {
		Tactics    []entry `json:"tactics"`
		Techniques []entry `json:"techniques"`
	}
	if err := json.Unmarshal(mitreEnumJSON, &doc); err != nil {
		// The file is embedded at build time and covered by tests.
		panic("scc: embedded scc-mitre-enum.json is invalid: " + err.Error())
	}
	ids := make(map[string]string, len(doc.Tactics)+len(doc.Techniques))
	for _, t := range doc.Tactics {
		ids[t.Enum] = t.AttackID
	}
	for _, t := range doc.Techniques {
		ids[t.Enum] = t.AttackID
	}
	return ids
})

// AttackID returns the ATT&CK ID (TA0005, T1027.004) of an SCC MitreAttack
// tactic or technique enum name, and whether the name is known.
func AttackID(enum string) (string, bool) {
	id, ok := attackIDs()[enum]
	return id, ok
}

// techniqueRef keeps an unknown enum name with an empty ID, so that a
// technique newer than this build is still shown by name.
func techniqueRef(enum string) bot.TechniqueRef {
	id, _ := AttackID(enum)
	return bot.TechniqueRef{Enum: enum, ID: id}
}

func techniqueRefs(enums []string) []bot.TechniqueRef {
	if len(enums) == 0 {
		return nil
	}
	out := make([]bot.TechniqueRef, 0, len(enums))
	for _, e := range enums {
		if e == "" || e == "TECHNIQUE_UNSPECIFIED" || e == "TACTIC_UNSPECIFIED" {
			continue
		}
		out = append(out, techniqueRef(e))
	}
	return out
}

// mitreNames is a finding's mitreAttack block as enum names. It is filled
// either from the proto (poll path) or from the raw JSON (notification
// path), because protojson silently drops enum names it does not know.
type mitreNames struct {
	PrimaryTactic        string   `json:"primaryTactic"`
	PrimaryTechniques    []string `json:"primaryTechniques"`
	AdditionalTactics    []string `json:"additionalTactics"`
	AdditionalTechniques []string `json:"additionalTechniques"`
	Version              string   `json:"version"`
}

func mitreNamesOf(m *securitycenterpb.MitreAttack) *mitreNames {
	if m == nil {
		return nil
	}
	n := &mitreNames{Version: m.GetVersion()}
	if m.GetPrimaryTactic() != securitycenterpb.MitreAttack_TACTIC_UNSPECIFIED {
		n.PrimaryTactic = m.GetPrimaryTactic().String()
	}
	n.PrimaryTechniques = enumNames(m.GetPrimaryTechniques())
	n.AdditionalTactics = enumNames(m.GetAdditionalTactics())
	n.AdditionalTechniques = enumNames(m.GetAdditionalTechniques())
	return n
}

func enumNames[E interface{ String() string }](es []E) []string {
	if len(es) == 0 {
		return nil
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.String()
	}
	return out
}

func attackOf(n *mitreNames) bot.Attack {
	if n == nil {
		return bot.Attack{}
	}
	a := bot.Attack{
		Techniques:           techniqueRefs(n.PrimaryTechniques),
		AdditionalTactics:    techniqueRefs(n.AdditionalTactics),
		AdditionalTechniques: techniqueRefs(n.AdditionalTechniques),
		Version:              n.Version,
	}
	if n.PrimaryTactic != "" && n.PrimaryTactic != "TACTIC_UNSPECIFIED" {
		a.Tactic = techniqueRef(n.PrimaryTactic)
	}
	return a
}
