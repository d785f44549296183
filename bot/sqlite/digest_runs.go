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

// Digest runs: a scheduled digest is claimed before it is posted, and the
// claim is a row that only one insert can create. Whoever creates it posts;
// every other runner (a restarted bot, a second replica) finds it and does
// not.

// ClaimDigest claims the run of the schedule at runAt for posting to
// channel. It returns true for exactly one caller per (schedule, runAt),
// ever, however many race; every other caller gets false. A claim is only
// given up by ReleaseDigest.
func (db *DB) ClaimDigest(ctx context.Context, schedule string, runAt time.Time, channel string) (bool, error) {
	at, err := storerow.RunKey(schedule, runAt)
	if err != nil {
		return false, err
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO digests (schedule, run_at, channel, ts, claimed_at, posted_at)
VALUES (?, ?, ?, '', ?, '') ON CONFLICT DO NOTHING`, validText(schedule), at, validText(channel), formatTime(db.now()))
	if err != nil {
		return false, fmt.Errorf("claim digest %s at %s: %w", schedule, at, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim digest %s at %s: %w", schedule, at, err)
	}
	return n > 0, nil
}

// DigestPosted records where the claimed run was posted. An unclaimed run
// is ENotFound; an incomplete ref is EInvalid.
func (db *DB) DigestPosted(ctx context.Context, schedule string, runAt time.Time, ref bot.MessageRef) error {
	at, err := storerow.RunKey(schedule, runAt)
	if err != nil {
		return err
	}
	if ref.Empty() {
		return bot.Errorf(bot.EInvalid, "digest %s at %s: message has no channel or ts", schedule, at)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE digests SET channel = ?, ts = ?, posted_at = ?
WHERE schedule = ? AND run_at = ?`, validText(ref.Channel), validText(ref.TS), formatTime(db.now()), validText(schedule), at)
	if err != nil {
		return fmt.Errorf("record digest %s at %s: %w", schedule, at, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("record digest %s at %s: %w", schedule, at, err)
	} else if n == 0 {
		return bot.Errorf(bot.ENotFound, "digest %s at %s was not claimed", schedule, at)
	}
	return nil
}

// ReleaseDigest gives up a claim whose post failed, so that the run can be
// claimed again. A run already recorded as posted is never released.
func (db *DB) ReleaseDigest(ctx context.Context, schedule string, runAt time.Time) error {
	at, err := storerow.RunKey(schedule, runAt)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `DELETE FROM digests WHERE schedule = ? AND run_at = ? AND ts = ''`,
		validText(schedule), at)
	if err != nil {
		return fmt.Errorf("release digest %s at %s: %w", schedule, at, err)
	}
	return nil
}

// LastDigest returns the latest claimed run of the schedule, posted or
// not, and whether there is any.
func (db *DB) LastDigest(ctx context.Context, schedule string) (time.Time, bool, error) {
	var at sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT max(run_at) FROM digests WHERE schedule = ?`, validText(schedule)).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last digest of %s: %w", schedule, err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	t, err := parseTime(at.String)
	return t, err == nil, err
}

// DigestRun returns where the run was posted (TS is "" while it is
// claimed but not posted) and whether it was claimed at all.
func (db *DB) DigestRun(ctx context.Context, schedule string, runAt time.Time) (bot.MessageRef, bool, error) {
	at, err := storerow.RunKey(schedule, runAt)
	if err != nil {
		return bot.MessageRef{}, false, err
	}
	var ref bot.MessageRef
	err = db.read.QueryRowContext(ctx, `SELECT channel, ts FROM digests WHERE schedule = ? AND run_at = ?`,
		validText(schedule), at).Scan(&ref.Channel, &ref.TS)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.MessageRef{}, false, nil
	}
	if err != nil {
		return bot.MessageRef{}, false, fmt.Errorf("digest %s at %s: %w", schedule, at, err)
	}
	return ref, true, nil
}
