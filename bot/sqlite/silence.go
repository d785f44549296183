package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// CreateSilence records a silence.
func (db *DB) CreateSilence(ctx context.Context, s bot.Silence) error {
	if s.ID == "" || len(s.Matchers) == 0 {
		return bot.Errorf(bot.EInvalid, "a silence needs an id and at least one matcher")
	}
	matchers, err := json.Marshal(s.Matchers)
	if err != nil {
		return err
	}
	expires, err := encodeTime("silence expiry", s.ExpiresAt)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO silences (id, matchers, reason, created_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, s.ID, string(matchers), validText(s.Reason), s.CreatedBy, formatTime(s.CreatedAt), expires)
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	return nil
}

const silenceColumns = `id, matchers, reason, created_by, created_at, expires_at, removed_by, removed_at`

// ActiveSilences returns the silences in force at now, oldest first.
func (db *DB) ActiveSilences(ctx context.Context, now time.Time) ([]bot.Silence, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+silenceColumns+` FROM silences
		WHERE removed_at = '' AND expires_at > ? ORDER BY created_at, id`, formatTime(now))
	if err != nil {
		return nil, fmt.Errorf("active silences: %w", err)
	}
	defer rows.Close()
	var out []bot.Silence
	for rows.Next() {
		s, err := scanSilence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Silence returns one silence, active or not.
func (db *DB) Silence(ctx context.Context, id string) (bot.Silence, error) {
	s, err := scanSilence(db.read.QueryRowContext(ctx, `SELECT `+silenceColumns+` FROM silences WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Silence{}, bot.Errorf(bot.ENotFound, "no silence %q", id)
	}
	if err != nil {
		return bot.Silence{}, fmt.Errorf("get silence %s: %w", id, err)
	}
	return s, nil
}

// RemoveSilence ends a silence now. Removing it again changes nothing.
func (db *DB) RemoveSilence(ctx context.Context, id, by string) (bot.Silence, error) {
	_, err := db.write.ExecContext(ctx, `UPDATE silences SET removed_by = ?, removed_at = ?
		WHERE id = ? AND removed_at = ''`, by, formatTime(db.now()), id)
	if err != nil {
		return bot.Silence{}, fmt.Errorf("remove silence %s: %w", id, err)
	}
	return db.Silence(ctx, id)
}

func scanSilence(s rowScanner) (bot.Silence, error) {
	var out bot.Silence
	var matchers, created, expires, removed string
	if err := s.Scan(&out.ID, &matchers, &out.Reason, &out.CreatedBy, &created, &expires, &out.RemovedBy, &removed); err != nil {
		return bot.Silence{}, err
	}
	if err := json.Unmarshal([]byte(matchers), &out.Matchers); err != nil {
		return bot.Silence{}, fmt.Errorf("silence matchers: %w", err)
	}
	var err error
	if out.CreatedAt, err = parseTime(created); err != nil {
		return bot.Silence{}, err
	}
	if out.ExpiresAt, err = parseTime(expires); err != nil {
		return bot.Silence{}, err
	}
	if removed != "" {
		if out.RemovedAt, err = parseTime(removed); err != nil {
			return bot.Silence{}, err
		}
	}
	return out, nil
}

// ExpiredSilences returns, once each, the silences that expired (not
// removed) by now, so that their end can be audited exactly once.
func (db *DB) ExpiredSilences(ctx context.Context, now time.Time) ([]bot.Silence, error) {
	rows, err := db.write.QueryContext(ctx, `UPDATE silences SET expiry_noted = 1
		WHERE removed_at = '' AND expires_at <= ? AND expiry_noted = 0 RETURNING `+silenceColumns, formatTime(now))
	if err != nil {
		return nil, fmt.Errorf("expired silences: %w", err)
	}
	defer rows.Close()
	var out []bot.Silence
	for rows.Next() {
		s, err := scanSilence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
