package sqlite

import (
	"time"

	"github.com/sccbot/sccbot/internal/storerow"
)

// Times and text are encoded as every store encodes them (internal/storerow):
// times as fixed-width UTC text to the nanosecond, so that text order is time
// order and the zero time has a value; text made valid UTF-8 the way
// encoding/json does it, so that a finding's JSON and its query columns hold
// the same text.

// formatTime encodes a time known to be in range, such as the store's clock.
func formatTime(t time.Time) string { return storerow.FormatTime(t) }

// encodeTime encodes a time that came from outside, such as a finding's event
// time; years outside 1..9999 are EInvalid.
func encodeTime(what string, t time.Time) (string, error) { return storerow.EncodeTime(what, t) }

// parseTime decodes a stored time.
func parseTime(s string) (time.Time, error) { return storerow.ParseTime(s) }

// validText replaces each byte that is not part of valid UTF-8 with U+FFFD.
func validText(s string) string { return storerow.ValidText(s) }
