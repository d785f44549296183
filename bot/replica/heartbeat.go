package replica

import (
	"context"
	"log/slog"
	"time"
)

// Defaults of the liveness protocol; see the package doc for why.
const (
	DefaultBeat      = 2 * time.Second
	DefaultDeadAfter = 10 * time.Second
)

// leaveTimeout bounds the goodbye written when the heartbeat stops.
const leaveTimeout = 2 * time.Second

// HeartbeatStore records replicas' heartbeats.
type HeartbeatStore interface {
	Heartbeat(ctx context.Context, id string) error
	LeaveReplica(ctx context.Context, id string) error
}

// HeartbeatOptions configure a Heartbeat.
type HeartbeatOptions struct {
	// ID is this replica's id (Name).
	ID string
	// Every is how often it beats (DefaultBeat).
	Every  time.Duration
	Logger *slog.Logger
}

// Heartbeat writes this replica's seen_at every few seconds, so that the
// others know it is alive, and removes it when it stops cleanly, so that
// they take over at once what it left.
type Heartbeat struct {
	store HeartbeatStore
	opts  HeartbeatOptions
}

// NewHeartbeat returns the heartbeat of replica opts.ID.
func NewHeartbeat(store HeartbeatStore, opts HeartbeatOptions) *Heartbeat {
	if opts.Every <= 0 {
		opts.Every = DefaultBeat
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Heartbeat{store: store, opts: opts}
}

// Run beats until ctx ends, then leaves. A beat that fails is logged once
// per distinct cause (the store's readiness check reports the database
// itself) and retried at the next tick.
func (h *Heartbeat) Run(ctx context.Context) error {
	tick := time.NewTicker(h.opts.Every)
	defer tick.Stop()
	var lastErr string
	for {
		if err := h.store.Heartbeat(ctx, h.opts.ID); err != nil && ctx.Err() == nil {
			if err.Error() != lastErr {
				h.opts.Logger.Warn("heartbeat not recorded; other replicas may take this one for dead", "replica", h.opts.ID, "err", err)
			}
			lastErr = err.Error()
		} else if err == nil {
			lastErr = ""
		}
		select {
		case <-ctx.Done():
			h.leave(ctx)
			return nil
		case <-tick.C:
		}
	}
}

func (h *Heartbeat) leave(ctx context.Context) {
	leaveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaveTimeout)
	defer cancel()
	if err := h.store.LeaveReplica(leaveCtx, h.opts.ID); err != nil {
		h.opts.Logger.Warn("replica not removed; others take over its claims once it counts as dead", "replica", h.opts.ID, "err", err)
		return
	}
	h.opts.Logger.Info("replica left", "replica", h.opts.ID)
}
