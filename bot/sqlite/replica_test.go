package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/storetest"
)

var _ storetest.ReplicaStore = (*DB)(nil)

// TestReplicaStoreFile runs the replica suite on a database file (one
// handle: SQLite serves one replica).
func TestReplicaStoreFile(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T, now func() time.Time) []storetest.ReplicaStore {
		db := mustOpen(t, filepath.Join(t.TempDir(), "sccbot.db"))
		db.Now = now
		t.Cleanup(func() { mustClose(t, db) })
		return []storetest.ReplicaStore{db}
	})
}
