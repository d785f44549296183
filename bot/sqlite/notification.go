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

// notificationArgs validates and encodes a notification key.
func notificationArgs(key bot.NotificationKey) (name, eventTime string, err error) {
	return storerow.NotificationKey(key)
}

// NotificationHandled reports whether the notification was marked handled.
func (db *DB) NotificationHandled(ctx context.Context, key bot.NotificationKey) (bool, error) {
	name, eventTime, err := notificationArgs(key)
	if err != nil {
		return false, err
	}
	var handled bool
	if err := db.stmts.notificationHandled.QueryRowContext(ctx, name, eventTime).Scan(&handled); err != nil {
		return false, fmt.Errorf("check notification %q: %w", key.Name, err)
	}
	return handled, nil
}

// Sighting returns what the store knows of key's finding. The reads are
// in-process, so it is the three lookups in turn.
func (db *DB) Sighting(ctx context.Context, key bot.NotificationKey) (bot.Sighting, error) {
	var s bot.Sighting
	var err error
	if s.Handled, err = db.NotificationHandled(ctx, key); err != nil {
		return bot.Sighting{}, err
	}
	if s.Status, s.Known, err = db.FindingStatus(ctx, key.Name); err != nil || !s.Known {
		return s, err
	}
	if s.Card, _, err = db.Card(ctx, key.Name); err != nil {
		return bot.Sighting{}, err
	}
	return s, nil
}

// MarkNotification records that the notification was handled and how
// (outcome: "posted", "threaded", "duplicate", "failed", ...). It is
// idempotent: marking a notification again changes nothing, so the first
// outcome and handled time stay.
func (db *DB) MarkNotification(ctx context.Context, key bot.NotificationKey, outcome string) error {
	name, eventTime, err := notificationArgs(key)
	if err != nil {
		return err
	}
	if outcome == "" {
		return bot.Errorf(bot.EInvalid, "notification outcome is empty")
	}
	_, err = db.stmts.markNotification.ExecContext(ctx, name, eventTime, validText(outcome), formatTime(db.now()))
	if err != nil {
		return fmt.Errorf("mark notification %q: %w", key.Name, err)
	}
	return nil
}

// Notification returns how and when the notification was handled, or
// ENotFound if it was not.
func (db *DB) Notification(ctx context.Context, key bot.NotificationKey) (outcome string, handledAt time.Time, err error) {
	name, eventTime, err := notificationArgs(key)
	if err != nil {
		return "", time.Time{}, err
	}
	var at string
	err = db.read.QueryRowContext(ctx,
		`SELECT outcome, handled_at FROM notifications WHERE finding_name = ? AND event_time = ?`,
		name, eventTime).Scan(&outcome, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, bot.Errorf(bot.ENotFound, "notification of finding %q not handled", key.Name)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("get notification %q: %w", key.Name, err)
	}
	handledAt, err = parseTime(at)
	return outcome, handledAt, err
}
