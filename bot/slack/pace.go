package slack

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// PaceStore keeps the lanes' token buckets where every replica sees them,
// so that replicas posting to one channel keep Slack's pace together and
// all honour a Retry-After that one of them was given. Keys are the lanes'
// ("post/<channel>", "update"). The arithmetic is internal/pace's.
type PaceStore interface {
	// TakePace spends one token of key's bucket at now and returns how
	// long to wait for the slot, in one atomic step.
	TakePace(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error)
	// PausePace records that nothing may be sent under key before until.
	PausePace(ctx context.Context, key string, until time.Time) error
	// PaceUntil returns the end of key's latest pause (zero if none).
	PaceUntil(ctx context.Context, key string) (time.Time, error)
}

// paceStoreTimeout bounds each call to the store: a database that stopped
// answering must not stop posting, so the lane falls back to its own
// bucket once this passes.
const paceStoreTimeout = 2 * time.Second

// pacer is a lane's pace: the shared bucket when there is a store, this
// replica's own bucket otherwise or when the store fails. The own bucket
// takes every token too, so that a fallback starts from a realistic level.
type pacer struct {
	key      string
	interval time.Duration
	burst    int
	local    *bucket
	shared   *sharedPace // nil for one replica
}

// take spends a token and returns the wait for its slot.
func (p *pacer) take(ctx context.Context, now time.Time) time.Duration {
	own := p.local.wait(now)
	if p.shared == nil {
		return own
	}
	ctx, cancel := context.WithTimeout(ctx, paceStoreTimeout)
	defer cancel()
	w, err := p.shared.store.TakePace(ctx, p.key, p.interval, p.burst, now)
	if !p.shared.result(ctx, "take", err) {
		return own
	}
	return max(w, own)
}

// pause records a 429's Retry-After for every replica.
func (p *pacer) pause(ctx context.Context, until time.Time) {
	p.local.pause(until)
	if p.shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, paceStoreTimeout)
	defer cancel()
	p.shared.result(ctx, "pause", p.shared.store.PausePace(ctx, p.key, until))
}

// pausedAt reports whether a pause covers now: another replica may have
// been given a 429 while this one waited for a slot reserved before it.
func (p *pacer) pausedAt(ctx context.Context, now time.Time) bool {
	if p.shared == nil {
		return p.local.pausedAt(now)
	}
	ctx, cancel := context.WithTimeout(ctx, paceStoreTimeout)
	defer cancel()
	until, err := p.shared.store.PaceUntil(ctx, p.key)
	if !p.shared.result(ctx, "until", err) {
		return p.local.pausedAt(now)
	}
	return now.Before(until)
}

// sharedPace is the outbox's link to its PaceStore and the record of its
// outages: each failed call is counted, and an outage is logged once, when
// it starts, with its cause, and once when it ends.
type sharedPace struct {
	store   PaceStore
	log     *slog.Logger
	metrics *Metrics

	mu   sync.Mutex
	down bool
}

// result accounts for a store call and reports whether it succeeded. A
// call cut short by the caller's context is not the store's fault and is
// not counted, but its answer is not used either.
func (s *sharedPace) result(ctx context.Context, op string, err error) bool {
	if err == nil {
		s.mu.Lock()
		if s.down {
			s.down = false
			s.log.Info("pace store reachable again; replicas share the Slack pace")
		}
		s.mu.Unlock()
		return true
	}
	if ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return false
	}
	s.metrics.paceFallbacks.WithLabelValues(op).Inc()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down {
		s.down = true
		s.log.Warn("pace store unreachable; this replica keeps its own Slack pace until it is back", "op", op, "err", err)
	}
	return false
}
