package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// upsertVerdict records a verdict on a stored finding; an older verdict
// than the stored one changes nothing, so the latest wins whatever order
// replicas write in. ON CONFLICT DO UPDATE is atomic per row.
const upsertVerdict = `INSERT INTO verdicts (finding_name, verdict, set_by, note, set_at)
SELECT name, @verdict, @by, @note, @at FROM findings WHERE name = @name
ON CONFLICT (finding_name) DO UPDATE SET
	verdict = excluded.verdict, set_by = excluded.set_by, note = excluded.note, set_at = excluded.set_at
WHERE excluded.set_at >= verdicts.set_at`

// SetVerdict records r as the finding's verdict, replacing an older one. A
// zero r.At is the store's clock. The finding must be stored (ENotFound);
// the verdict must be one of bot.Verdicts and By set (EInvalid).
func (db *DB) SetVerdict(ctx context.Context, r bot.VerdictRecord) error {
	v, err := storerow.NewVerdict(r, db.now())
	if err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, upsertVerdict, pgx.NamedArgs{"name": text(v.Finding), "verdict": v.Verdict,
		"by": text(v.By), "note": bytes(v.Note), "at": v.At})
	if err != nil {
		return fmt.Errorf("set verdict of finding %q: %w", r.Finding, err)
	}
	if tag.RowsAffected() == 0 {
		// Either a newer verdict is stored (nothing to do) or no finding.
		return db.mustHaveFinding(ctx, "set verdict", r.Finding)
	}
	return nil
}

// mustHaveFinding is nil if the finding is stored, ENotFound if not.
func (db *DB) mustHaveFinding(ctx context.Context, what, name string) error {
	var one int
	err := db.pool.QueryRow(ctx, `SELECT 1 FROM findings WHERE name = $1`, text(name)).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.Errorf(bot.ENotFound, "%s: finding %q not found", what, name)
	}
	if err != nil {
		return fmt.Errorf("%s: look up finding %q: %w", what, name, err)
	}
	return nil
}

// VerdictOf returns the finding's latest verdict and whether it has one.
func (db *DB) VerdictOf(ctx context.Context, finding string) (bot.VerdictRecord, bool, error) {
	v := storerow.Verdict{Finding: finding}
	var note []byte
	err := db.pool.QueryRow(ctx, `SELECT verdict, set_by, note, set_at FROM verdicts WHERE finding_name = $1`,
		text(finding)).Scan(&v.Verdict, &v.By, &note, &v.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.VerdictRecord{}, false, nil
	}
	if err == nil {
		v.Note = string(note)
		var r bot.VerdictRecord
		if r, err = v.Record(); err == nil {
			return r, true, nil
		}
	}
	return bot.VerdictRecord{}, false, fmt.Errorf("get verdict of finding %q: %w", finding, err)
}

// VerdictCounts counts the verdicts set in [since, until) by the
// finding's category and project and the verdict, in that order (bytes
// order, as the C collation of the columns makes it).
func (db *DB) VerdictCounts(ctx context.Context, since, until time.Time) ([]bot.VerdictCount, error) {
	s, u, err := storerow.Period("verdict counts", since, until)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT f.category, f.project, v.verdict, count(*)
FROM verdicts v JOIN findings f ON f.name = v.finding_name
WHERE v.set_at >= $1 AND v.set_at < $2
GROUP BY f.category, f.project, v.verdict
ORDER BY f.category, f.project, v.verdict`, s, u)
	if err != nil {
		return nil, fmt.Errorf("count verdicts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.VerdictCount, error) {
		var c bot.VerdictCount
		var verdict string
		var n int64
		err := row.Scan(&c.Category, &c.Project, &verdict, &n)
		c.Verdict, c.Count = bot.Verdict(verdict), int(n)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count verdicts: %w", err)
	}
	return out, nil
}
