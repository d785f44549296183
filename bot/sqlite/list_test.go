package sqlite

import (
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/storetest"
)

func TestListFindings(t *testing.T) {
	storetest.RunList(t, func(t *testing.T, now func() time.Time) storetest.ListStore {
		db := mustOpen(t, MemoryPath)
		db.Now = now
		t.Cleanup(func() { mustClose(t, db) })
		return db
	})
}
