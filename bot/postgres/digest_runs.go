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

// Digest runs: a scheduled digest is claimed before it is posted, and the
// claim is a row that only one insert can create, whichever replica runs
// it. Whoever creates it posts.

// ClaimDigest claims the run of the schedule at runAt for posting to
// channel. It returns true for exactly one caller per (schedule, runAt),
// ever, however many race; every other caller gets false.
func (db *DB) ClaimDigest(ctx context.Context, schedule string, runAt time.Time, channel string) (bool, error) {
	at, err := storerow.RunKey(schedule, runAt)
	if err != nil {
		return false, err
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO digests (schedule, run_at, channel, ts, claimed_at, posted_at)
VALUES ($1, $2, $3, '', $4, '') ON CONFLICT DO NOTHING`, text(schedule), at, text(channel), db.nowText())
	if err != nil {
		return false, fmt.Errorf("claim digest %s at %s: %w", schedule, at, err)
	}
	return tag.RowsAffected() > 0, nil
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
	tag, err := db.pool.Exec(ctx, `UPDATE digests SET channel = $1, ts = $2, posted_at = $3
WHERE schedule = $4 AND run_at = $5`, text(ref.Channel), text(ref.TS), db.nowText(), text(schedule), at)
	if err != nil {
		return fmt.Errorf("record digest %s at %s: %w", schedule, at, err)
	}
	if tag.RowsAffected() == 0 {
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
	_, err = db.pool.Exec(ctx, `DELETE FROM digests WHERE schedule = $1 AND run_at = $2 AND ts = ''`, text(schedule), at)
	if err != nil {
		return fmt.Errorf("release digest %s at %s: %w", schedule, at, err)
	}
	return nil
}

// LastDigest returns the latest claimed run of the schedule, posted or
// not, and whether there is any.
func (db *DB) LastDigest(ctx context.Context, schedule string) (time.Time, bool, error) {
	var at *string
	err := db.pool.QueryRow(ctx, `SELECT max(run_at) FROM digests WHERE schedule = $1`, text(schedule)).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last digest of %s: %w", schedule, err)
	}
	if at == nil {
		return time.Time{}, false, nil
	}
	t, err := storerow.ParseTime(*at)
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
	err = db.pool.QueryRow(ctx, `SELECT channel, ts FROM digests WHERE schedule = $1 AND run_at = $2`,
		text(schedule), at).Scan(&ref.Channel, &ref.TS)
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.MessageRef{}, false, nil
	}
	if err != nil {
		return bot.MessageRef{}, false, fmt.Errorf("digest %s at %s: %w", schedule, at, err)
	}
	return ref, true, nil
}
