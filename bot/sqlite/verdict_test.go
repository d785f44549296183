package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/storetest"
)

var _ storetest.VerdictStore = (*DB)(nil)

// TestVerdictStoreFile runs the verdict and deadline suite on a database
// file; another store is a second process on the same file, with its own
// writer, so claims race through SQLite's file lock, not only the Go
// queue of one writer.
func TestVerdictStoreFile(t *testing.T) {
	storetest.RunVerdicts(t, func(t *testing.T, now func() time.Time) (storetest.VerdictStore, func() storetest.VerdictStore) {
		path := filepath.Join(t.TempDir(), "sccbot.db")
		first := mustOpen(t, path)
		first.Now = now
		t.Cleanup(func() { mustClose(t, first) })
		return first, func() storetest.VerdictStore {
			db := mustOpen(t, path)
			db.Now = now
			t.Cleanup(func() { mustClose(t, db) })
			return db
		}
	})
}

// TestPendingAcksPlan checks that the deadline scan reads the cards of its
// window through cards_posted and looks each finding up by name, rather
// than scanning every open finding the store holds.
func TestPendingAcksPlan(t *testing.T) {
	db := seedPending(t, 20, 5, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	rows, err := db.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+selectPending, "2026-12-01T00:00:00.000000000Z")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "USING INDEX cards_posted (posted_at>?)") || strings.Contains(text, "SCAN f") ||
		!strings.Contains(text, "SEARCH f USING INDEX sqlite_autoindex_findings_1 (name=?)") {
		t.Errorf("PendingAcks plan:\n%s\nwant a range of cards_posted and a lookup of each finding by name", text)
	}
	got, err := db.PendingAcks(t.Context(), time.Date(2026, 12, 1, 0, 0, 9, 0, time.UTC))
	if err != nil || len(got) != 5 {
		t.Errorf("PendingAcks = %d cards, %v; want the 5 unacknowledged", len(got), err)
	}
}
