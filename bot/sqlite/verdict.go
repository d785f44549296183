package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// upsertVerdict records a verdict on a stored finding. A verdict older
// than the stored one changes nothing, so the latest wins whatever order
// replicas write in.
const upsertVerdict = `INSERT INTO verdicts (finding_name, verdict, set_by, note, set_at)
SELECT name, :verdict, :by, :note, :at FROM findings WHERE name = :name
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
	res, err := db.write.ExecContext(ctx, upsertVerdict, sql.Named("name", v.Finding), sql.Named("verdict", v.Verdict),
		sql.Named("by", v.By), sql.Named("note", v.Note), sql.Named("at", v.At))
	if err != nil {
		return fmt.Errorf("set verdict of finding %q: %w", r.Finding, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set verdict of finding %q: %w", r.Finding, err)
	} else if n == 0 {
		// Either a newer verdict is stored (nothing to do) or no finding.
		return db.mustHaveFinding(ctx, "set verdict", r.Finding)
	}
	return nil
}

// mustHaveFinding is nil if the finding is stored, ENotFound if not.
func (db *DB) mustHaveFinding(ctx context.Context, what, name string) error {
	var one int
	err := db.read.QueryRowContext(ctx, `SELECT 1 FROM findings WHERE name = ?`, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
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
	err := db.read.QueryRowContext(ctx, `SELECT verdict, set_by, note, set_at FROM verdicts WHERE finding_name = ?`,
		finding).Scan(&v.Verdict, &v.By, &v.Note, &v.At)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.VerdictRecord{}, false, nil
	}
	if err == nil {
		var r bot.VerdictRecord
		if r, err = v.Record(); err == nil {
			return r, true, nil
		}
	}
	return bot.VerdictRecord{}, false, fmt.Errorf("get verdict of finding %q: %w", finding, err)
}

// VerdictCounts counts the verdicts set in [since, until) by the
// finding's category and project and the verdict, in that order.
func (db *DB) VerdictCounts(ctx context.Context, since, until time.Time) ([]bot.VerdictCount, error) {
	s, u, err := storerow.Period("verdict counts", since, until)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT f.category, f.project, v.verdict, count(*)
FROM verdicts v JOIN findings f ON f.name = v.finding_name
WHERE v.set_at >= ? AND v.set_at < ?
GROUP BY f.category, f.project, v.verdict
ORDER BY f.category, f.project, v.verdict`, s, u)
	if err != nil {
		return nil, fmt.Errorf("count verdicts: %w", err)
	}
	defer rows.Close()
	var out []bot.VerdictCount
	for rows.Next() {
		var c bot.VerdictCount
		if err := rows.Scan(&c.Category, &c.Project, &c.Verdict, &c.Count); err != nil {
			return nil, fmt.Errorf("count verdicts: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count verdicts: %w", err)
	}
	return out, nil
}
