package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/postgres/pgtest"
)

// TestPostgresCardLockTakesTurns: two replicas (two pools on one
// database) refreshing the same card never write it at the same time;
// different cards do not wait for each other.
func TestPostgresCardLockTakesTurns(t *testing.T) {
	url := pgtest.Database(t)
	a, b := mustOpen(t, url), mustOpen(t, url)
	ctx := context.Background()
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Go(func() {
			if err := db.WithCardLock(ctx, "card/f1", func(context.Context) error {
				if inside.Add(1) > 1 {
					overlaps.Add(1)
				}
				time.Sleep(2 * time.Millisecond) // a write under way, for the other to bump into
				inside.Add(-1)
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d refreshes of one card overlapped, want none", n)
	}

	// Another card's lock is free while card/f1's is held.
	held := make(chan struct{})
	release := make(chan struct{})
	go func() {
		_ = a.WithCardLock(ctx, "card/f1", func(context.Context) error { close(held); <-release; return nil })
	}()
	<-held
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.WithCardLock(tctx, "card/f2", func(context.Context) error { return nil }); err != nil {
		t.Errorf("another card waited for card/f1's lock: %v", err)
	}
	close(release)
}
