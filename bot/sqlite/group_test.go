package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/sccbot/sccbot/bot/storetest"
)

// openReopenable opens a database file; reopen closes it and opens the
// file again, as a restart would.
func openReopenable(t *testing.T) (*DB, func() *DB) {
	path := filepath.Join(t.TempDir(), "sccbot.db")
	current := mustOpen(t, path)
	t.Cleanup(func() { mustClose(t, current) })
	return current, func() *DB {
		mustClose(t, current)
		current = mustOpen(t, path)
		return current
	}
}

func TestGroupsAndSilences(t *testing.T) {
	storetest.RunGroups(t, func(t *testing.T) (storetest.GroupStore, func() storetest.GroupStore) {
		db, reopen := openReopenable(t)
		return db, func() storetest.GroupStore { return reopen() }
	})
}
