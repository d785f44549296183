package slack

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escaping for Slack mrkdwn. Slack treats &, < and > as control characters:
// "<!channel>" pings a channel, "<https://x|y>" is a masked link. Every
// string from a finding goes through escapeText before it reaches a text
// object, so such strings are shown, never acted on. Escaping happens
// before cutting to a limit, and cuts never split an entity.

// sanitize makes s displayable on one line: invalid UTF-8 and control
// characters become visible placeholders, and bidirectional overrides
// (which can make text read differently from what it is) are removed.
func sanitize(s string, keepNewlines bool) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if !needsSanitizing(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' && keepNewlines:
			b.WriteRune(r)
		case r == '\n' || r == '\r':
			b.WriteString("⏎")
		case r == '\t':
			b.WriteByte(' ')
		case isBidiControl(r):
		case unicode.IsControl(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsSanitizing(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidiControl(r) {
			return true
		}
	}
	return false
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F
}

// escapeText sanitizes s and escapes Slack's control characters. Backticks
// become a look-alike so that text cannot open or close a code span.
func escapeText(s string, keepNewlines bool) string {
	s = sanitize(s, keepNewlines)
	if !strings.ContainsAny(s, "&<>`") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '`':
			b.WriteRune('ˋ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeLinkText is escapeText for the label of a link, where | would end
// the URL part.
func escapeLinkText(s string) string {
	return strings.ReplaceAll(escapeText(s, false), "|", "∣")
}

// linkTarget returns the URL made safe for Slack's <url|text> form, or ""
// when it is not an absolute http(s) URL. The bot builds URLs from escaped
// parts; this is the last line of defence.
func linkTarget(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '&':
			b.WriteString("&amp;")
		case c <= ' ' || c >= 0x7f || strings.IndexByte("<>|\"`", c) >= 0:
			b.WriteString("%")
			b.WriteString(strings.ToUpper(hexByte(c)))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func hexByte(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// plainText makes s safe for a plain_text object. Slack does not parse
// markup there, but angle brackets are swapped for look-alikes anyway so
// that no reading of the text can turn it into a mention or a link.
func plainText(s string) string {
	s = sanitize(s, false)
	if !strings.ContainsAny(s, "<>") {
		return s
	}
	return strings.NewReplacer("<", "‹", ">", "›").Replace(s)
}

// cut shortens escaped mrkdwn to at most max runes, ending with an
// ellipsis when it had to cut. It never splits an entity such as &amp;.
func cut(s string, max int) (string, bool) {
	if utf8.RuneCountInString(s) <= max {
		return s, false
	}
	if max < 1 {
		return "", true
	}
	end, n := 0, 0
	for i := range s {
		if n == max-1 {
			end = i
			break
		}
		n++
	}
	out := s[:end]
	if amp := strings.LastIndexByte(out, '&'); amp >= 0 && !strings.Contains(out[amp:], ";") {
		out = out[:amp]
	}
	return out + "…", true
}

// cutPlain shortens plain text (no entities) to max runes.
func cutPlain(s string, max int) string {
	out, _ := cut(s, max)
	return out
}
