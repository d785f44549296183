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

// StormThread returns the channel's storm thread and when it was opened,
// if one was recorded.
func (db *DB) StormThread(ctx context.Context, channel string) (bot.MessageRef, time.Time, bool, error) {
	ref := bot.MessageRef{Channel: channel}
	var opened string
	err := db.read.QueryRowContext(ctx, `SELECT ts, opened_at FROM storm_threads WHERE channel = ?`, validText(channel)).
		Scan(&ref.TS, &opened)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.MessageRef{}, time.Time{}, false, nil
	}
	if err != nil {
		return bot.MessageRef{}, time.Time{}, false, fmt.Errorf("get storm thread of %s: %w", channel, err)
	}
	at, err := parseTime(opened)
	if err != nil {
		return bot.MessageRef{}, time.Time{}, false, fmt.Errorf("storm thread of %s: %w", channel, err)
	}
	return ref, at, true, nil
}

// PutStormThread records ref as its channel's storm thread, opened at at,
// replacing the channel's previous one.
func (db *DB) PutStormThread(ctx context.Context, ref bot.MessageRef, at time.Time) error {
	if ref.Empty() {
		return bot.Errorf(bot.EInvalid, "storm thread is empty")
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO storm_threads (channel, ts, opened_at) VALUES (?, ?, ?)
ON CONFLICT (channel) DO UPDATE SET ts = excluded.ts, opened_at = excluded.opened_at`,
		validText(ref.Channel), validText(ref.TS), storerow.FormatTime(at))
	if err != nil {
		return fmt.Errorf("put storm thread of %s: %w", ref.Channel, err)
	}
	return nil
}
