// Package retry makes a call again when it failed in a way a later attempt
// may not: the one retry loop the adapters share, so that each of them
// keeps only what differs per API (which errors are transient, what a
// failure means to a responder, what to log).
//
// It imports only the standard library: which errors are transient is the
// caller's to say (Policy.Retryable), so no client library is needed here.
package retry

import (
	"context"
	"time"
)

// Policy says how Do retries. The zero value makes one attempt with no
// timeout of its own.
type Policy struct {
	// Attempts is how many times fn is called at most; less than 1 means 1.
	Attempts int
	// Timeout bounds each attempt on its own, so that one slow attempt
	// does not use up the time of the next; 0 or less adds no deadline
	// beyond the caller's context.
	Timeout time.Duration
	// Backoff is the pause after failed attempt n (1-based); nil pauses 0.
	Backoff func(attempt int) time.Duration
	// Sleep waits between attempts and fails when ctx ends; nil is Sleep.
	// Tests pass one that records the pause and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Retryable reports whether an attempt's error may go away on the next
	// attempt; nil retries every error. Only the caller knows which of its
	// API's errors are transient and which calls are safe to repeat.
	Retryable func(err error) bool
	// OnRetry, when set, is called before each pause with the attempt that
	// failed, its error and the pause: the caller's log line.
	OnRetry func(attempt int, err error, pause time.Duration)
}

// Do calls fn until it succeeds, each call under its own context bounded
// by p.Timeout. It stops at fn's first success; at an error p.Retryable
// refuses or once p.Attempts calls have failed, returning fn's last error
// as is for the caller to translate; or at once when ctx ends, returning
// ctx.Err(), so that a caller can tell its own shutdown from a backend
// fault. attempts is how many times fn was called.
//
// fn is called at least once, even when ctx has already ended: fn's
// client reports that case itself, and callers that count each call still
// see it.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) (attempts int, err error) {
	for attempts = 1; ; attempts++ {
		err = p.attempt(ctx, fn)
		switch {
		case err == nil:
			return attempts, nil
		case ctx.Err() != nil:
			return attempts, ctx.Err()
		case attempts >= p.Attempts || p.Retryable != nil && !p.Retryable(err):
			return attempts, err
		}
		if serr := p.pause(ctx, attempts, err); serr != nil {
			return attempts, serr
		}
	}
}

// attempt makes one call under the per-attempt timeout. The timeout's
// context is cancelled as soon as fn returns, so nothing fn started
// outlives its attempt.
func (p Policy) attempt(ctx context.Context, fn func(ctx context.Context) error) error {
	if p.Timeout <= 0 {
		return fn(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	return fn(actx)
}

// pause reports the failed attempt and waits before the next. An error
// means ctx ended (or an injected Sleep failed) and Do must stop.
func (p Policy) pause(ctx context.Context, attempt int, cause error) error {
	var d time.Duration
	if p.Backoff != nil {
		d = p.Backoff(attempt)
	}
	if p.OnRetry != nil {
		p.OnRetry(attempt, cause, d)
	}
	sleep := p.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	if err := sleep(ctx, d); err != nil {
		if ctx.Err() != nil {
			// Keep Do's promise that a caller's ended context comes
			// back as its own error, whatever an injected Sleep said.
			return ctx.Err()
		}
		return err
	}
	return nil
}

// Sleep waits d or until ctx ends; its only error is ctx.Err(). A pause of
// 0 or less does not wait but still reports an ended ctx, so that a retry
// loop with no backoff stops at shutdown too.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 || ctx.Err() != nil {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Exponential returns a backoff that pauses first after failed attempt 1
// and doubles the pause with each further attempt, up to ceiling: quick
// enough for a responder waiting in Slack, spaced enough not to hammer a
// backend that is already failing. Attempts below 1 count as 1. The pause
// stops doubling at the ceiling, so no attempt number overflows it. A
// first or ceiling of 0 or less gives no pause.
func Exponential(first, ceiling time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		if first <= 0 || ceiling <= 0 {
			return 0
		}
		d := min(first, ceiling)
		for i := 1; i < attempt && d < ceiling; i++ {
			if d > ceiling/2 {
				return ceiling
			}
			d *= 2
		}
		return d
	}
}
