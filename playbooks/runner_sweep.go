package playbooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// staleGrace is added to ExecTimeout before a running request counts as
// lost: an execution that timed out still needs a moment to record its
// outcome, and another process (an overlapping deploy) may be doing that.
const staleGrace = time.Minute

// Run gives up requests left running by an earlier process (they fail,
// and are never run again: the action may or may not have happened), then
// sweeps every SweepEvery until ctx ends. At the end it drains: new
// requests and approvals are refused, and Run returns once the actions
// already running have finished and been recorded. A sweep that fails is
// logged and retried at the next tick; only a failure of the first one
// ends Run, since the store is then unusable. With several replicas, run
// RunExecutor on every replica and RunSweeps on one at a time instead.
func (r *Runner) Run(ctx context.Context) error {
	// Every way out drains, including a shutdown that comes while the
	// first sweep runs: an approval already executing must be recorded
	// before the process exits, whenever the signal arrives.
	defer r.drain.shutdown()
	return r.RunSweeps(ctx)
}

// RunExecutor waits for ctx to end, then drains as Run does: the part of
// Run every replica that executes approvals needs.
func (r *Runner) RunExecutor(ctx context.Context) error {
	<-ctx.Done()
	r.drain.shutdown()
	return nil
}

// RunSweeps is Run's sweeps without its drain: the first sweep gives up
// requests lost to a restart (or to a dead replica), then one sweep every
// SweepEvery until ctx ends. It is the singleton part of Run. A store that
// cannot be read is logged and tried again at the next sweep: the bot
// keeps serving (and /readyz names the store) rather than exiting.
func (r *Runner) RunSweeps(ctx context.Context) error {
	if err := errors.Join(r.failStale(ctx), r.failInterrupted(ctx)); err != nil && ctx.Err() == nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "cannot recover requests left running; trying again at the next sweep",
			slog.Any("error", err))
	}
	tick := time.NewTicker(r.sweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := r.Sweep(ctx); err != nil {
				r.log.LogAttrs(ctx, slog.LevelWarn, "sweep of action requests failed", slog.Any("error", err))
			}
		}
	}
}

// Sweep expires the pending requests past their expiry and fails the
// running ones lost to a restart or to a dead replica. Run calls it on a
// ticker; tests call it directly with an injected clock.
func (r *Runner) Sweep(ctx context.Context) error {
	return errors.Join(r.expireDue(ctx), r.failStale(ctx), r.failInterrupted(ctx))
}

// expireDue expires every pending request whose expiry has passed.
func (r *Runner) expireDue(ctx context.Context) error {
	due, err := r.store.ExpiredRequests(ctx, r.now())
	if err != nil {
		return fmt.Errorf("list expired requests: %w", err)
	}
	var errs []error
	for _, req := range due {
		if _, err := r.expire(ctx, req); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// expire moves a pending request to expired and records it; if someone
// decided it first, it returns the request as they left it.
func (r *Runner) expire(ctx context.Context, req bot.ActionRequest) (bot.ActionRequest, error) {
	now := r.now()
	got, ok, err := r.store.TransitionRequest(ctx, req.ID, []bot.RequestState{bot.RequestPending}, bot.RequestExpired,
		func(q *bot.ActionRequest) { q.DecidedBy, q.DecidedAt = System, now })
	if err != nil {
		return req, fmt.Errorf("expire request %s: %w", req.ID, err)
	}
	if ok {
		r.audit(ctx, eventFor(got, bot.AuditExpired, System, "not approved by "+r.when(got.ExpiresAt)))
		r.changed(ctx, got)
	}
	return got, nil
}

// failStale fails the requests that have been running for longer than any
// execution can, except those this process is running.
func (r *Runner) failStale(ctx context.Context) error {
	stale, err := r.store.StaleRunning(ctx, r.now().Add(-r.execTimeout-staleGrace))
	if err != nil {
		return fmt.Errorf("list stale running requests: %w", err)
	}
	var errs []error
	for _, req := range stale {
		if r.isExecuting(req.ID) {
			continue
		}
		if _, err := r.failLost(ctx, req, msgRestarted); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// failLost fails a request whose execution was lost, records it with why,
// and reports whether this call failed it.
func (r *Runner) failLost(ctx context.Context, req bot.ActionRequest, why string) (bool, error) {
	now := r.now()
	got, ok, err := r.store.TransitionRequest(ctx, req.ID, []bot.RequestState{bot.RequestRunning}, bot.RequestFailed,
		func(q *bot.ActionRequest) { q.FinishedAt, q.Error = now, why })
	if err != nil {
		return false, fmt.Errorf("fail lost request %s: %w", req.ID, err)
	}
	if ok {
		r.audit(ctx, eventFor(got, bot.AuditFailed, System, why))
		r.changed(ctx, got)
		r.mark(ctx, got)
	}
	return ok, nil
}

// drainer lets shutdown wait for the operations in flight while refusing
// new ones (atlantis' Drainer, without its unguarded read).
type drainer struct {
	mu      sync.Mutex
	closing bool
	ops     sync.WaitGroup
}

// start registers an operation; false means shutdown has begun and the
// operation must not start.
func (d *drainer) start() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return false
	}
	d.ops.Add(1)
	return true
}

// done ends an operation start registered.
func (d *drainer) done() { d.ops.Done() }

// shutdown refuses new operations and waits for those in flight.
func (d *drainer) shutdown() {
	d.mu.Lock()
	d.closing = true
	d.mu.Unlock()
	d.ops.Wait()
}

// draining reports whether shutdown has begun.
func (d *drainer) draining() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closing
}
