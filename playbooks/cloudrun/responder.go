// Package cloudrun carries out the Cloud Run response actions through the
// Cloud Run Admin API v2 (cloud.google.com/go/run/apiv2), waiting on each
// long-running operation:
//
//   - cloudrun_rollback moves all of a service's traffic to the last ready
//     revision created before the compromised one, then deletes the
//     compromised revision. The order matters: Cloud Run refuses to delete
//     a revision that serves traffic.
//   - cloudrun_cancel_execution cancels the execution the finding names, or
//     every running execution of the job when it names none.
//
// A dry run sends the same mutations with validate_only, so Cloud Run
// checks permissions and arguments while nothing changes. Both actions are
// idempotent: run again, they find the work done and say so.
//
// Every name in a finding is attacker-controlled and is checked against
// Cloud Run's naming rules before any call (see names.go).
package cloudrun

import (
	"context"
	"log/slog"
	"time"

	run "cloud.google.com/go/run/apiv2"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
)

// Defaults of Options.
const (
	DefaultTimeout  = 2 * time.Minute
	DefaultAttempts = 3
	firstBackoff    = 500 * time.Millisecond
	maxBackoff      = 10 * time.Second
)

// Options configures a Responder. Every field is optional.
type Options struct {
	Logger *slog.Logger
	// Limits bound each call and each wait for a long-running operation,
	// and how often a read (a get, a list, an operation poll) is made when
	// Cloud Run is unavailable or too slow; defaults DefaultTimeout,
	// DefaultAttempts and DefaultBackoff. Mutations are made once.
	retry.Limits
	// Now times each action for the log; default time.Now.
	Now func() time.Time
}

// Responder implements bot.Responder for the Cloud Run actions.
type Responder struct {
	services   *run.ServicesClient
	revisions  *run.RevisionsClient
	executions *run.ExecutionsClient
	opts       Options
	log        *slog.Logger
}

var _ bot.Responder = (*Responder)(nil)

// New returns a Responder that uses the given clients (Dial makes them).
// A nil client disables the actions that need it: services and revisions
// for rollback, executions for cancel.
func New(services *run.ServicesClient, revisions *run.RevisionsClient, executions *run.ExecutionsClient,
	opts Options) *Responder {
	opts.Limits = opts.Limits.Or(retry.Limits{Timeout: DefaultTimeout, Attempts: DefaultAttempts, Backoff: DefaultBackoff})
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Responder{services: services, revisions: revisions, executions: executions, opts: opts, log: log}
}

// DefaultBackoff waits 500 ms after the first failure and doubles each
// time, up to 10 s.
func DefaultBackoff(attempt int) time.Duration {
	return retry.Exponential(firstBackoff, maxBackoff)(attempt)
}

// Actions lists the actions this responder carries out.
func (r *Responder) Actions() []string {
	return []string{bot.ActionCloudRunRollback, bot.ActionCloudRunCancelExecution}
}

// Execute carries out action on the finding's Cloud Run workload.
func (r *Responder) Execute(ctx context.Context, f bot.Finding, action string, dryRun bool) (bot.ActionResult, error) {
	if err := checkProduct(f, action); err != nil {
		return bot.ActionResult{}, err
	}
	start := r.opts.Now()
	var res bot.ActionResult
	var err error
	switch action {
	case bot.ActionCloudRunRollback:
		res, err = r.rollback(ctx, f, dryRun)
	case bot.ActionCloudRunCancelExecution:
		res, err = r.cancel(ctx, f, dryRun)
	}
	r.logResult(f, action, dryRun, r.opts.Now().Sub(start), res, err)
	return res, err
}

func (r *Responder) logResult(f bot.Finding, action string, dryRun bool, took time.Duration, res bot.ActionResult, err error) {
	attrs := []any{"finding", f.Name, "action", action, "dry_run", dryRun, "took", took}
	if err != nil {
		r.log.Warn("cloud run action failed", append(attrs, "code", bot.ErrorCode(err), "err", err)...)
		return
	}
	r.log.Info("cloud run action done", append(attrs, "summary", res.Summary)...)
}

// checkProduct refuses actions this responder does not have and findings
// about another product, before anything else runs.
func checkProduct(f bot.Finding, action string) error {
	switch action {
	case bot.ActionCloudRunRollback, bot.ActionCloudRunCancelExecution:
	default:
		return bot.Errorf(bot.EInvalid, "the Cloud Run responder does not carry out %s", shown(action))
	}
	if p := f.Target.Product; p != "" && p != bot.ProductCloudRun {
		return bot.Errorf(bot.EInvalid, "this finding is about %s, not Cloud Run: %s does not apply",
			p.Label(), action)
	}
	return nil
}
