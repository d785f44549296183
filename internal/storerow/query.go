package storerow

import (
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Arguments both stores check the same way before they query.

// Bounds on the arguments that shape SQL text (one placeholder each) or
// the size of an answer.
const (
	MaxDigestBounds  = 64
	MaxDigestActions = 64
	MaxDigestLimit   = 1000
	// MaxAmbiguous is how many candidate names an ambiguous short id lists.
	MaxAmbiguous = 5
)

// Ambiguous is the error for a short id that matches several findings
// (names holds up to MaxAmbiguous+1 of them).
func Ambiguous(id string, names []string) error {
	more := ""
	if len(names) > MaxAmbiguous {
		names, more = names[:MaxAmbiguous], " and more"
	}
	return bot.Errorf(bot.EInvalid, "finding id %q is ambiguous: it matches %s%s; use the full name",
		id, strings.Join(names, ", "), more)
}

// NotificationKey validates and encodes a notification key. The event time
// is compared exactly, to the nanosecond, in UTC: the same instant in
// another time zone is the same notification.
func NotificationKey(key bot.NotificationKey) (name, eventTime string, err error) {
	if key.Name == "" {
		return "", "", bot.Errorf(bot.EInvalid, "notification has no finding name")
	}
	eventTime, err = EncodeTime("notification event time", key.EventTime)
	return key.Name, eventTime, err
}

// CountBounds validates and encodes CountFindings' bounds, as query
// arguments: in order, 2 to MaxDigestBounds of them.
func CountBounds(bounds []time.Time) ([]any, error) {
	if len(bounds) < 2 || len(bounds) > MaxDigestBounds {
		return nil, bot.Errorf(bot.EInvalid, "count findings: %d bounds, want 2 to %d", len(bounds), MaxDigestBounds)
	}
	out := make([]any, len(bounds))
	for i, b := range bounds {
		if i > 0 && b.Before(bounds[i-1]) {
			return nil, bot.Errorf(bot.EInvalid, "count findings: bounds out of order at %d", i)
		}
		s, err := EncodeTime("count bound", b)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// DigestColumn is the findings column a digest groups by; only these
// names ever reach SQL text.
func DigestColumn(by string) (string, bool) {
	switch by {
	case "severity", "category", "project":
		return by, true
	}
	return "", false
}

// Periods encodes prevFrom <= from <= to.
func Periods(prevFrom, from, to time.Time) (p, f, t string, err error) {
	if from.Before(prevFrom) || to.Before(from) {
		return "", "", "", bot.Errorf(bot.EInvalid, "periods out of order: %s, %s, %s", prevFrom, from, to)
	}
	if p, err = EncodeTime("period start", prevFrom); err != nil {
		return "", "", "", err
	}
	if f, err = EncodeTime("period start", from); err != nil {
		return "", "", "", err
	}
	t, err = EncodeTime("period end", to)
	return p, f, t, err
}

// RunKey validates and encodes a digest run's identity.
func RunKey(schedule string, runAt time.Time) (string, error) {
	if schedule == "" {
		return "", bot.Errorf(bot.EInvalid, "digest run has no schedule name")
	}
	return EncodeTime("digest run time", runAt)
}

// The digest's figures are aliases of the unnamed struct types the use
// cases declare. Identical unnamed types are the same type in Go, so the
// stores satisfy the use cases' interface without either package
// importing the other.
type (
	// DigestCount is how many findings share one key, now and before.
	DigestCount = struct {
		Key      string
		Count    int
		Previous int
	}
	// DigestActionCount is how many requests of one kind finished done.
	DigestActionCount = struct {
		Action      string
		RequestedBy string
		DecidedBy   string
		Count       int
	}
)
