package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/sccbot/sccbot/bot/storetest"
)

// Conformance is asserted here, where the concrete type is known.
var _ storetest.RequestStore = (*DB)(nil)

// TestRequestStoreFile runs the request and audit conformance suite on a
// database file; reopen closes it and opens the file again.
func TestRequestStoreFile(t *testing.T) {
	storetest.RunRequests(t, func(t *testing.T) (storetest.RequestStore, func() storetest.RequestStore) {
		path := filepath.Join(t.TempDir(), "sccbot.db")
		current := mustOpen(t, path)
		t.Cleanup(func() { mustClose(t, current) })
		reopen := func() storetest.RequestStore {
			mustClose(t, current)
			current = mustOpen(t, path)
			return current
		}
		return current, reopen
	})
}

// TestRequestStoreMemory runs the suite on an in-memory database, whose
// reopen is the same store (see TestStoreMemory).
func TestRequestStoreMemory(t *testing.T) {
	storetest.RunRequests(t, func(t *testing.T) (storetest.RequestStore, func() storetest.RequestStore) {
		db := mustOpen(t, MemoryPath)
		t.Cleanup(func() { mustClose(t, db) })
		return db, func() storetest.RequestStore { return db }
	})
}
