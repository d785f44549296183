package scc

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// cursor is the event time up to which a poller has handled findings.
type cursor struct {
	at time.Time
	// dirty is set while at differs from what the store holds.
	dirty bool
	// pending counts advances since the last save.
	pending int
}

func (c *cursor) advance(t time.Time) {
	if t.After(c.at) {
		c.at = t
		c.dirty = true
		c.pending++
	}
}

// loadCursor reads the stored cursor. Without one (or with one it cannot
// read) it starts Lookback before now, and marks the start for saving so
// that later passes do not slide the window past findings SCC publishes
// late.
func (p *Poller) loadCursor(ctx context.Context) (*cursor, error) {
	v, ok, err := p.opts.Cursors.Cursor(ctx, p.key)
	if err != nil {
		return nil, fmt.Errorf("read poll cursor %q: %w", p.key, err)
	}
	if ok {
		at, perr := time.Parse(time.RFC3339Nano, v)
		if perr == nil {
			return &cursor{at: at.UTC()}, nil
		}
		p.log.Warn("stored poll cursor unreadable; starting from the lookback", "key", p.key, "error", perr)
	}
	return &cursor{at: p.opts.Now().Add(-p.opts.Lookback).UTC(), dirty: true}, nil
}

// saveCursor persists the cursor if it moved. It outlives ctx's
// cancellation, so that a pass stopped by shutdown still records its
// progress.
func (p *Poller) saveCursor(ctx context.Context, c *cursor) error {
	if !c.dirty {
		return nil
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cursorSaveTimeout)
	defer cancel()
	if err := p.opts.Cursors.PutCursor(sctx, p.key, c.at.Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("save poll cursor %q: %w", p.key, err)
	}
	c.dirty, c.pending = false, 0
	p.opts.Metrics.pollCursor(p.source, c.at)
	return nil
}

// memCursors keeps cursors in memory when no store is configured.
type memCursors struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memCursors) Cursor(_ context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *memCursors) PutCursor(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[key] = value
	return nil
}
