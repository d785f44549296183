package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// Mean times of the digest, computed exactly in SQL. Stored times are
// fixed-width text; the whole seconds come from strftime('%s') of the part
// before the fraction, the nanoseconds from the nine fractional digits, and
// each is summed as an integer, so neither a float nor an overflow of
// nanoseconds can creep in.

// secondsBetween and nanosBetween are SQL expressions for b − a split into
// whole seconds and a nanosecond remainder (which may be negative).
func secondsBetween(a, b string) string {
	return fmt.Sprintf("(strftime('%%s', substr(%s, 1, 19)) - strftime('%%s', substr(%s, 1, 19)))", b, a)
}

func nanosBetween(a, b string) string {
	return fmt.Sprintf("(CAST(substr(%s, 21, 9) AS INTEGER) - CAST(substr(%s, 21, 9) AS INTEGER))", b, a)
}

// MeanTimeToAck returns how many findings were acknowledged in [from, to)
// and the mean time from when the store first saw each to its
// acknowledgement.
func (db *DB) MeanTimeToAck(ctx context.Context, from, to time.Time) (n int, mean time.Duration, err error) {
	_, f, t, err := storerow.Periods(from, from, to)
	if err != nil {
		return 0, 0, err
	}
	query := `SELECT count(*), coalesce(sum(` + secondsBetween("f.first_seen", "a.acked_at") + `), 0),
	coalesce(sum(` + nanosBetween("f.first_seen", "a.acked_at") + `), 0)
FROM acks a JOIN findings f ON f.name = a.finding_name
WHERE a.acked_at >= ? AND a.acked_at < ?`
	n, mean, err = scanMean(db.read.QueryRowContext(ctx, query, f, t))
	if err != nil {
		return 0, 0, fmt.Errorf("mean time to acknowledge: %w", err)
	}
	return n, mean, nil
}

// MeanTimeToContain returns how many findings were first contained in
// [from, to) and the mean time from when the store first saw each to the
// end of its first containment: the earliest request for one of actions
// that finished done, dry runs excluded. A finding contained twice counts
// once, at its first containment.
func (db *DB) MeanTimeToContain(ctx context.Context, actions []string, from, to time.Time) (n int, mean time.Duration, err error) {
	if len(actions) == 0 {
		return 0, 0, nil
	}
	if len(actions) > storerow.MaxDigestActions {
		return 0, 0, bot.Errorf(bot.EInvalid, "mean time to contain: %d actions, at most %d", len(actions), storerow.MaxDigestActions)
	}
	_, f, t, err := storerow.Periods(from, from, to)
	if err != nil {
		return 0, 0, err
	}
	args := []any{sql.Named("from", f), sql.Named("to", t)}
	marks := make([]string, len(actions))
	for i, a := range actions {
		marks[i] = fmt.Sprintf(":a%d", i)
		args = append(args, sql.Named(fmt.Sprintf("a%d", i), a))
	}
	query := `SELECT count(*), coalesce(sum(` + secondsBetween("first_seen", "contained_at") + `), 0),
	coalesce(sum(` + nanosBetween("first_seen", "contained_at") + `), 0)
FROM (SELECT f.first_seen AS first_seen, min(r.finished_at) AS contained_at
	FROM requests r JOIN findings f ON f.name = r.finding_name
	WHERE r.state = 'done' AND r.dry_run = 0 AND r.action IN (` + strings.Join(marks, ", ") + `)
	GROUP BY r.finding_name)
WHERE contained_at >= :from AND contained_at < :to`
	n, mean, err = scanMean(db.read.QueryRowContext(ctx, query, args...))
	if err != nil {
		return 0, 0, fmt.Errorf("mean time to contain: %w", err)
	}
	return n, mean, nil
}

// scanMean reads count, summed seconds and summed nanoseconds, and returns
// the count and the mean, rounded down to the nanosecond. The division is
// done in two steps so that sums of long durations cannot overflow.
func scanMean(row *sql.Row) (int, time.Duration, error) {
	var n, secs, nanos int64
	if err := row.Scan(&n, &secs, &nanos); err != nil {
		return 0, 0, err
	}
	return int(n), storerow.Mean(n, secs, nanos), nil
}
