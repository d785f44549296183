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

// BeginIntent records in unless an intent with its key is open, and returns
// the open intent and whether it was already there. The insert is the
// claim: of replicas racing on one key, exactly one records it.
func (db *DB) BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error) {
	in.Created = db.now()
	r, err := storerow.NewIntent(in)
	if err != nil {
		return bot.PostIntent{}, false, err
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO post_intents (`+storerow.IntentColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING`,
		text(r.Key), text(r.Channel), text(r.Thread), text(r.Finding), r.Names, r.Owed, r.Created, text(r.Holder))
	if err != nil {
		return bot.PostIntent{}, false, fmt.Errorf("record intent %q: %w", in.Key, err)
	}
	if tag.RowsAffected() == 1 {
		return in, false, nil
	}
	old, ok, err := db.Intent(ctx, in.Key)
	if err != nil {
		return bot.PostIntent{}, false, err
	}
	if !ok { // ended between the insert and the read: begin again
		return db.BeginIntent(ctx, in)
	}
	return old, true, nil
}

// Intent returns the open intent with key, if any.
func (db *DB) Intent(ctx context.Context, key string) (bot.PostIntent, bool, error) {
	in, err := scanIntent(db.pool.QueryRow(ctx, selectIntent+` WHERE key = $1`, text(key)))
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.PostIntent{}, false, nil
	}
	if err != nil {
		return bot.PostIntent{}, false, fmt.Errorf("read intent %q: %w", key, err)
	}
	return in, true, nil
}

// OweIntent marks the open intent with key as owed (ENotFound if none).
// An owed intent is held by nobody until the owed drainer claims it.
func (db *DB) OweIntent(ctx context.Context, key string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE post_intents SET owed = 1, holder = '' WHERE key = $1`, text(key))
	if err != nil {
		return fmt.Errorf("owe intent %q: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return bot.Errorf(bot.ENotFound, "no open intent %q", key)
	}
	return nil
}

// AttemptIntent records an attempt to post and returns the previous one's
// time (zero if none), in one statement.
func (db *DB) AttemptIntent(ctx context.Context, key string) (time.Time, error) {
	var prev string
	err := db.pool.QueryRow(ctx, `UPDATE post_intents p SET attempted_at = $2
FROM (SELECT key, attempted_at FROM post_intents WHERE key = $1 FOR UPDATE) old
WHERE p.key = old.key RETURNING old.attempted_at`, text(key), db.nowText()).Scan(&prev)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, bot.Errorf(bot.ENotFound, "no open intent %q", key)
	}
	if err != nil || prev == "" {
		if err != nil {
			err = fmt.Errorf("attempt intent %q: %w", key, err)
		}
		return time.Time{}, err
	}
	return storerow.ParseTime(prev)
}

// EndIntent closes the intent with key; closing a closed one is a no-op.
func (db *DB) EndIntent(ctx context.Context, key string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM post_intents WHERE key = $1`, text(key)); err != nil {
		return fmt.Errorf("end intent %q: %w", key, err)
	}
	return nil
}

// OwedIntents returns up to limit owed intents, oldest first.
func (db *DB) OwedIntents(ctx context.Context, limit int) ([]bot.PostIntent, error) {
	return db.intents(ctx, selectIntent+` WHERE owed = 1 ORDER BY created_at, key LIMIT $1`, limit)
}

// OpenIntents returns the open intents that are not owed whose key starts
// with prefix, oldest first.
func (db *DB) OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error) {
	return db.intents(ctx, selectIntent+` WHERE owed = 0 AND left(key, length($1)) = $1 ORDER BY created_at, key`, text(prefix))
}

const selectIntent = `SELECT ` + storerow.IntentColumns + ` FROM post_intents`

func (db *DB) intents(ctx context.Context, query string, args ...any) ([]bot.PostIntent, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read intents: %w", err)
	}
	defer rows.Close()
	var out []bot.PostIntent
	for rows.Next() {
		in, err := scanIntent(rows)
		if err != nil {
			return nil, fmt.Errorf("read intents: %w", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read intents: %w", err)
	}
	return out, nil
}

func scanIntent(row pgx.Row) (bot.PostIntent, error) {
	var r storerow.Intent
	if err := r.Scan(row); err != nil {
		return bot.PostIntent{}, err
	}
	return r.PostIntent()
}
