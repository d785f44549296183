package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"strings"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
)

const (
	executionsPageSize = 100
	conditionCompleted = "Completed"
)

func (r *Responder) cancel(ctx context.Context, f bot.Finding, dryRun bool) (bot.ActionResult, error) {
	ref, err := jobOf(f.Target)
	if err != nil {
		return bot.ActionResult{}, err
	}
	if r.executions == nil {
		return bot.ActionResult{}, notConfigured(bot.ActionCloudRunCancelExecution)
	}
	if ref.execution != "" {
		return r.cancelNamed(ctx, ref, dryRun)
	}
	return r.cancelRunning(ctx, ref, dryRun)
}

// cancelNamed cancels the finding's own execution, unless it finished.
func (r *Responder) cancelNamed(ctx context.Context, ref jobRef, dryRun bool) (bot.ActionResult, error) {
	e, err := r.getExecution(ctx, ref, ref.execution)
	if err != nil {
		return bot.ActionResult{}, err
	}
	res := bot.ActionResult{DryRun: dryRun}
	if finished(e) {
		res.Summary = dryRunPrefix(dryRun, fmt.Sprintf("Job %s: execution %s already finished (%s); nothing to cancel",
			ref.job, ref.execution, outcome(e)))
		return res, nil
	}
	note, err := r.cancelOne(ctx, ref, ref.execution, dryRun)
	if err != nil {
		return bot.ActionResult{}, err
	}
	res.Details = []string{describeExecution(ref.execution, e), note}
	res.Summary = fmt.Sprintf("Job %s: execution %s cancelled", ref.job, ref.execution)
	if dryRun {
		res.Summary = fmt.Sprintf("Dry run: job %s: execution %s would be cancelled; Cloud Run validated the request; "+
			"nothing was changed", ref.job, ref.execution)
	}
	return res, nil
}

// cancelRunning cancels every running execution of the job, one after
// the other. If one fails, the error says which were cancelled before.
func (r *Responder) cancelRunning(ctx context.Context, ref jobRef, dryRun bool) (bot.ActionResult, error) {
	running, done, err := r.runningExecutions(ctx, ref)
	if err != nil {
		return bot.ActionResult{}, err
	}
	res := bot.ActionResult{DryRun: dryRun}
	if len(running) == 0 {
		res.Summary = dryRunPrefix(dryRun, fmt.Sprintf("Job %s: no running executions; nothing to cancel", ref.job))
		return res, nil
	}
	var cancelled []string
	for _, e := range running {
		id := idOf(e.GetName())
		note, err := r.cancelOne(ctx, ref, id, dryRun)
		if err != nil {
			return bot.ActionResult{}, partial(err, cancelled, dryRun)
		}
		cancelled = append(cancelled, id)
		res.Details = append(res.Details, describeExecution(id, e), note)
	}
	if done > 0 {
		res.Details = append(res.Details, fmt.Sprintf("%d finished execution(s) left as they are", done))
	}
	res.Summary = fmt.Sprintf("Job %s: %d running execution(s) cancelled: %s", ref.job, len(cancelled),
		strings.Join(cancelled, ", "))
	if dryRun {
		res.Summary = fmt.Sprintf("Dry run: job %s: %d running execution(s) would be cancelled: %s; Cloud Run "+
			"validated the requests; nothing was changed", ref.job, len(cancelled), strings.Join(cancelled, ", "))
	}
	return res, nil
}

// partial adds to a failure which executions were cancelled before it.
func partial(err error, cancelled []string, dryRun bool) error {
	if len(cancelled) == 0 || dryRun {
		return err
	}
	return bot.WrapError(bot.ErrorCode(err), fmt.Sprintf("%s (sccbot had already cancelled %s)",
		bot.ErrorMessage(err), strings.Join(cancelled, ", ")), err)
}

func (r *Responder) getExecution(ctx context.Context, ref jobRef, id string) (*runpb.Execution, error) {
	name := ref.executionName(id)
	op := operation{what: fmt.Sprintf("read execution %s of Cloud Run job %s", id, ref.job), role: RoleViewer,
		project: ref.project, target: name, notFound: fmt.Sprintf("execution %s of Cloud Run job %s does not exist %s: "+
			"it may have been deleted", id, ref.job, ref.where())}
	var e *runpb.Execution
	err := r.read(ctx, op, func(ctx context.Context) (err error) {
		e, err = r.executions.GetExecution(ctx, &runpb.GetExecutionRequest{Name: name}, noRetry()...)
		return err
	})
	return e, err
}

// runningExecutions lists the job's executions and returns those still
// running, and how many have finished. Executions whose names break the
// rules, or belong elsewhere, are skipped.
func (r *Responder) runningExecutions(ctx context.Context, ref jobRef) ([]*runpb.Execution, int, error) {
	op := operation{what: "list the executions of Cloud Run job " + ref.job, role: RoleViewer, project: ref.project,
		target: ref.String(), notFound: fmt.Sprintf("Cloud Run job %s does not exist %s: it may have been deleted",
			ref.job, ref.where())}
	var all []*runpb.Execution
	err := r.read(ctx, op, func(ctx context.Context) error {
		all = all[:0]
		req := &runpb.ListExecutionsRequest{Parent: ref.String(), PageSize: executionsPageSize}
		return collect(r.executions.ListExecutions(ctx, req, noRetry()...), &all)
	})
	if err != nil {
		return nil, 0, err
	}
	var running []*runpb.Execution
	done := 0
	for _, e := range all {
		id := idOf(e.GetName())
		switch {
		case !resourcePattern.MatchString(id) || e.GetName() != ref.executionName(id):
			r.log.Warn("skipping an execution with an unexpected name", "job", ref.String(), "name", e.GetName())
		case finished(e):
			done++
		default:
			running = append(running, e)
		}
	}
	return running, done, nil
}

func collect(it *run.ExecutionIterator, out *[]*runpb.Execution) error {
	for {
		e, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return nil
		}
		if err != nil {
			return err
		}
		*out = append(*out, e)
	}
}

// cancelOne cancels one execution and waits for it. It sends no etag: an
// execution's etag changes as its tasks progress, so requiring it would
// make cancelling a busy job fail for no gain in safety. An execution
// that finished or vanished meanwhile is what the action wanted.
func (r *Responder) cancelOne(ctx context.Context, ref jobRef, id string, dryRun bool) (string, error) {
	name := ref.executionName(id)
	op := operation{what: fmt.Sprintf("cancel execution %s of Cloud Run job %s", id, ref.job), role: RoleDeveloper,
		project: ref.project, target: name, notFound: fmt.Sprintf("execution %s no longer exists", id)}
	req := &runpb.CancelExecutionRequest{Name: name, ValidateOnly: dryRun}
	var lro *run.CancelExecutionOperation
	err := r.mutate(ctx, op, func(ctx context.Context) (err error) {
		lro, err = r.executions.CancelExecution(ctx, req, noRetry()...)
		return err
	})
	if err == nil {
		_, err = wait(ctx, r, op, lro)
	}
	switch {
	case err == nil && dryRun:
		return fmt.Sprintf("Would cancel execution %s: Cloud Run validated the request", id), nil
	case err == nil:
		return fmt.Sprintf("Cancelled execution %s", id), nil
	case bot.ErrorCode(err) == bot.ENotFound:
		return fmt.Sprintf("Execution %s no longer exists", id), nil
	case status.Code(err) == codes.FailedPrecondition:
		return r.finishedMeanwhile(ctx, ref, id, err)
	}
	return "", err
}

// finishedMeanwhile explains a refused cancel: fine if the execution has
// finished since it was read, an error otherwise.
func (r *Responder) finishedMeanwhile(ctx context.Context, ref jobRef, id string, cause error) (string, error) {
	e, err := r.getExecution(ctx, ref, id)
	if err != nil || !finished(e) {
		return "", cause
	}
	return fmt.Sprintf("Execution %s had already finished (%s)", id, outcome(e)), nil
}

// finished reports whether an execution has completed, however it ended.
func finished(e *runpb.Execution) bool { return e.GetCompletionTime() != nil }

// outcome says how a finished execution ended.
func outcome(e *runpb.Execution) string {
	for _, c := range e.GetConditions() {
		if c.GetType() != conditionCompleted {
			continue
		}
		switch {
		case c.GetExecutionReason() == runpb.Condition_CANCELLED:
			return "cancelled"
		case c.GetState() == runpb.Condition_CONDITION_SUCCEEDED:
			return "succeeded"
		case c.GetState() == runpb.Condition_CONDITION_FAILED:
			return "failed"
		}
	}
	if e.GetCancelledCount() > 0 {
		return "cancelled"
	}
	return "finished"
}

func describeExecution(id string, e *runpb.Execution) string {
	started := "not started yet"
	if t := e.GetStartTime(); t != nil {
		started = "running since " + t.AsTime().UTC().Format("2006-01-02 15:04 MST")
	}
	return fmt.Sprintf("Execution %s: %s, %d task(s) running", id, started, e.GetRunningCount())
}

func dryRunPrefix(dryRun bool, s string) string {
	if !dryRun {
		return s
	}
	return "Dry run: " + s + "; nothing was changed"
}
