package bot

import "strings"

// Severity is SCC's finding severity. The zero value is unspecified, and the
// order of the constants is the order of urgency.
type Severity int

// Severities, least urgent first.
const (
	SeverityUnspecified Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"SEVERITY_UNSPECIFIED", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// String returns SCC's name for the severity.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return severityNames[0]
	}
	return severityNames[s]
}

// Label is the severity as shown to people.
func (s Severity) Label() string {
	switch s {
	case SeverityCritical:
		return "Critical"
	case SeverityHigh:
		return "High"
	case SeverityMedium:
		return "Medium"
	case SeverityLow:
		return "Low"
	}
	return "Unspecified"
}

// ParseSeverity parses SCC's severity names, case-insensitively.
func ParseSeverity(s string) (Severity, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CRITICAL":
		return SeverityCritical, true
	case "HIGH":
		return SeverityHigh, true
	case "MEDIUM":
		return SeverityMedium, true
	case "LOW":
		return SeverityLow, true
	case "SEVERITY_UNSPECIFIED", "UNSPECIFIED", "":
		return SeverityUnspecified, true
	}
	return SeverityUnspecified, false
}
