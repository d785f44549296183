package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// The digest's figures: one aggregate query each, over the indexes of the
// migration, so only the few findings a digest lists are decoded.

// CountFindings returns, for each consecutive pair of bounds, how many
// findings the store first saw in [bounds[i], bounds[i+1]). bounds must be
// in order, 2 to 64 of them (EInvalid).
func (db *DB) CountFindings(ctx context.Context, bounds []time.Time) ([]int, error) {
	args, err := storerow.CountBounds(bounds)
	if err != nil {
		return nil, err
	}
	counts := make([]string, len(bounds)-1)
	for i := range counts {
		counts[i] = fmt.Sprintf("count(*) FILTER (WHERE first_seen >= $%d AND first_seen < $%d)", i+1, i+2)
	}
	query := fmt.Sprintf("SELECT %s FROM findings WHERE first_seen >= $1 AND first_seen < $%d",
		strings.Join(counts, ", "), len(bounds))
	out := make([]int, len(counts))
	dst := make([]any, len(out))
	for i := range out {
		dst[i] = &out[i]
	}
	if err := db.pool.QueryRow(ctx, query, args...).Scan(dst...); err != nil {
		return nil, fmt.Errorf("count findings: %w", err)
	}
	return out, nil
}

// FindingGroups groups the findings first seen in [prevFrom, to) by a
// column and returns the limit groups with most findings in [from, to),
// with their count in [prevFrom, from) as Previous; ties go to the group
// with more before, then to the key's byte order. groups is the number of
// groups with findings in [from, to).
func (db *DB) FindingGroups(ctx context.Context, by string, prevFrom, from, to time.Time,
	limit int) (top []storerow.DigestCount, groups int, err error) {
	col, ok := storerow.DigestColumn(by)
	if !ok || limit < 1 || limit > storerow.MaxDigestLimit {
		return nil, 0, bot.Errorf(bot.EInvalid, "finding groups by %q, limit %d: not supported", by, limit)
	}
	p, f, t, err := storerow.Periods(prevFrom, from, to)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+col+`, count(*) FILTER (WHERE first_seen >= @from) AS cur,
	count(*) FILTER (WHERE first_seen < @from) AS prev
FROM findings WHERE first_seen >= @prev AND first_seen < @to
GROUP BY `+col+` ORDER BY cur DESC, prev DESC, `+col+` LIMIT @limit`,
		pgx.NamedArgs{"from": f, "prev": p, "to": t, "limit": limit})
	if err != nil {
		return nil, 0, fmt.Errorf("finding groups by %s: %w", by, err)
	}
	top, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (storerow.DigestCount, error) {
		var c storerow.DigestCount
		err := row.Scan(&c.Key, &c.Count, &c.Previous)
		return c, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("finding groups by %s: %w", by, err)
	}
	err = db.pool.QueryRow(ctx, `SELECT count(DISTINCT `+col+`) FROM findings
WHERE first_seen >= $1 AND first_seen < $2`, f, t).Scan(&groups)
	if err != nil {
		return nil, 0, fmt.Errorf("count finding groups by %s: %w", by, err)
	}
	return top, groups, nil
}

// openUnacked selects the findings the digest calls open and
// unacknowledged: active, not muted, shown on a card of their own, and
// acknowledged by nobody.
const openUnacked = `FROM findings f
WHERE f.state = 'ACTIVE' AND f.mute <> 'MUTED' AND f.first_seen >= @since AND f.first_seen < @before
	AND EXISTS (SELECT 1 FROM cards c WHERE c.finding_name = f.name)
	AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.finding_name = f.name)`

// severityRank orders SCC's severity names by urgency.
const severityRank = `CASE f.severity WHEN 'CRITICAL' THEN 4 WHEN 'HIGH' THEN 3 WHEN 'MEDIUM' THEN 2
	WHEN 'LOW' THEN 1 ELSE 0 END`

// UnacknowledgedFindings returns the open findings first seen in [since,
// before) that nobody acknowledged: the limit most severe, newest first
// within a severity, and how many there are in all.
func (db *DB) UnacknowledgedFindings(ctx context.Context, since, before time.Time, limit int) ([]bot.Finding, int, error) {
	if limit < 1 || limit > storerow.MaxDigestLimit {
		return nil, 0, bot.Errorf(bot.EInvalid, "unacknowledged findings: limit %d not supported", limit)
	}
	s, _, b, err := storerow.Periods(since, since, before)
	if err != nil {
		return nil, 0, err
	}
	args := pgx.NamedArgs{"since": s, "before": b, "limit": limit}
	var total int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) `+openUnacked, args).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count unacknowledged findings: %w", err)
	}
	rows, err := db.pool.Query(ctx, `SELECT f.data `+openUnacked+`
ORDER BY `+severityRank+` DESC, f.first_seen DESC, f.name LIMIT @limit`, args)
	if err != nil {
		return nil, 0, fmt.Errorf("list unacknowledged findings: %w", err)
	}
	out, err := collectFindings(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("list unacknowledged findings: %w", err)
	}
	return out, total, nil
}

// ActionCounts counts the requests that finished done in [from, to), dry
// runs excluded, by action, requester and decider, in that order.
func (db *DB) ActionCounts(ctx context.Context, from, to time.Time) ([]storerow.DigestActionCount, error) {
	_, f, t, err := storerow.Periods(from, from, to)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT action, requested_by, decided_by, count(*) FROM requests
WHERE state = 'done' AND finished_at >= $1 AND finished_at < $2 AND dry_run = 0
GROUP BY action, requested_by, decided_by ORDER BY action, requested_by, decided_by`, f, t)
	if err != nil {
		return nil, fmt.Errorf("count actions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storerow.DigestActionCount, error) {
		var c storerow.DigestActionCount
		err := row.Scan(&c.Action, &c.RequestedBy, &c.DecidedBy, &c.Count)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count actions: %w", err)
	}
	return out, nil
}

// FindingsWithOutcome counts the distinct findings with a notification
// handled in [from, to) with the outcome (such as "silenced").
func (db *DB) FindingsWithOutcome(ctx context.Context, outcome string, from, to time.Time) (int, error) {
	_, f, t, err := storerow.Periods(from, from, to)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.pool.QueryRow(ctx, `SELECT count(DISTINCT finding_name) FROM notifications
WHERE outcome = $1 AND handled_at >= $2 AND handled_at < $3`, text(outcome), f, t).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count findings with outcome %q: %w", outcome, err)
	}
	return n, nil
}
