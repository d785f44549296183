package bot

import "strings"

// The few words every message about findings needs, shared by the use
// cases and the responders so that both say things the same way.

// OrUnset writes an empty value as "unset".
func OrUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

// Plural picks the singular or the plural noun for a count of n.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// CategoryOf is the category a reader sees: SCC's, or a placeholder when a finding has none.
func CategoryOf(f Finding) string {
	if strings.TrimSpace(f.Category) == "" {
		return "Unknown category"
	}
	return f.Category
}
