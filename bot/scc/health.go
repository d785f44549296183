package scc

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Health defaults.
const (
	// DefaultUnhealthyAfter is how long a source may fail (or fail to
	// start) before it is reported not ready.
	DefaultUnhealthyAfter = 2 * time.Minute
	// defaultLogEvery bounds how often a failing source logs: the first
	// failure at once, then one line per interval with how many were
	// folded into it, so an outage cannot flood the log.
	defaultLogEvery = time.Minute
)

// HealthOptions configures a Health. Every field is optional.
type HealthOptions struct {
	// UnhealthyAfter is how long the source may go without a success before
	// Ready fails; default DefaultUnhealthyAfter.
	UnhealthyAfter time.Duration
	// LogEvery bounds how often failures are logged; default one minute.
	LogEvery time.Duration
	Logger   *slog.Logger
	Metrics  *Metrics
	Now      func() time.Time
}

// Health is what a source knows about whether it can receive findings:
// every success and failure is fed to it, and it keeps the metrics
// (sccbot_source_up, sccbot_source_last_success_timestamp_seconds,
// sccbot_source_errors_total), the rate-limited log and the readiness
// verdict in step.
type Health struct {
	source string
	opts   HealthOptions
	log    *slog.Logger

	mu           sync.Mutex
	started      time.Time
	lastOK       time.Time
	failingSince time.Time // zero while up
	lastErr      error
	lastLogged   time.Time
	folded       int
}

// NewHealth returns the health of source, the label its metrics carry.
// The source counts as starting now: it is not reported unready before
// UnhealthyAfter has passed without a success.
func NewHealth(source string, opts HealthOptions) *Health {
	if opts.UnhealthyAfter <= 0 {
		opts.UnhealthyAfter = DefaultUnhealthyAfter
	}
	if opts.LogEvery <= 0 {
		opts.LogEvery = defaultLogEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Health{source: source, opts: opts, log: loggerOr(opts.Logger), started: opts.Now()}
	opts.Metrics.sourceUp(source, false)
	return h
}

// Source is the name the health reports under.
func (h *Health) Source() string { return h.source }

// OK records that the source worked: a stream stayed open, a message
// arrived, a poll pass completed.
func (h *Health) OK() {
	now := h.opts.Now()
	h.mu.Lock()
	recovered := !h.failingSince.IsZero()
	down := now.Sub(h.failingSince)
	h.lastOK, h.failingSince, h.lastErr, h.folded = now, time.Time{}, nil, 0
	h.mu.Unlock()
	h.opts.Metrics.sourceUp(h.source, true)
	h.opts.Metrics.sourceSuccess(h.source, now)
	if recovered {
		h.log.Info("source recovered", "source", h.source, "down_for", down.Round(time.Second).String())
	}
}

// Fail records a failure with its cause: it is counted, marks the source
// down, and is logged unless a line was written within LogEvery.
func (h *Health) Fail(err error) {
	now := h.opts.Now()
	h.mu.Lock()
	if h.failingSince.IsZero() {
		h.failingSince = now
	}
	h.lastErr = err
	since := h.failingSince
	logNow := h.lastLogged.IsZero() || now.Sub(h.lastLogged) >= h.opts.LogEvery
	folded := h.folded
	if logNow {
		h.lastLogged, h.folded = now, 0
	} else {
		h.folded++
	}
	h.mu.Unlock()
	h.opts.Metrics.sourceError(h.source)
	h.opts.Metrics.sourceUp(h.source, false)
	if logNow {
		h.log.Error("source failing", "source", h.source, "error", err.Error(),
			"failing_for", now.Sub(since).Round(time.Second).String(), "failures_not_logged", folded)
	}
}

// Ready returns nil while the source works, and an error naming the
// source and its last failure once it has gone UnhealthyAfter without a
// success: failing since then, or never having worked since it started.
func (h *Health) Ready() error {
	now := h.opts.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	after := h.opts.UnhealthyAfter
	switch {
	case !h.failingSince.IsZero() && now.Sub(h.failingSince) >= after:
		return fmt.Errorf("%s failing for %s: %w", h.source, now.Sub(h.failingSince).Round(time.Second), h.lastErr)
	case h.lastOK.IsZero() && now.Sub(h.started) >= after:
		cause := "no error reported yet"
		if h.lastErr != nil {
			cause = h.lastErr.Error()
		}
		return fmt.Errorf("%s has not worked since it started %s ago: %s", h.source, now.Sub(h.started).Round(time.Second), cause)
	}
	return nil
}
