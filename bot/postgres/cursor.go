package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
)

// Cursor returns the value stored under key and whether there is one.
func (db *DB) Cursor(ctx context.Context, key string) (string, bool, error) {
	var value []byte
	err := db.pool.QueryRow(ctx, `SELECT value FROM cursors WHERE key = $1`, text(key)).Scan(&value)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get cursor %q: %w", key, err)
	}
	return string(value), true, nil
}

// PutCursor stores value under key, replacing the previous value. An empty
// value is a value; an empty key is EInvalid.
func (db *DB) PutCursor(ctx context.Context, key, value string) error {
	if key == "" {
		return bot.Errorf(bot.EInvalid, "cursor key is empty")
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO cursors (key, value, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		text(key), bytes(value), db.nowText())
	if err != nil {
		return fmt.Errorf("put cursor %q: %w", key, err)
	}
	return nil
}
