package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Verdict is what a responder concluded about a finding when they closed
// it. The values are stable: they are stored, written to SCC as the
// security mark sccbot_verdict and typed in `/finding list verdict=...`.
type Verdict string

// Verdicts a responder can give.
const (
	VerdictTruePositive  Verdict = "true_positive"
	VerdictFalsePositive Verdict = "false_positive"
	VerdictBenign        Verdict = "benign" // benign or expected
	VerdictDuplicate     Verdict = "duplicate"
	VerdictTest          Verdict = "test"
)

// Security marks that carry a verdict on the finding in SCC, so that it is
// visible (and filterable) in the SCC console too.
const (
	MarkVerdict   = "sccbot_verdict"
	MarkVerdictBy = "sccbot_verdict_by"
)

// Verdicts returns every verdict, in the order a dialog offers them.
func Verdicts() []Verdict {
	return []Verdict{VerdictTruePositive, VerdictFalsePositive, VerdictBenign, VerdictDuplicate, VerdictTest}
}

// ParseVerdict accepts a verdict's value in any case, with '-' or ' ' for
// '_' ("False positive", "false-positive"). Anything else is EInvalid with
// the choices named.
func ParseVerdict(s string) (Verdict, error) {
	norm := strings.ToLower(strings.TrimSpace(s))
	norm = strings.NewReplacer("-", "_", " ", "_").Replace(norm)
	for _, v := range Verdicts() {
		if norm == string(v) {
			return v, nil
		}
	}
	choices := make([]string, 0, len(Verdicts()))
	for _, v := range Verdicts() {
		choices = append(choices, string(v))
	}
	return "", Errorf(EInvalid, "unknown verdict %q: choose one of %s", cut(s, 40), strings.Join(choices, ", "))
}

// Valid reports whether v is one of Verdicts.
func (v Verdict) Valid() bool { return slices.Contains(Verdicts(), v) }

// Label is the verdict as shown to people.
func (v Verdict) Label() string {
	switch v {
	case VerdictTruePositive:
		return "True positive"
	case VerdictFalsePositive:
		return "False positive"
	case VerdictBenign:
		return "Benign or expected"
	case VerdictDuplicate:
		return "Duplicate"
	case VerdictTest:
		return "Test"
	}
	return string(v)
}

// VerdictRecord is the latest verdict on a finding: who gave it, why and
// when. Note and By are user input and rendered escaped like finding text.
type VerdictRecord struct {
	Finding string
	Verdict Verdict
	By      string
	Note    string
	At      time.Time
}

// Marks are the security marks that record r on the finding in SCC.
func (r VerdictRecord) Marks() map[string]string {
	return map[string]string{MarkVerdict: string(r.Verdict), MarkVerdictBy: r.By}
}

// VerdictCount is how many findings of one category and project got one
// verdict in a period, for the digest's tuning section.
type VerdictCount struct {
	Category, Project string
	Verdict           Verdict
	Count             int
}

// cut shortens s for an error message; the input may be anything a user
// typed.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return fmt.Sprintf("%s…", string(r[:n]))
}

// MaxVerdictNote bounds a verdict's note, in runes: the dialog's field and
// the typed command both stop there.
const MaxVerdictNote = 500

// verdictReasonPrefix starts the reason of a resolve request that carries
// a verdict.
const verdictReasonPrefix = "verdict="

// VerdictReason is the reason of a resolve request that carries verdict v
// and note: the request's reason is stored, audited and shown with it, so
// the verdict needs no column of its own. The note is kept to one line of
// at most MaxVerdictNote runes.
func VerdictReason(v Verdict, note string) string {
	note = strings.Join(strings.Fields(note), " ")
	if r := []rune(note); len(r) > MaxVerdictNote {
		note = string(r[:MaxVerdictNote-1]) + "…"
	}
	if note == "" {
		return verdictReasonPrefix + string(v)
	}
	return verdictReasonPrefix + string(v) + ": " + note
}

// ParseVerdictReason reads back what VerdictReason wrote; ok is false for
// any other reason (a resolve requested before verdicts existed).
func ParseVerdictReason(reason string) (v Verdict, note string, ok bool) {
	rest, ok := strings.CutPrefix(reason, verdictReasonPrefix)
	if !ok {
		return "", "", false
	}
	value, note, _ := strings.Cut(rest, ": ")
	v = Verdict(value)
	if !v.Valid() {
		return "", "", false
	}
	return v, note, true
}
