package sqlite

import (
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/storetest"
)

var _ storetest.AckTimesStore = (*DB)(nil)

// TestAckTimes runs the time to acknowledge suite on an in-memory database.
func TestAckTimes(t *testing.T) {
	storetest.RunAckTimes(t, func(t *testing.T, now func() time.Time) storetest.AckTimesStore {
		db := mustOpen(t, MemoryPath)
		db.Now = now
		t.Cleanup(func() { mustClose(t, db) })
		return db
	})
}
