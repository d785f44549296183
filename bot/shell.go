package bot

import (
	"strings"
	"unicode"
)

// ShellQuote quotes s for a POSIX shell (sh, dash, bash, zsh) so that the
// result is one word that expands to s and nothing else. Plain words stay
// as they are; anything else is single-quoted. Control characters and
// invalid UTF-8 have no portable quoted form (bash's $'...' is not sh), so
// they are replaced by U+FFFD: the result is safe to paste but is no longer
// exactly s. Callers that build commands to run must refuse such values.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if isShellWord(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isShellWord reports whether s needs no quoting: letters, digits and a few
// punctuation marks no shell expands, not starting with = (zsh expands
// =cmd to a path).
func isShellWord(s string) bool {
	if strings.HasPrefix(s, "=") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("_@%+=:,./-", r):
		default:
			return false
		}
	}
	return true
}

// CommandLine renders a binary and its arguments as one shell-quoted line.
func CommandLine(binary string, args []string) string {
	parts := make([]string, 0, len(args)+1)
	if binary != "" {
		parts = append(parts, ShellQuote(binary))
	}
	for i, a := range args {
		// SCC's args usually repeat the binary as argv[0]; skip it then.
		if i == 0 && binary != "" && (a == binary || a == lastSegment(binary)) {
			continue
		}
		parts = append(parts, ShellQuote(a))
	}
	return strings.Join(parts, " ")
}

func lastSegment(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
