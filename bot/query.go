package bot

import "time"

// FindingQuery selects stored findings, for `/finding list`. Values of one
// field match if any of them matches; different fields must all match. A
// zero field selects everything.
type FindingQuery struct {
	Severities []Severity
	// MinSeverity selects this severity and worse.
	MinSeverity Severity
	Categories  []string
	Projects    []string
	Products    []Product
	// States are SCC states (ACTIVE, INACTIVE).
	States []string
	// Verdict selects findings whose latest verdict is this one; ""
	// selects findings with any verdict or none.
	Verdict Verdict
	// Since selects findings first seen at or after it.
	Since time.Time
	// Limit is how many findings to return, newest first.
	Limit int
}

// SeverityNames are the severities q selects, by SCC name; nil selects
// every severity.
func (q FindingQuery) SeverityNames() []string {
	var out []string
	for _, s := range q.Severities {
		out = append(out, s.String())
	}
	if q.MinSeverity != SeverityUnspecified {
		for s := q.MinSeverity; s <= SeverityCritical; s++ {
			out = append(out, s.String())
		}
	}
	return out
}
