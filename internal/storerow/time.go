package storerow

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// TimeLayout is how every time is stored: UTC, nine fractional digits, a
// fixed width for years 0001 to 9999. Fixed width makes the text order the
// time order, so SQL can compare and sort the column directly, and the
// zero time has a value. PostgreSQL's timestamptz would round to the
// microsecond, which the store's contract forbids.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// FormatTime encodes a time known to be in range, such as the store's
// clock.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// EncodeTime encodes a time that came from outside, such as a finding's
// event time. Years outside 1..9999 would break the fixed width; protobuf
// timestamps (and hence SCC) cannot carry them anyway.
func EncodeTime(what string, t time.Time) (string, error) {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return "", bot.Errorf(bot.EInvalid, "%s %s is outside years 1 to 9999", what, t.UTC().Format(time.RFC3339Nano))
	}
	return FormatTime(t), nil
}

// ParseTime decodes a stored time.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// ValidText replaces each byte that is not part of valid UTF-8 with U+FFFD,
// exactly as encoding/json does when it encodes a string, so that a
// finding's JSON and its query columns hold the same text.
func ValidText(s string) string {
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
