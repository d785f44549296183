package playbooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// recordTimeout bounds each write that records what happened (outcome,
// audit, marks, the feed) once the caller's context no longer applies.
const recordTimeout = 30 * time.Second

// Messages for users.
const (
	msgShuttingDown = "sccbot is restarting; try again in a minute"
	msgRestarted    = "sccbot restarted while the action ran; check the workload before trying again"
	msgInterrupted  = "interrupted: the sccbot replica running the action stopped, so it may have been applied; check the workload before trying again"
)

// execute approves req on behalf of actor and, if this call wins the move
// from pending to running, runs the action and records its outcome. A
// loser gets the request as another caller left it, with a message.
func (r *Runner) execute(ctx context.Context, req bot.ActionRequest, f bot.Finding, actor, detail string) (bot.ActionRequest, string, error) {
	now := r.now()
	started, ok, err := r.store.TransitionRequest(ctx, req.ID, []bot.RequestState{bot.RequestPending}, bot.RequestRunning,
		func(q *bot.ActionRequest) { q.DecidedBy, q.DecidedAt = actor, now })
	if err != nil {
		return req, "", fmt.Errorf("approve request %s: %w", req.ID, err)
	}
	if !ok {
		return started, r.already(started), nil
	}
	r.setExecuting(started.ID, true)
	defer r.setExecuting(started.ID, false)
	// From here on the action runs and its outcome is recorded even if the
	// caller gives up: a request must not be left running.
	ctx = context.WithoutCancel(ctx)
	r.recordExecutor(ctx, started)
	r.audit(ctx, eventFor(started, bot.AuditApproved, actor, detail))
	r.changed(ctx, started)
	r.audit(ctx, eventFor(started, bot.AuditStarted, System, dryRunDetail(started.DryRun)))
	res, execErr := r.run(ctx, started, f)
	return r.finish(ctx, started, res, execErr), "", nil
}

// RequestResponder is a responder that records the request itself (who
// asked and approved, and when): the evidence manifest does. The runner
// calls ExecuteRequest instead of Execute when a responder has it.
type RequestResponder interface {
	ExecuteRequest(ctx context.Context, f bot.Finding, req bot.ActionRequest) (bot.ActionResult, error)
}

// run calls the responder, bounded by ExecTimeout. A panic in a responder
// fails the request instead of the whole bot (which would leave the
// request running until the next start).
func (r *Runner) run(ctx context.Context, req bot.ActionRequest, f bot.Finding) (res bot.ActionResult, err error) {
	resp, ok := r.responders[req.Action]
	if !ok {
		return res, bot.Errorf(bot.EInvalid, "no responder carries out %s", req.Action)
	}
	ctx, cancel := context.WithTimeout(ctx, r.execTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("responder for %s panicked: %v\n%s", req.Action, p, debug.Stack())
		}
	}()
	if rr, ok := resp.(RequestResponder); ok {
		res, err = rr.ExecuteRequest(ctx, f, req)
	} else {
		res, err = resp.Execute(ctx, f, req.Action, req.DryRun)
	}
	var safe *bot.Error
	if errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &safe) {
		err = bot.WrapError(bot.EDeadline, fmt.Sprintf("%s did not finish within %v; check the workload before trying again",
			req.Action, r.execTimeout), err)
	}
	return res, err
}

// finish records the outcome of a run: the request moves to done or
// failed (the error as users may see it), then the audit log, the feed
// and the finding's security marks. The audit log and the marks get the
// true outcome even when the request cannot be updated (the store failed,
// or another process gave it up for lost); the fault is logged and the
// request returned as it should be, since the action did run and the
// caller must say so.
func (r *Runner) finish(ctx context.Context, req bot.ActionRequest, res bot.ActionResult, execErr error) bot.ActionRequest {
	to, event, detail := bot.RequestDone, bot.AuditSucceeded, res.Summary
	if execErr != nil {
		to, event, detail = bot.RequestFailed, bot.AuditFailed, bot.ErrorMessage(execErr)
		r.log.LogAttrs(ctx, slog.LevelWarn, "response action failed", requestAttrs(req, slog.Any("error", execErr))...)
	}
	res.DryRun = res.DryRun || req.DryRun
	now := r.now()
	update := func(q *bot.ActionRequest) {
		q.FinishedAt, q.Result = now, res
		if execErr != nil {
			q.Error = detail
		}
	}
	rctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	final, ok, err := r.store.TransitionRequest(rctx, req.ID, []bot.RequestState{bot.RequestRunning}, to, update)
	if err != nil || !ok {
		r.log.LogAttrs(ctx, slog.LevelError, "cannot record the outcome of a response action",
			requestAttrs(req, slog.String("outcome", string(to)), slog.String("stored_state", string(final.State)),
				slog.Any("error", err))...)
		detail = joinDetail(detail, "the request could not be updated")
		final = req
		update(&final)
		final.State = to
	}
	r.audit(ctx, eventFor(final, event, System, detail))
	if ok {
		r.changed(ctx, final)
	}
	r.mark(ctx, final)
	return final
}

// mark records the outcome on the finding as SCC security marks, so that
// it shows in the console and in SCC queries. A failure is logged only:
// the request's outcome stands.
func (r *Runner) mark(ctx context.Context, req bot.ActionRequest) {
	if r.marks == nil {
		return
	}
	outcome := OutcomeFailed
	if req.State == bot.RequestDone {
		outcome = OutcomeDone
		if req.DryRun {
			outcome = OutcomeDryRun
		}
	}
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	marks := map[string]string{MarkAction: req.Action, MarkOutcome: outcome, MarkRequest: req.ID}
	if err := r.marks.SetMarks(ctx, req.Finding, marks); err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "cannot set security marks", requestAttrs(req, slog.Any("error", err))...)
	}
}

// refuse turns a policy answer into the message for the user, auditing a
// refusal. A policy error is a refusal too (fail closed), with a message
// that blames the check, not the user; the error itself is logged.
func (r *Runner) refuse(ctx context.Context, ev bot.AuditEvent, what, denied string, err error) string {
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "cannot check the response policy",
			slog.String("finding", ev.Finding), slog.String("action", ev.Action), slog.String("actor", ev.Actor), slog.Any("error", err))
		denied = fmt.Sprintf("cannot verify who may %s right now; try again in a minute", what)
	}
	if denied == "" {
		return ""
	}
	ev.Event, ev.Detail = bot.AuditRefused, denied
	r.audit(ctx, ev)
	return denied
}

// audit writes ev as a structured log line, then to the store. The line
// comes first, so that an event the store cannot take is still on record.
func (r *Runner) audit(ctx context.Context, ev bot.AuditEvent) {
	if ev.At.IsZero() {
		ev.At = r.now()
	}
	attrs := []slog.Attr{
		slog.String("event", ev.Event), slog.String("request", ev.Request), slog.String("finding", ev.Finding),
		slog.String("action", ev.Action), slog.String("actor", ev.Actor), slog.String("detail", ev.Detail),
	}
	r.log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := r.store.AppendAudit(ctx, ev); err != nil {
		r.log.LogAttrs(ctx, slog.LevelError, "cannot write the audit log; the audit line above is the record",
			append(attrs, slog.Any("error", err))...)
	}
}

// changed publishes a new state on the feed.
func (r *Runner) changed(_ context.Context, req bot.ActionRequest) { r.feed.publish(req) }

// setExecuting records whether this process is running request id.
func (r *Runner) setExecuting(id string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on {
		r.executing[id] = true
	} else {
		delete(r.executing, id)
	}
}

// isExecuting reports whether this process is running request id.
func (r *Runner) isExecuting(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.executing[id]
}

// eventFor is an audit event about req.
func eventFor(req bot.ActionRequest, event, actor, detail string) bot.AuditEvent {
	return bot.AuditEvent{Event: event, Request: req.ID, Finding: req.Finding, Action: req.Action, Actor: actor, Detail: detail}
}

// requestAttrs are log attributes naming req, then extra.
func requestAttrs(req bot.ActionRequest, extra ...slog.Attr) []slog.Attr {
	return append([]slog.Attr{slog.String("request", req.ID), slog.String("finding", req.Finding),
		slog.String("action", req.Action)}, extra...)
}

// when formats a time for a message people read, in the display zone
// and naming it.
func (r *Runner) when(t time.Time) string { return t.In(r.zone).Format("2006-01-02 15:04:05 MST") }

// already says why a request can no longer be decided.
func (r *Runner) already(req bot.ActionRequest) string {
	switch req.State {
	case bot.RequestRunning:
		return fmt.Sprintf("already approved by %s at %s; it is running", req.DecidedBy, r.when(req.DecidedAt))
	case bot.RequestDone:
		return fmt.Sprintf("already done at %s (approved by %s)", r.when(req.FinishedAt), req.DecidedBy)
	case bot.RequestFailed:
		return fmt.Sprintf("already failed at %s: %s", r.when(req.FinishedAt), req.Error)
	case bot.RequestDenied:
		return fmt.Sprintf("already denied by %s at %s", req.DecidedBy, r.when(req.DecidedAt))
	case bot.RequestExpired:
		return fmt.Sprintf("this request expired at %s without a decision; request it again", r.when(req.ExpiresAt))
	}
	return fmt.Sprintf("this request is %s", req.State)
}

// alreadyRequested says that an open request was joined.
func (r *Runner) alreadyRequested(req bot.ActionRequest) string {
	if req.State == bot.RequestRunning {
		return r.already(req)
	}
	return fmt.Sprintf("%s was already requested by %s at %s; it is waiting for approval", req.Action, req.RequestedBy, r.when(req.RequestedAt))
}

// requestDetail is the audit detail of a new request: its reason, and
// whether it is a dry run.
func requestDetail(req bot.ActionRequest) string {
	return joinDetail(dryRunDetail(req.DryRun), req.Reason)
}

func dryRunDetail(dryRun bool) string {
	if dryRun {
		return "dry run"
	}
	return ""
}

// joinDetail joins the non-empty parts with ": ".
func joinDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}
