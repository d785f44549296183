package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sccbot/sccbot/bot"
)

// Cursor returns the value stored under key and whether there is one.
func (db *DB) Cursor(ctx context.Context, key string) (string, bool, error) {
	var value string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM cursors WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get cursor %q: %w", key, err)
	}
	return value, true, nil
}

// PutCursor stores value under key, replacing the previous value. An empty
// value is a value; an empty key is EInvalid.
func (db *DB) PutCursor(ctx context.Context, key, value string) error {
	if key == "" {
		return bot.Errorf(bot.EInvalid, "cursor key is empty")
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO cursors (key, value, updated_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, validText(value), formatTime(db.now()))
	if err != nil {
		return fmt.Errorf("put cursor %q: %w", key, err)
	}
	return nil
}
