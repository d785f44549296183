package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// Mean times of the digest, computed exactly in SQL from the stored text:
// whole seconds from the part before the fraction, nanoseconds from the
// nine fractional digits, each summed as an integer.

// secondsBetween and nanosBetween are SQL expressions for b − a split into
// whole seconds and a nanosecond remainder (which may be negative).
func secondsBetween(a, b string) string {
	return fmt.Sprintf("(extract(epoch FROM substr(%s, 1, 19)::timestamp)::bigint - extract(epoch FROM substr(%s, 1, 19)::timestamp)::bigint)", b, a)
}

func nanosBetween(a, b string) string {
	return fmt.Sprintf("(substr(%s, 21, 9)::bigint - substr(%s, 21, 9)::bigint)", b, a)
}

// meanColumns are the count and the sums scanMean reads.
func meanColumns(a, b string) string {
	return `count(*), coalesce(sum(` + secondsBetween(a, b) + `), 0)::bigint,
	coalesce(sum(` + nanosBetween(a, b) + `), 0)::bigint`
}

// MeanTimeToAck returns how many findings were acknowledged in [from, to)
// and the mean time from when the store first saw each to its
// acknowledgement.
func (db *DB) MeanTimeToAck(ctx context.Context, from, to time.Time) (n int, mean time.Duration, err error) {
	_, f, t, err := storerow.Periods(from, from, to)
	if err != nil {
		return 0, 0, err
	}
	query := `SELECT ` + meanColumns("f.first_seen", "a.acked_at") + `
FROM acks a JOIN findings f ON f.name = a.finding_name
WHERE a.acked_at >= $1 AND a.acked_at < $2`
	n, mean, err = scanMean(db.pool.QueryRow(ctx, query, f, t))
	if err != nil {
		return 0, 0, fmt.Errorf("mean time to acknowledge: %w", err)
	}
	return n, mean, nil
}

// MeanTimeToContain returns how many findings were first contained in
// [from, to) and the mean time from when the store first saw each to the
// end of its first containment: the earliest request for one of actions
// that finished done, dry runs excluded.
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
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = text(a)
	}
	query := `SELECT ` + meanColumns("first_seen", "contained_at") + `
FROM (SELECT min(f.first_seen) AS first_seen, min(r.finished_at) AS contained_at
	FROM requests r JOIN findings f ON f.name = r.finding_name
	WHERE r.state = 'done' AND r.dry_run = 0 AND r.action = ANY(@actions)
	GROUP BY r.finding_name) contained
WHERE contained_at >= @from AND contained_at < @to`
	n, mean, err = scanMean(db.pool.QueryRow(ctx, query, pgx.NamedArgs{"actions": names, "from": f, "to": t}))
	if err != nil {
		return 0, 0, fmt.Errorf("mean time to contain: %w", err)
	}
	return n, mean, nil
}

// scanMean reads count, summed seconds and summed nanoseconds.
func scanMean(row pgx.Row) (int, time.Duration, error) {
	var n, secs, nanos int64
	if err := row.Scan(&n, &secs, &nanos); err != nil {
		return 0, 0, err
	}
	return int(n), storerow.Mean(n, secs, nanos), nil
}
