package sqlite

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// timeLayout is how every time is stored: UTC, nine fractional digits, a
// fixed width for years 0001 to 9999. Fixed width makes the text order the
// time order, so SQL can compare and sort the column directly, and the
// zero time.Time has a value (unlike Unix nanoseconds, which cannot reach
// year 1).
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime encodes a time known to be in range, such as the store's clock.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// encodeTime encodes a time that came from outside, such as a finding's event
// time. Years outside 1..9999 would break the fixed width; protobuf
// timestamps (and hence SCC) cannot carry them anyway.
func encodeTime(what string, t time.Time) (string, error) {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return "", bot.Errorf(bot.EInvalid, "%s %s is outside years 1 to 9999", what, t.UTC().Format(time.RFC3339Nano))
	}
	return formatTime(t), nil
}

// parseTime decodes a stored time.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// validText replaces each byte that is not part of valid UTF-8 with U+FFFD,
// exactly as encoding/json does when it encodes a string. The finding's
// JSON and its query columns therefore hold the same text, and every string
// the store returns is valid UTF-8 (which a Postgres store, whose text
// columns reject invalid UTF-8, can match).
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
