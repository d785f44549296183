package scc

import "strings"

// QuoteFilterValue returns s as a double-quoted string literal for an SCC
// ListFindings filter (and Cloud Logging filters, which quote the same way):
// backslashes and double quotes are escaped, and CR and LF are dropped
// because filter dialects treat a newline as the end of a restriction.
// Finding fields are attacker-controlled; every value put into a filter
// must go through here.
func QuoteFilterValue(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n', '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
