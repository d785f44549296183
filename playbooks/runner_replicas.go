package playbooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// ExecutorStore records which replica runs each request.
type ExecutorStore interface {
	// SetRequestExecutor records the replica running a running request.
	SetRequestExecutor(ctx context.Context, id, replica string) error
	// InterruptedRequests returns the running requests whose executor has
	// not beaten within deadAfter.
	InterruptedRequests(ctx context.Context, deadAfter time.Duration) ([]bot.ActionRequest, error)
}

// ReplicaOptions tell a Runner that several replicas share its store.
type ReplicaOptions struct {
	// Store records executors.
	Store ExecutorStore
	// ID is this replica's id.
	ID string
	// DeadAfter is how long a replica goes without a heartbeat before it
	// counts as dead.
	DeadAfter time.Duration
	// OnInterrupted is called for each request this replica showed as
	// interrupted (nil: nothing).
	OnInterrupted func(req bot.ActionRequest)
}

// recordExecutor names this replica as req's executor. If the record
// fails, the request still runs; should this replica then die, the stale
// sweep fails the request after ExecTimeout instead of at once.
func (r *Runner) recordExecutor(ctx context.Context, req bot.ActionRequest) {
	if r.replicas == nil {
		return
	}
	if err := r.replicas.Store.SetRequestExecutor(ctx, req.ID, r.replicas.ID); err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "executor of the request not recorded",
			requestAttrs(req, slog.Any("error", err))...)
	}
}

// failInterrupted fails the running requests whose replica died: they are
// shown as interrupted (the action may have been applied) and never run
// again.
func (r *Runner) failInterrupted(ctx context.Context) error {
	if r.replicas == nil {
		return nil
	}
	lost, err := r.replicas.Store.InterruptedRequests(ctx, r.replicas.DeadAfter)
	if err != nil {
		return fmt.Errorf("list interrupted requests: %w", err)
	}
	var errs []error
	for _, req := range lost {
		if r.isExecuting(req.ID) {
			continue // this replica is alive and running it
		}
		failed, err := r.failLost(ctx, req, msgInterrupted)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if failed && r.replicas.OnInterrupted != nil {
			r.replicas.OnInterrupted(req)
		}
	}
	return errors.Join(errs...)
}
