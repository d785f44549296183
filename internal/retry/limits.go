package retry

import (
	"context"
	"fmt"
	"time"
)

// Limits is how hard an adapter tries one call. Every adapter's options
// struct embeds it, so that the knobs are declared, defaulted and turned
// into a Policy in one place; the adapter keeps only its defaults and
// which of its errors are transient.
type Limits struct {
	// Timeout bounds each attempt on its own.
	Timeout time.Duration
	// Attempts is how many times a call is made at most while the backend
	// is unavailable or too slow.
	Attempts int
	// Backoff is the pause after failed attempt n (1-based). Tests pass
	// one that returns 0.
	Backoff func(attempt int) time.Duration
	// Sleep waits between attempts; nil is Sleep. Tests pass one that
	// records the pause and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Or returns l with each unset field (a Timeout or Attempts of 0 or less,
// a nil func) taken from defaults.
func (l Limits) Or(defaults Limits) Limits {
	if l.Timeout <= 0 {
		l.Timeout = defaults.Timeout
	}
	if l.Attempts <= 0 {
		l.Attempts = defaults.Attempts
	}
	if l.Backoff == nil {
		l.Backoff = defaults.Backoff
	}
	if l.Sleep == nil {
		l.Sleep = defaults.Sleep
	}
	return l
}

// Policy returns the Policy that makes calls within l, retries the errors
// retryable accepts and calls onRetry (which may be nil) before each pause.
func (l Limits) Policy(retryable func(err error) bool, onRetry func(attempt int, err error, pause time.Duration)) Policy {
	return Policy{
		Attempts:  l.Attempts,
		Timeout:   l.Timeout,
		Backoff:   l.Backoff,
		Sleep:     l.Sleep,
		Retryable: retryable,
		OnRetry:   onRetry,
	}
}

// Attempts says how many attempts were made, in words a message can
// carry: "1 attempt", "3 attempts".
func Attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}
