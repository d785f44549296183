package postgres

import (
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/postgres/pgtest"
	"github.com/sccbot/sccbot/bot/storetest"
)

// TestPostgresPace runs the pace contract; the replica is a second pool on
// the same database, as another replica's.
func TestPostgresPace(t *testing.T) {
	storetest.RunPace(t, func(t *testing.T) (storetest.PaceStore, func() storetest.PaceStore) {
		url := pgtest.Database(t)
		db := mustOpen(t, url)
		t.Cleanup(func() { db.Close() })
		return db, func() storetest.PaceStore {
			other := mustOpen(t, url)
			t.Cleanup(func() { other.Close() })
			return other
		}
	})
}

// BenchmarkPostgresPaceTake is one take of a channel's token bucket, the
// store call the outbox makes before each post when replicas share the
// pace: one statement, one round trip.
func BenchmarkPostgresPaceTake(b *testing.B) {
	db := mustOpen(b, pgtest.Database(b))
	defer db.Close()
	ctx := b.Context()
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	for i := 0; b.Loop(); i++ {
		if _, err := db.TakePace(ctx, "post/C"+string(rune('A'+i%8)), time.Second, 3, now.Add(time.Duration(i)*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPostgresPaceTakeOneChannel races takers from the pool on one
// key, as replicas posting to one busy channel do: they queue on its row.
func BenchmarkPostgresPaceTakeOneChannel(b *testing.B) {
	db := mustOpen(b, pgtest.Database(b))
	defer db.Close()
	ctx := b.Context()
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.TakePace(ctx, "post/C1", time.Second, 3, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
