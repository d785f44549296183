package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/storetest"
)

// Conformance is asserted here, where the concrete type is known.
var _ storetest.DigestStore = (*DB)(nil)

// TestDigestStoreFile runs the acknowledgement and digest suite on a
// database file; reopen closes it and opens the file again, keeping the
// suite's clock.
func TestDigestStoreFile(t *testing.T) {
	storetest.RunDigest(t, func(t *testing.T, now func() time.Time) (storetest.DigestStore, func() storetest.DigestStore) {
		path := filepath.Join(t.TempDir(), "sccbot.db")
		current := mustOpen(t, path)
		current.Now = now
		t.Cleanup(func() { mustClose(t, current) })
		return current, func() storetest.DigestStore {
			mustClose(t, current)
			current = mustOpen(t, path)
			current.Now = now
			return current
		}
	})
}

// TestDigestStoreMemory runs the suite on an in-memory database.
func TestDigestStoreMemory(t *testing.T) {
	storetest.RunDigest(t, func(t *testing.T, now func() time.Time) (storetest.DigestStore, func() storetest.DigestStore) {
		db := mustOpen(t, MemoryPath)
		db.Now = now
		t.Cleanup(func() { mustClose(t, db) })
		return db, func() storetest.DigestStore { return db }
	})
}

// busyFrom starts the day of TestDigestTenThousandFindings.
var busyFrom = time.Date(2026, 11, 19, 9, 0, 0, 0, time.UTC)

// seedBusyDay writes, in SQL and in one transaction (per-finding writes
// would take long under the race detector), a day of 10,000 findings: each
// in a category of its own (hostile text), 2,000 projects of 5, all active
// with a card; a tenth acknowledged 10 minutes after arrival, a fifth
// silenced.
func seedBusyDay(t testing.TB, db *DB) {
	t.Helper()
	const seen = `strftime('%Y-%m-%dT%H:%M:%S', :from, '+' || (i * 8) || ' seconds') || '.000000000Z'`
	stmts := []string{
		`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
INSERT INTO findings (name, short_id, category, severity, state, mute, class, project, product,
	event_time, create_time, first_seen, last_seen, data)
SELECT 'organizations/1/sources/2/locations/global/findings/busy' || i, 'busy' || i,
	'category ' || i || ' <!channel> &&& ''; DROP TABLE findings; --',
	CASE i % 4 WHEN 0 THEN 'CRITICAL' WHEN 1 THEN 'HIGH' WHEN 2 THEN 'MEDIUM' ELSE 'LOW' END,
	'ACTIVE', 'UNMUTED', 'THREAT', 'project-' || (i % 2000), 'gke', ` + seen + `, ` + seen + `, ` + seen + `, ` + seen + `,
	json_object('Name', 'organizations/1/sources/2/locations/global/findings/busy' || i, 'Category', 'category ' || i,
		'Severity', 4 - i % 4, 'State', 'ACTIVE', 'EventTime', '2026-11-19T09:00:00Z', 'CreateTime', '2026-11-19T09:00:00Z')
FROM n`,
		`INSERT INTO cards (finding_name, channel, ts, posted_at) SELECT name, 'C1', '1700000000.' || short_id, first_seen FROM findings`,
		`INSERT INTO acks (finding_name, acked_by, acked_at)
SELECT name, 'U1', strftime('%Y-%m-%dT%H:%M:%S', substr(first_seen, 1, 19), '+600 seconds') || '.000000000Z'
FROM findings WHERE CAST(substr(short_id, 5) AS INTEGER) % 10 = 0`,
		`INSERT INTO notifications (finding_name, event_time, outcome, handled_at)
SELECT name, event_time, CASE WHEN CAST(substr(short_id, 5) AS INTEGER) % 5 = 1 THEN 'silenced' ELSE 'posted' END, first_seen
FROM findings`,
	}
	err := db.writeTx(t.Context(), func(tx *sql.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(t.Context(), s, sql.Named("from", busyFrom.Format("2006-01-02T15:04:05"))); err != nil {
				return fmt.Errorf("%.60s…: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDigestTenThousandFindings reads every digest figure of a day of
// 10,000 findings: exact counts, lists cut to their limits, and quickly.
func TestDigestTenThousandFindings(t *testing.T) {
	db, _ := openTemp(t)
	seedBusyDay(t, db)
	ctx := t.Context()
	to := busyFrom.Add(24 * time.Hour)
	start := time.Now()

	totals, err := db.CountFindings(ctx, []time.Time{busyFrom.Add(-24 * time.Hour), busyFrom, to})
	wantEqual(t, "totals", fmt.Sprint(totals, err), "[0 10000] <nil>")
	cats, groups, err := db.FindingGroups(ctx, "category", busyFrom.Add(-24*time.Hour), busyFrom, to, 10)
	wantEqual(t, "categories", fmt.Sprint(len(cats), groups, err), "10 10000 <nil>")
	projects, groups, err := db.FindingGroups(ctx, "project", busyFrom.Add(-24*time.Hour), busyFrom, to, 10)
	wantEqual(t, "projects", fmt.Sprint(len(projects), projects[0].Count, groups, err), "10 5 2000 <nil>")
	sev, _, err := db.FindingGroups(ctx, "severity", busyFrom.Add(-24*time.Hour), busyFrom, to, 10)
	wantEqual(t, "severities", fmt.Sprint(sev, err), "[{CRITICAL 2500 0} {HIGH 2500 0} {LOW 2500 0} {MEDIUM 2500 0}] <nil>")
	open, total, err := db.UnacknowledgedFindings(ctx, to.Add(-7*24*time.Hour), to, 10)
	wantEqual(t, "unacknowledged", fmt.Sprint(len(open), open[0].Severity, total, err), "10 CRITICAL 9000 <nil>")
	n, mean, err := db.MeanTimeToAck(ctx, busyFrom, to)
	wantEqual(t, "acks", fmt.Sprint(n, mean, err), "1000 10m0s <nil>")
	silenced, err := db.FindingsWithOutcome(ctx, "silenced", busyFrom, to)
	wantEqual(t, "silenced", fmt.Sprint(silenced, err), "2000 <nil>")

	// Speed is held by TestDigestQueriesUseIndexes and measured by
	// BenchmarkDigestFigures; a time limit here would only be flaky.
	t.Logf("digest figures of 10,000 findings in %s", time.Since(start))
}

// BenchmarkDigestFigures reads every figure of a digest over a day of
// 10,000 findings.
func BenchmarkDigestFigures(b *testing.B) {
	db, _ := openTemp(b)
	seedBusyDay(b, db)
	ctx := b.Context()
	to := busyFrom.Add(24 * time.Hour)
	prev := busyFrom.Add(-24 * time.Hour)
	b.ResetTimer()
	for range b.N {
		var errs []error
		_, err := db.CountFindings(ctx, []time.Time{prev, busyFrom, to})
		errs = append(errs, err)
		for _, by := range []string{"severity", "category", "project"} {
			_, _, err = db.FindingGroups(ctx, by, prev, busyFrom, to, 10)
			errs = append(errs, err)
		}
		_, _, err = db.UnacknowledgedFindings(ctx, to.Add(-7*24*time.Hour), to, 10)
		errs = append(errs, err)
		_, _, err = db.MeanTimeToAck(ctx, busyFrom, to)
		errs = append(errs, err)
		_, err = db.FindingsWithOutcome(ctx, "silenced", busyFrom, to)
		errs = append(errs, err)
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
	}
}

func wantEqual(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// TestDigestQueriesUseIndexes keeps the digest's queries on the indexes
// of migration 0004, whatever the table sizes: a full scan of findings
// would read every finding's JSON.
func TestDigestQueriesUseIndexes(t *testing.T) {
	db, _ := openTemp(t)
	args := []any{sql.Named("from", "a"), sql.Named("prev", "a"), sql.Named("to", "b"), sql.Named("limit", 5),
		sql.Named("since", "a"), sql.Named("before", "b")}
	for query, want := range map[string]string{
		groupsQuery("category"):          "COVERING INDEX findings_digest",
		groupsQuery("project"):           "COVERING INDEX findings_digest",
		`SELECT count(*) ` + openUnacked: "COVERING INDEX findings_open",
		unackedQuery:                     "INDEX findings_open",
	} {
		plan := queryPlan(t, db, query, args)
		if !strings.Contains(plan, want) || strings.Contains(plan, "SCAN f\n") || strings.Contains(plan, "SCAN findings") {
			t.Errorf("plan of %.50s… is\n%s\nwant it to use %s", query, plan, want)
		}
	}
}

func queryPlan(t *testing.T, db *DB, query string, args []any) string {
	t.Helper()
	var used []any
	for _, a := range args {
		if strings.Contains(query, ":"+a.(sql.NamedArg).Name) {
			used = append(used, a)
		}
	}
	rows, err := db.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, used...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}
