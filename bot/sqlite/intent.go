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

// BeginIntent records in unless an intent with its key is open, and returns
// the open intent (in as stored, or the earlier one) and whether it was
// already there. Created comes from the store's clock.
func (db *DB) BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error) {
	in.Created = db.now()
	r, err := storerow.NewIntent(in)
	if err != nil {
		return bot.PostIntent{}, false, err
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO post_intents (`+storerow.IntentColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`, r.Key, r.Channel, r.Thread, r.Finding, r.Names, r.Owed, r.Created, r.Holder)
	if err != nil {
		return bot.PostIntent{}, false, fmt.Errorf("record intent %q: %w", in.Key, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
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
	row := db.read.QueryRowContext(ctx, selectIntent+` WHERE key = ?`, key)
	in, err := scanIntent(row)
	if errors.Is(err, sql.ErrNoRows) {
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
	res, err := db.write.ExecContext(ctx, `UPDATE post_intents SET owed = 1, holder = '' WHERE key = ?`, key)
	if err != nil {
		return fmt.Errorf("owe intent %q: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bot.Errorf(bot.ENotFound, "no open intent %q", key)
	}
	return nil
}

// EndIntent closes the intent with key; closing a closed one is a no-op.
func (db *DB) EndIntent(ctx context.Context, key string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM post_intents WHERE key = ?`, key); err != nil {
		return fmt.Errorf("end intent %q: %w", key, err)
	}
	return nil
}

// AttemptIntent records that a post of the intent with key is about to be
// attempted and returns when the previous attempt was (zero if none): a
// post attempted before may have landed.
func (db *DB) AttemptIntent(ctx context.Context, key string) (time.Time, error) {
	var prev string
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT attempted_at FROM post_intents WHERE key = ?`, key).Scan(&prev); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return bot.Errorf(bot.ENotFound, "no open intent %q", key)
			}
			return fmt.Errorf("read intent %q: %w", key, err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE post_intents SET attempted_at = ? WHERE key = ?`, formatTime(db.now()), key)
		return err
	})
	if err != nil || prev == "" {
		return time.Time{}, err
	}
	return parseTime(prev)
}

// OwedIntents returns up to limit owed intents, oldest first.
func (db *DB) OwedIntents(ctx context.Context, limit int) ([]bot.PostIntent, error) {
	return db.intents(ctx, selectIntent+` WHERE owed = 1 ORDER BY created_at, key LIMIT ?`, limit)
}

// OpenIntents returns the open intents that are not owed whose key starts
// with prefix, oldest first: what a crash may have left half done.
func (db *DB) OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error) {
	return db.intents(ctx, selectIntent+` WHERE owed = 0 AND substr(key, 1, length(?)) = ? ORDER BY created_at, key LIMIT -1`, prefix, prefix)
}

const selectIntent = `SELECT ` + storerow.IntentColumns + ` FROM post_intents`

func (db *DB) intents(ctx context.Context, query string, args ...any) ([]bot.PostIntent, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
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

func scanIntent(row interface{ Scan(...any) error }) (bot.PostIntent, error) {
	var r storerow.Intent
	if err := r.Scan(row); err != nil {
		return bot.PostIntent{}, err
	}
	return r.PostIntent()
}
