package cloudrun

import (
	"context"
	"fmt"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
)

// noRetry turns off the client library's own retries, so that Options
// alone decide: the generated GetService retries Unavailable for as long
// as its context allows, with pauses a test cannot shorten, and the
// operations client does the same for GetOperation. With a deadline on
// the context, the library's own timeouts do not apply either.
func noRetry() []gax.CallOption { return []gax.CallOption{gax.WithRetry(nil)} }

// read runs an idempotent call, each attempt under its own timeout, and
// retries transient failures with backoff. The caller's context ending
// stops it at once and is returned as is (wrapped), so that shutdown is
// not reported as a Cloud Run fault.
func (r *Responder) read(ctx context.Context, op operation, fn func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := r.attempt(ctx, fn)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s (%s): %w", op.what, op.target, ctx.Err())
		}
		if !retryable(err) || attempt >= r.opts.Attempts {
			return translate(err, op, attempt, r.opts.Timeout)
		}
		if err := r.pause(ctx, op, attempt, err); err != nil {
			return err
		}
	}
}

// mutate runs a change once: a mutation that failed in transit may still
// have happened, and the caller's next read will tell.
func (r *Responder) mutate(ctx context.Context, op operation, fn func(ctx context.Context) error) error {
	err := r.attempt(ctx, fn)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s (%s): %w", op.what, op.target, ctx.Err())
	}
	return translate(err, op, 1, r.opts.Timeout)
}

func (r *Responder) attempt(ctx context.Context, fn func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	return fn(actx)
}

func (r *Responder) pause(ctx context.Context, op operation, attempt int, cause error) error {
	d := r.opts.Backoff(attempt)
	r.log.Warn("cloud run call failed; retrying", "op", op.what, "target", op.target, "attempt", attempt,
		"attempts", r.opts.Attempts, "code", status.Code(cause).String(), "backoff", d)
	if err := sleep(ctx, d); err != nil {
		return fmt.Errorf("%s (%s): %w", op.what, op.target, err)
	}
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
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

// waiter is the part of a generated *XxxOperation that wait uses.
type waiter[T any] interface {
	Wait(ctx context.Context, opts ...gax.CallOption) (T, error)
	Done() bool
}

// wait waits for a long-running operation under Options.Timeout. Polling
// is a read, so a poll that failed in transit is retried; an operation
// that finished with an error is reported with Cloud Run's reason; one
// that did not finish in time is reported as such, not retried.
func wait[T any](ctx context.Context, r *Responder, op operation, w waiter[T]) (T, error) {
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
		res, err := w.Wait(actx, noRetry()...)
		// The server may report the deadline a moment before the
		// context does, so both count as running out of time.
		timedOut := actx.Err() != nil || status.Code(err) == codes.DeadlineExceeded
		cancel()
		switch {
		case err == nil:
			return res, nil
		case ctx.Err() != nil:
			return res, fmt.Errorf("wait to %s (%s): %w", op.what, op.target, ctx.Err())
		case w.Done():
			return res, lroFailed(err, op)
		case timedOut:
			return res, bot.WrapError(bot.EDeadline, fmt.Sprintf("Cloud Run did not finish the request to %s "+
				"within %s; it may still finish, and running the action again is safe", op.what, r.opts.Timeout),
				fmt.Errorf("wait to %s (%s): %w", op.what, op.target, err))
		case !retryable(err) || attempt >= r.opts.Attempts:
			return res, translate(err, op, attempt, r.opts.Timeout)
		}
		if err := r.pause(ctx, op, attempt, err); err != nil {
			return res, err
		}
	}
}
