// Package sqlitetest opens throwaway SQLite stores for the tests of the
// packages that use one.
package sqlitetest

import (
	"context"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/sqlite"
)

// Open opens an in-memory store whose clock is now, closed when the test
// ends.
func Open(t *testing.T, now func() time.Time) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Now = now
	t.Cleanup(func() { _ = db.Close() })
	return db
}
