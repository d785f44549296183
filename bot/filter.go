package bot

import (
	"strings"
	"unicode"
)

// QuoteFilter returns s as a double-quoted string literal for a Security
// Command Center or Cloud Logging filter, which quote alike: backslashes and
// double quotes are escaped, and line breaks and other control characters
// are dropped, because both dialects end a restriction at a newline.
// Finding fields are attacker-controlled; every value put into a filter
// goes through here, so no value can close its quotes or add a clause.
func QuoteFilter(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
