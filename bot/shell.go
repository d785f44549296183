package bot

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ShellQuote quotes s for a POSIX shell so that pasting the result runs
// with exactly s as one argument, whatever s holds. Plain words stay as they
// are; anything else is single-quoted; strings with control characters or
// invalid UTF-8 use bash's $'...' form with hex escapes so that nothing
// invisible reaches the terminal.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if isShellWord(s) {
		return s
	}
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return ansiCQuote(s)
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func isShellWord(s string) bool {
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

func ansiCQuote(s string) string {
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1, unicode.IsControl(r) && r < 0x80:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsControl(r):
			b.WriteString(`\u`)
			b.WriteString(strconv.FormatInt(int64(r)|0x10000, 16)[1:])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
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
