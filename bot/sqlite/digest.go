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

// The digest's figures. Each method is one aggregate query over an index
// (see migration 0004), so a day of ten thousand findings is counted
// without reading a finding's JSON; only the few findings a digest lists
// are decoded.

// CountFindings returns, for each consecutive pair of bounds, how many
// findings the store first saw in [bounds[i], bounds[i+1]). bounds must be
// in order, 2 to 64 of them (EInvalid).
func (db *DB) CountFindings(ctx context.Context, bounds []time.Time) ([]int, error) {
	args, err := storerow.CountBounds(bounds)
	if err != nil {
		return nil, err
	}
	sums := make([]string, len(bounds)-1)
	for i := range sums {
		sums[i] = fmt.Sprintf("coalesce(sum(first_seen >= ?%d AND first_seen < ?%d), 0)", i+1, i+2)
	}
	query := fmt.Sprintf("SELECT %s FROM findings WHERE first_seen >= ?1 AND first_seen < ?%d",
		strings.Join(sums, ", "), len(bounds))
	counts := make([]int, len(sums))
	dst := make([]any, len(counts))
	for i := range counts {
		dst[i] = &counts[i]
	}
	if err := db.read.QueryRowContext(ctx, query, args...).Scan(dst...); err != nil {
		return nil, fmt.Errorf("count findings: %w", err)
	}
	return counts, nil
}

// FindingGroups groups the findings first seen in [prevFrom, to) by a
// column (by: "severity", "category" or "project") and returns the limit
// groups with most findings in [from, to), with their count in [prevFrom,
// from) as Previous; ties go to the group with more before, then to the
// key's byte order. A group with none in [from, to) sorts last. groups is
// the number of groups with findings in [from, to).
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
	top, err = db.groupRows(ctx, col, p, f, t, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("finding groups by %s: %w", by, err)
	}
	err = db.read.QueryRowContext(ctx, `SELECT count(DISTINCT `+col+`) FROM findings
WHERE first_seen >= ? AND first_seen < ?`, f, t).Scan(&groups)
	if err != nil {
		return nil, 0, fmt.Errorf("count finding groups by %s: %w", by, err)
	}
	return top, groups, nil
}

// groupsQuery counts by col over both periods, reading the covering
// index findings_digest alone.
func groupsQuery(col string) string {
	return `SELECT ` + col + `, sum(first_seen >= :from) AS cur, sum(first_seen < :from) AS prev
FROM findings WHERE first_seen >= :prev AND first_seen < :to
GROUP BY ` + col + ` ORDER BY cur DESC, prev DESC, ` + col + ` LIMIT :limit`
}

func (db *DB) groupRows(ctx context.Context, col, p, f, t string, limit int) ([]storerow.DigestCount, error) {
	rows, err := db.read.QueryContext(ctx, groupsQuery(col),
		sql.Named("from", f), sql.Named("prev", p), sql.Named("to", t), sql.Named("limit", limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storerow.DigestCount
	for rows.Next() {
		var c storerow.DigestCount
		if err := rows.Scan(&c.Key, &c.Count, &c.Previous); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// openUnacked selects the findings the digest calls open and
// unacknowledged: active, not muted, shown on a card of their own, and
// acknowledged by nobody. Its first two terms are the partial index's
// condition, word for word, so that SQLite uses findings_open.
const openUnacked = `FROM findings f
WHERE f.state = 'ACTIVE' AND f.mute <> 'MUTED' AND f.first_seen >= :since AND f.first_seen < :before
	AND EXISTS (SELECT 1 FROM cards c WHERE c.finding_name = f.name)
	AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.finding_name = f.name)`

// severityRank orders SCC's severity names by urgency.
const severityRank = `CASE f.severity WHEN 'CRITICAL' THEN 4 WHEN 'HIGH' THEN 3 WHEN 'MEDIUM' THEN 2
	WHEN 'LOW' THEN 1 ELSE 0 END`

// unackedQuery ranks and cuts on the index, then decodes only the rows
// kept.
const unackedQuery = `SELECT g.data FROM (SELECT f.name, f.first_seen, ` + severityRank + ` AS rank
` + openUnacked + ` ORDER BY rank DESC, f.first_seen DESC, f.name LIMIT :limit) t
JOIN findings g ON g.name = t.name ORDER BY t.rank DESC, t.first_seen DESC, t.name`

// UnacknowledgedFindings returns the open findings first seen in [since,
// before) that nobody acknowledged (active, not muted, with a card of
// their own): the limit most severe, newest first within a severity, and
// how many there are in all.
func (db *DB) UnacknowledgedFindings(ctx context.Context, since, before time.Time, limit int) ([]bot.Finding, int, error) {
	if limit < 1 || limit > storerow.MaxDigestLimit {
		return nil, 0, bot.Errorf(bot.EInvalid, "unacknowledged findings: limit %d not supported", limit)
	}
	s, _, b, err := storerow.Periods(since, since, before)
	if err != nil {
		return nil, 0, err
	}
	var total int
	err = db.read.QueryRowContext(ctx, `SELECT count(*) `+openUnacked,
		sql.Named("since", s), sql.Named("before", b)).Scan(&total)
	if err != nil {
		return nil, 0, fmt.Errorf("count unacknowledged findings: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, unackedQuery,
		sql.Named("since", s), sql.Named("before", b), sql.Named("limit", limit))
	if err != nil {
		return nil, 0, fmt.Errorf("list unacknowledged findings: %w", err)
	}
	defer rows.Close()
	var out []bot.Finding
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, 0, fmt.Errorf("list unacknowledged findings: %w", err)
		}
		f, err := decodeFinding(data)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list unacknowledged findings: %w", err)
	}
	return out, total, nil
}

// ActionCounts counts the requests that finished done in [from, to), dry
// runs excluded, by action, requester and decider (who approved it, or the
// bot when no approval was needed), in that order.
func (db *DB) ActionCounts(ctx context.Context, from, to time.Time) ([]storerow.DigestActionCount, error) {
	_, f, t, err := storerow.Periods(from, from, to)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT action, requested_by, decided_by, count(*) FROM requests
WHERE state = 'done' AND finished_at >= ? AND finished_at < ? AND dry_run = 0
GROUP BY action, requested_by, decided_by ORDER BY action, requested_by, decided_by`, f, t)
	if err != nil {
		return nil, fmt.Errorf("count actions: %w", err)
	}
	defer rows.Close()
	var out []storerow.DigestActionCount
	for rows.Next() {
		var c storerow.DigestActionCount
		if err := rows.Scan(&c.Action, &c.RequestedBy, &c.DecidedBy, &c.Count); err != nil {
			return nil, fmt.Errorf("count actions: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
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
	err = db.read.QueryRowContext(ctx, `SELECT count(DISTINCT finding_name) FROM notifications
WHERE outcome = ? AND handled_at >= ? AND handled_at < ?`, outcome, f, t).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count findings with outcome %q: %w", outcome, err)
	}
	return n, nil
}
