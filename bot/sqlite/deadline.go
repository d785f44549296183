package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// insertClaim claims a deadline stage of a stored finding unless it is
// claimed: the first claim wins.
const insertClaim = `INSERT INTO deadline_claims (finding_name, stage, claimed_at)
SELECT name, ?, ? FROM findings WHERE name = ?
ON CONFLICT (finding_name, stage) DO NOTHING`

// ClaimDeadline claims the deadline stage of the finding at time at, and
// reports whether this call won: exactly one caller does, for the life of
// the database, so a restart or another process sees the stage as taken.
// The finding must be stored (ENotFound); the stage must be known
// (EInvalid).
func (db *DB) ClaimDeadline(ctx context.Context, finding string, stage bot.DeadlineStage, at time.Time) (bool, error) {
	when, err := storerow.Claim(finding, stage, at)
	if err != nil {
		return false, err
	}
	res, err := db.write.ExecContext(ctx, insertClaim, int64(stage), when, finding)
	if err != nil {
		return false, fmt.Errorf("claim %s deadline of finding %q: %w", stage, finding, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim %s deadline of finding %q: %w", stage, finding, err)
	}
	if n > 0 {
		return true, nil
	}
	return false, db.mustHaveFinding(ctx, "claim deadline", finding)
}

// DeadlineEvents returns the deadline stages claimed in [since, until),
// with the finding's current severity, oldest first.
func (db *DB) DeadlineEvents(ctx context.Context, since, until time.Time) ([]bot.DeadlineEvent, error) {
	s, u, err := storerow.Period("deadline events", since, until)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT d.finding_name, d.stage, d.claimed_at, f.severity
FROM deadline_claims d JOIN findings f ON f.name = d.finding_name
WHERE d.claimed_at >= ? AND d.claimed_at < ?
ORDER BY d.claimed_at, d.finding_name, d.stage`, s, u)
	if err != nil {
		return nil, fmt.Errorf("list deadline events: %w", err)
	}
	defer rows.Close()
	var out []bot.DeadlineEvent
	for rows.Next() {
		var e bot.DeadlineEvent
		var at, severity string
		if err := rows.Scan(&e.Finding, &e.Stage, &at, &severity); err != nil {
			return nil, fmt.Errorf("list deadline events: %w", err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("list deadline events: %w", err)
		}
		e.Severity, _ = bot.ParseSeverity(severity)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deadline events: %w", err)
	}
	return out, nil
}

// selectPending reads the cards posted after a time whose finding nobody
// acknowledged and which is active and not muted. It must walk
// cards_posted from the bound, so that its cost follows the cards in the
// window, not the findings in the store. Left to itself (no ANALYZE
// statistics) SQLite prefers to scan findings_open, every open finding
// ever stored; CROSS JOIN is SQLite's way to fix the join order with
// cards outermost (TestPendingAcksPlan checks the plan).
const selectPending = `SELECT f.data, c.channel, c.ts, c.posted_at,
	coalesce((SELECT group_concat(d.stage) FROM deadline_claims d WHERE d.finding_name = c.finding_name), '')
FROM cards c
CROSS JOIN findings f ON f.name = c.finding_name
WHERE c.posted_at > ?
	AND f.state = 'ACTIVE' AND f.mute <> 'MUTED'
	AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.finding_name = c.finding_name)
ORDER BY c.posted_at, c.finding_name`

// PendingAcks returns the cards posted after postedAfter that still wait
// for an acknowledgement (the finding is ACTIVE, not MUTED, not
// acknowledged), oldest first, each with the stages already claimed.
// Silences are the caller's to check.
func (db *DB) PendingAcks(ctx context.Context, postedAfter time.Time) ([]bot.PendingAck, error) {
	after, err := encodeTime("pending acks bound", postedAfter)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, selectPending, after)
	if err != nil {
		return nil, fmt.Errorf("list pending acks: %w", err)
	}
	defer rows.Close()
	var out []bot.PendingAck
	for rows.Next() {
		var data []byte
		var posted, stages string
		var p bot.PendingAck
		if err := rows.Scan(&data, &p.Card.Channel, &p.Card.TS, &posted, &stages); err != nil {
			return nil, fmt.Errorf("list pending acks: %w", err)
		}
		if p, err = pendingAck(p, data, posted, stages); err != nil {
			return nil, fmt.Errorf("list pending acks: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pending acks: %w", err)
	}
	return out, nil
}

// pendingAck completes p from its row's finding data, posted time and
// stage list.
func pendingAck(p bot.PendingAck, data []byte, posted, stages string) (bot.PendingAck, error) {
	var err error
	if p.Finding, err = decodeFinding(data); err != nil {
		return p, err
	}
	if p.PostedAt, err = parseTime(posted); err != nil {
		return p, err
	}
	p.Stages, err = storerow.Stages(stages)
	return p, err
}
