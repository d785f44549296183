// Package mitre is the MITRE ATT&CK Enterprise catalogue, version 18.1,
// embedded in the binary so that the bot can explain a finding's techniques
// without network access and always from the same data.
//
// attack-enterprise.json is a byte-identical copy of
// ../shared/data/attack-enterprise.json: tactics, techniques and
// sub-techniques from the STIX data in MITRE's mitre/cti repository (commit
// 421deacb77191b38bdd1bf63268954e93da91365), with revoked and deprecated
// objects left out and descriptions cut to their first paragraph. Its
// license_notice is MITRE's copyright and licence designation, which must be
// shown wherever ATT&CK content is shown: Notice returns it verbatim.
//
// Load parses the catalogue; callers load it once, at start-up, and share
// the *Catalog, which is safe for concurrent use.
package mitre

import (
	_ "embed"
	"slices"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

//go:embed attack-enterprise.json
var catalogJSON string

// Catalog is a loaded ATT&CK catalogue. It is read-only after Load, so it
// is safe for concurrent use; the values it returns are copies.
type Catalog struct {
	version string
	notice  string
	// techniques is in ID order; byID indexes it.
	techniques []bot.Technique
	byID       map[string]int
	// lowerNames[i] is techniques[i].Name in lower case, for Search.
	lowerNames []string
	tactics    []bot.Tactic
	// tacticByKey indexes tactics by ID (TA0005) and short name
	// (defense-evasion).
	tacticByKey map[string]int
}

// Load parses the embedded catalogue.
func Load() (*Catalog, error) {
	return parse(strings.NewReader(catalogJSON))
}

// Version is the ATT&CK version of the catalogue, e.g. "18.1".
func (c *Catalog) Version() string { return c.version }

// Notice is MITRE's copyright and licence notice, verbatim. Show it with
// ATT&CK content.
func (c *Catalog) Notice() string { return c.notice }

// Len is the number of techniques and sub-techniques.
func (c *Catalog) Len() int { return len(c.techniques) }

// Technique looks up a technique or sub-technique by ID. It accepts the
// forms people and URLs use: "T1027.004", "t1027.004", "T1027/004",
// "https://attack.mitre.org/techniques/T1027/004/", with surrounding spaces.
// A sub-technique has ParentID and ParentName set.
func (c *Catalog) Technique(id string) (bot.Technique, bool) {
	i, ok := c.byID[normalizeID(id)]
	if !ok {
		return bot.Technique{}, false
	}
	return cloneTechnique(c.techniques[i]), true
}

// normalizeID turns the accepted spellings of a technique ID into the
// canonical "T1027.004".
func normalizeID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimPrefix(id, "https://attack.mitre.org/techniques/")
	id = strings.TrimSuffix(id, "/")
	id = strings.ToUpper(id)
	return strings.Replace(id, "/", ".", 1)
}

// Tactic looks up a tactic by ID ("TA0005") or by short name
// ("defense-evasion"). Case is ignored, and underscores and spaces count as
// hyphens, so SCC's enum (DEFENSE_EVASION) and the display name ("Defense
// Evasion") work too.
func (c *Catalog) Tactic(idOrShortName string) (bot.Tactic, bool) {
	i, ok := c.tacticByKey[tacticKey(idOrShortName)]
	if !ok {
		return bot.Tactic{}, false
	}
	return c.tactics[i], true
}

func tacticKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r == '_' || r == ' ' {
			return '-'
		}
		return r
	}, s)
}

// Search returns the techniques whose name contains query, ignoring case:
// an exact name first, then names starting with the query, then names with
// a word starting with it, then the rest, each group in ID order. A limit of
// zero or less returns every match; an empty query returns none.
func (c *Catalog) Search(query string, limit int) []bot.Technique {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil
	}
	type hit struct{ rank, index int }
	var hits []hit
	for i, name := range c.lowerNames {
		if rank, ok := matchRank(name, q); ok {
			hits = append(hits, hit{rank, i})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.rank - b.rank })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]bot.Technique, len(hits))
	for i, h := range hits {
		out[i] = cloneTechnique(c.techniques[h.index])
	}
	return out
}

// matchRank ranks how well name matches q; lower is better.
func matchRank(name, q string) (int, bool) {
	at := strings.Index(name, q)
	switch {
	case at < 0:
		return 0, false
	case name == q:
		return 0, true
	case at == 0:
		return 1, true
	}
	for ; at >= 0; at = nextIndex(name, q, at) {
		if !isWordChar(name[at-1]) {
			return 2, true // "Process" in "Inter-Process Communication"
		}
	}
	return 3, true
}

// nextIndex is the index of the next q in name after the one at at, or -1.
func nextIndex(name, q string, at int) int {
	i := strings.Index(name[at+1:], q)
	if i < 0 {
		return -1
	}
	return at + 1 + i
}

func isWordChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80
}

// cloneTechnique copies the slices of t, so that a caller that changes the
// technique it got cannot change the shared catalogue.
func cloneTechnique(t bot.Technique) bot.Technique {
	t.Tactics = slices.Clone(t.Tactics)
	t.Platforms = slices.Clone(t.Platforms)
	t.Mitigations = slices.Clone(t.Mitigations)
	return t
}
