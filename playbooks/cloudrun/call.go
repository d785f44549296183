package cloudrun

import (
	"context"
	"fmt"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/grpcerr"
	"github.com/sccbot/sccbot/internal/retry"
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
	return r.call(ctx, op, r.policy(op), fn)
}

// mutate runs a change once: a mutation that failed in transit may still
// have happened, and the caller's next read will tell.
func (r *Responder) mutate(ctx context.Context, op operation, fn func(ctx context.Context) error) error {
	p := r.policy(op)
	p.Attempts = 1
	return r.call(ctx, op, p, fn)
}

// call runs fn under p and tells the caller's context ending apart from a
// Cloud Run failure, which it translates for the responder.
func (r *Responder) call(ctx context.Context, op operation, p retry.Policy, fn func(ctx context.Context) error) error {
	attempts, err := retry.Do(ctx, p, fn)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s (%s): %w", op.what, op.target, ctx.Err())
	}
	return translate(err, op, attempts, r.opts.Timeout)
}

// policy is how a read of op is retried: Options' limits, transient
// errors only, and a log line before each pause. Mutations are never
// retried (see mutate): one that timed out may still have happened.
func (r *Responder) policy(op operation) retry.Policy {
	return r.opts.Policy(grpcerr.Retryable, func(attempt int, err error, pause time.Duration) {
		r.log.Warn("cloud run call failed; retrying", "op", op.what, "target", op.target, "attempt", attempt,
			"attempts", r.opts.Attempts, "code", status.Code(err).String(), "backoff", pause)
	})
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
	var res T
	var timedOut bool
	p := r.policy(op)
	// An operation that finished, or a wait that ran out of time, is
	// reported below rather than polled again.
	p.Retryable = func(err error) bool { return !w.Done() && !timedOut && grpcerr.Retryable(err) }
	attempts, err := retry.Do(ctx, p, func(actx context.Context) (err error) {
		res, err = w.Wait(actx, noRetry()...)
		// The server may report the deadline a moment before the
		// context does, so both count as running out of time.
		timedOut = actx.Err() != nil || status.Code(err) == codes.DeadlineExceeded
		return err
	})
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
	}
	return res, translate(err, op, attempts, r.opts.Timeout)
}
