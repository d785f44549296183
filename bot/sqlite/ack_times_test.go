package sqlite

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/storetest"
	"github.com/sccbot/sccbot/internal/storerow"
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

// TestAckPercentilesOfABusyDay reads the percentiles of a day of 10,000
// findings, a tenth acknowledged after 10 minutes: those are the multiples
// of ten, so CRITICAL (i%4 == 0) and MEDIUM (i%4 == 2) only, 500 each.
func TestAckPercentilesOfABusyDay(t *testing.T) {
	db, _ := openTemp(t)
	seedBusyDay(t, db)
	got, err := db.AckPercentiles(t.Context(), busyFrom, busyFrom.Add(24*time.Hour))
	wantEqual(t, "percentiles", fmt.Sprint(got, err), "[{CRITICAL 500 10m0s 10m0s} {MEDIUM 500 10m0s 10m0s}] <nil>")
	plan := queryPlan(t, db, storerow.AckPercentilesQuery("0", ":from", ":to"), []any{sql.Named("from", "a"), sql.Named("to", "b")})
	if !strings.Contains(plan, "acks_at") {
		t.Errorf("the percentiles do not read acks by time:\n%s", plan)
	}
}

// BenchmarkAckPercentiles ranks the 1,000 acknowledgements of the busy day.
func BenchmarkAckPercentiles(b *testing.B) {
	db, _ := openTemp(b)
	seedBusyDay(b, db)
	to := busyFrom.Add(24 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.AckPercentiles(b.Context(), busyFrom, to); err != nil {
			b.Fatal(err)
		}
	}
}
