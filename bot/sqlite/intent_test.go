package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/storetest"
)

var _ storetest.IntentStore = (*DB)(nil)

// TestIntentStoreFile runs the post-intent suite on a database file.
func TestIntentStoreFile(t *testing.T) {
	storetest.RunIntents(t, func(t *testing.T, now func() time.Time) (storetest.IntentStore, func() storetest.IntentStore) {
		path := filepath.Join(t.TempDir(), "sccbot.db")
		current := mustOpen(t, path)
		current.Now = now
		t.Cleanup(func() { mustClose(t, current) })
		return current, func() storetest.IntentStore {
			mustClose(t, current)
			current = mustOpen(t, path)
			current.Now = now
			return current
		}
	})
}
