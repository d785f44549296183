package sqlite

import (
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// fakeClock is a settable clock for DB.Now.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// storedTime reads one stored time with a query taking one argument.
func storedTime(t *testing.T, db *DB, query string, arg any) time.Time {
	t.Helper()
	var s string
	if err := db.write.QueryRowContext(t.Context(), query, arg).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	got, err := parseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantTime compares times exactly.
func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestClockFindings checks that the times written with findings and
// notifications come from DB.Now, to the nanosecond, and which writes move
// them.
func TestClockFindings(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 14, 1, 2, 3, 456789012, time.FixedZone("X", 3600))
	clock := &fakeClock{t: t0}
	db.Now = clock.now
	tick := func() time.Time { clock.t = clock.t.Add(time.Minute + time.Nanosecond); return clock.t }

	f := bot.Finding{Name: "organizations/1/sources/2/findings/clock", EventTime: t0}
	must(t, db.PutFinding(ctx, f))
	t1 := tick()
	f.EventTime = t0.Add(time.Hour)
	must(t, db.PutFinding(ctx, f))
	first, last, err := db.FindingSeen(ctx, f.Name)
	must(t, err)
	wantTime(t, "first seen after an update", first, t0)
	wantTime(t, "last seen after an update", last, t1)
	t2 := tick()
	f.EventTime = t0 // stale: data ignored, but it was seen
	must(t, db.PutFinding(ctx, f))
	first, last, err = db.FindingSeen(ctx, f.Name)
	must(t, err)
	wantTime(t, "first seen after a stale put", first, t0)
	wantTime(t, "last seen after a stale put", last, t2)

	key := f.Key()
	must(t, db.MarkNotification(ctx, key, "posted"))
	tick()
	must(t, db.MarkNotification(ctx, key, "duplicate"))
	_, handledAt, err := db.Notification(ctx, key)
	must(t, err)
	wantTime(t, "handled at after two marks", handledAt, t2)
}

// TestClockRecords checks the times written with cards, cursors and
// rejected messages.
func TestClockRecords(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	clock := &fakeClock{t: time.Date(2026, 3, 14, 1, 2, 3, 456789012, time.UTC)}
	db.Now = clock.now
	tick := func() time.Time { clock.t = clock.t.Add(time.Minute + time.Nanosecond); return clock.t }
	f := bot.Finding{Name: "organizations/1/sources/2/findings/clock"}
	must(t, db.PutFinding(ctx, f))

	ref := bot.MessageRef{Channel: "C1", TS: "1.1"}
	t3 := tick()
	must(t, db.PutCard(ctx, f.Name, ref))
	tick()
	must(t, db.PutCard(ctx, f.Name, ref)) // the same card again: posted_at stays
	wantTime(t, "posted at", storedTime(t, db, `SELECT posted_at FROM cards WHERE finding_name = ?`, f.Name), t3)
	t4 := tick()
	must(t, db.PutCard(ctx, f.Name, bot.MessageRef{Channel: "C2", TS: "2.2"}))
	wantTime(t, "posted at after a move", storedTime(t, db, `SELECT posted_at FROM cards WHERE finding_name = ?`, f.Name), t4)

	must(t, db.PutCursor(ctx, "k", "v"))
	wantTime(t, "cursor updated at", storedTime(t, db, `SELECT updated_at FROM cursors WHERE key = ?`, "k"), t4)

	must(t, db.RecordRejected(ctx, bot.Rejected{Source: "s"}))
	rs, err := db.Rejected(ctx, 1)
	must(t, err)
	wantTime(t, "rejected received at", rs[0].ReceivedAt, t4)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPragmas checks the connection settings Open promises.
func TestPragmas(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"busy_timeout", "5000"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
	} {
		var got string
		must(t, db.write.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got))
		if got != tc.want {
			t.Errorf("writer PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
	var queryOnly string
	must(t, db.read.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly))
	if queryOnly != "1" {
		t.Errorf("reader PRAGMA query_only = %s, want 1", queryOnly)
	}
	if _, err := db.read.ExecContext(ctx, `INSERT INTO cursors (key, value, updated_at) VALUES ('a', 'b', 'c')`); err == nil {
		t.Error("a write through the read pool succeeded, want an error")
	}
}

// TestForeignKeys checks that a card cannot outlive or precede its finding
// even if a statement bypassed PutCard's check.
func TestForeignKeys(t *testing.T) {
	db, _ := openTemp(t)
	_, err := db.write.ExecContext(t.Context(),
		`INSERT INTO cards (finding_name, channel, ts, posted_at) VALUES ('nope', 'C', '1', 'x')`)
	if err == nil {
		t.Error("a card for a missing finding was inserted, want a foreign key error")
	}
}
