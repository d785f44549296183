package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/storetest"
)

// TestPace runs the pace contract on a database file; the replica is a
// second DB on the same file, with its own connections.
func TestPace(t *testing.T) {
	storetest.RunPace(t, func(t *testing.T) (storetest.PaceStore, func() storetest.PaceStore) {
		path := filepath.Join(t.TempDir(), "sccbot.db")
		db := mustOpen(t, path)
		t.Cleanup(func() { mustClose(t, db) })
		return db, func() storetest.PaceStore {
			other := mustOpen(t, path)
			t.Cleanup(func() { mustClose(t, other) })
			return other
		}
	})
}

// BenchmarkPaceTake is one take of a channel's token bucket, the store
// call the outbox makes before each post when replicas share the pace.
func BenchmarkPaceTake(b *testing.B) {
	db, _ := openTemp(b)
	ctx := b.Context()
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	for i := 0; b.Loop(); i++ {
		// A fresh instant each take, as posts come, over a few channels.
		if _, err := db.TakePace(ctx, "post/C"+string(rune('A'+i%8)), time.Second, 3, now.Add(time.Duration(i)*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
	}
}
