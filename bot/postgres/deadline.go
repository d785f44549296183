package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// insertClaim claims a deadline stage of a stored finding unless it is
// claimed. ON CONFLICT DO NOTHING waits for a concurrent insert of the
// same row to commit, so across connections and replicas exactly one
// insert affects a row.
const insertClaim = `INSERT INTO deadline_claims (finding_name, stage, claimed_at)
SELECT name, $1, $2 FROM findings WHERE name = $3
ON CONFLICT (finding_name, stage) DO NOTHING`

// ClaimDeadline claims the deadline stage of the finding at time at, and
// reports whether this call won: exactly one caller does, on any replica,
// for the life of the database. The finding must be stored (ENotFound);
// the stage must be known (EInvalid).
func (db *DB) ClaimDeadline(ctx context.Context, finding string, stage bot.DeadlineStage, at time.Time) (bool, error) {
	when, err := storerow.Claim(finding, stage, at)
	if err != nil {
		return false, err
	}
	tag, err := db.pool.Exec(ctx, insertClaim, int32(stage), when, text(finding))
	if err != nil {
		return false, fmt.Errorf("claim %s deadline of finding %q: %w", stage, finding, err)
	}
	if tag.RowsAffected() > 0 {
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
	rows, err := db.pool.Query(ctx, `SELECT d.finding_name, d.stage, d.claimed_at, f.severity
FROM deadline_claims d JOIN findings f ON f.name = d.finding_name
WHERE d.claimed_at >= $1 AND d.claimed_at < $2
ORDER BY d.claimed_at, d.finding_name, d.stage`, s, u)
	if err != nil {
		return nil, fmt.Errorf("list deadline events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.DeadlineEvent, error) {
		var e bot.DeadlineEvent
		var stage int32
		var at, severity string
		if err := row.Scan(&e.Finding, &stage, &at, &severity); err != nil {
			return e, err
		}
		e.Stage = bot.DeadlineStage(stage)
		e.Severity, _ = bot.ParseSeverity(severity)
		e.At, err = storerow.ParseTime(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list deadline events: %w", err)
	}
	return out, nil
}

// selectPending is SQLite's query (see there), over cards_posted.
const selectPending = `SELECT f.data, c.channel, c.ts, c.posted_at,
	coalesce((SELECT string_agg(d.stage::text, ',') FROM deadline_claims d WHERE d.finding_name = c.finding_name), '')
FROM cards c
JOIN findings f ON f.name = c.finding_name
WHERE c.posted_at > $1
	AND f.state = 'ACTIVE' AND f.mute <> 'MUTED'
	AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.finding_name = c.finding_name)
ORDER BY c.posted_at, c.finding_name`

// PendingAcks returns the cards posted after postedAfter that still wait
// for an acknowledgement (the finding is ACTIVE, not MUTED, not
// acknowledged), oldest first, each with the stages already claimed.
// Silences are the caller's to check.
func (db *DB) PendingAcks(ctx context.Context, postedAfter time.Time) ([]bot.PendingAck, error) {
	after, err := storerow.EncodeTime("pending acks bound", postedAfter)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, selectPending, after)
	if err != nil {
		return nil, fmt.Errorf("list pending acks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.PendingAck, error) {
		var p bot.PendingAck
		var data []byte
		var posted, stages string
		if err := row.Scan(&data, &p.Card.Channel, &p.Card.TS, &posted, &stages); err != nil {
			return p, err
		}
		var err error
		if p.Finding, err = storerow.DecodeFinding(data); err != nil {
			return p, err
		}
		if p.PostedAt, err = storerow.ParseTime(posted); err != nil {
			return p, err
		}
		p.Stages, err = storerow.Stages(stages)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("list pending acks: %w", err)
	}
	return out, nil
}
