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

// notificationArgs validates and encodes a notification key, with the
// name as a TEXT column holds it.
func notificationArgs(key bot.NotificationKey) (name, eventTime string, err error) {
	name, eventTime, err = storerow.NotificationKey(key)
	return text(name), eventTime, err
}

const markNotification = `INSERT INTO notifications (finding_name, event_time, outcome, handled_at)
VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`

// NotificationHandled reports whether the notification was marked handled.
func (db *DB) NotificationHandled(ctx context.Context, key bot.NotificationKey) (bool, error) {
	name, eventTime, err := notificationArgs(key)
	if err != nil {
		return false, err
	}
	var handled bool
	err = db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notifications WHERE finding_name = $1 AND event_time = $2)`,
		name, eventTime).Scan(&handled)
	if err != nil {
		return false, fmt.Errorf("check notification %q: %w", key.Name, err)
	}
	return handled, nil
}

// sighting is NotificationHandled, FindingStatus and Card in one
// statement: the first thing the intake asks of every notification, in
// one round trip instead of three.
const sighting = `SELECT EXISTS (SELECT 1 FROM notifications WHERE finding_name = $1 AND event_time = $2),
	f.event_time, f.state, f.mute, f.severity, c.channel, c.ts
FROM (SELECT 1) AS one
LEFT JOIN findings f ON f.name = $1
LEFT JOIN cards c ON c.finding_name = $1`

// Sighting returns what the store knows of key's finding.
func (db *DB) Sighting(ctx context.Context, key bot.NotificationKey) (bot.Sighting, error) {
	name, eventTime, err := notificationArgs(key)
	if err != nil {
		return bot.Sighting{}, err
	}
	var s bot.Sighting
	var found, state, mute, severity, channel, ts *string
	if err := db.pool.QueryRow(ctx, sighting, name, eventTime).
		Scan(&s.Handled, &found, &state, &mute, &severity, &channel, &ts); err != nil {
		return bot.Sighting{}, fmt.Errorf("look up notification %q: %w", key.Name, err)
	}
	if found == nil {
		return s, nil
	}
	if s.Status.EventTime, err = storerow.ParseTime(*found); err != nil {
		return bot.Sighting{}, fmt.Errorf("status of finding %q: %w", key.Name, err)
	}
	s.Known = true
	s.Status.State, s.Status.Mute = *state, *mute
	s.Status.Severity, _ = bot.ParseSeverity(*severity)
	if channel != nil && ts != nil {
		s.Card = bot.MessageRef{Channel: *channel, TS: *ts}
	}
	return s, nil
}

// MarkNotification records that the notification was handled and how. The
// first mark wins, from whichever replica: marking again changes nothing.
func (db *DB) MarkNotification(ctx context.Context, key bot.NotificationKey, outcome string) error {
	name, eventTime, err := notificationArgs(key)
	if err != nil {
		return err
	}
	if outcome == "" {
		return bot.Errorf(bot.EInvalid, "notification outcome is empty")
	}
	if _, err := db.pool.Exec(ctx, markNotification, name, eventTime, text(outcome), db.nowText()); err != nil {
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
	err = db.pool.QueryRow(ctx, `SELECT outcome, handled_at FROM notifications WHERE finding_name = $1 AND event_time = $2`,
		name, eventTime).Scan(&outcome, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, bot.Errorf(bot.ENotFound, "notification of finding %q not handled", key.Name)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("get notification %q: %w", key.Name, err)
	}
	handledAt, err = storerow.ParseTime(at)
	return outcome, handledAt, err
}
