package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
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
	expires, err := storerow.EncodeTime("silence expiry", s.ExpiresAt)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO silences (id, matchers, reason, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, text(s.ID), string(matchers), bytes(s.Reason), text(s.CreatedBy),
		storerow.FormatTime(s.CreatedAt), expires)
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	return nil
}

const silenceColumns = `id, matchers, reason, created_by, created_at, expires_at, removed_by, removed_at`

// ActiveSilences returns the silences in force at now, oldest first.
func (db *DB) ActiveSilences(ctx context.Context, now time.Time) ([]bot.Silence, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+silenceColumns+` FROM silences
		WHERE removed_at = '' AND expires_at > $1 ORDER BY created_at, id`, storerow.FormatTime(now))
	if err != nil {
		return nil, fmt.Errorf("active silences: %w", err)
	}
	out, err := collectSilences(rows)
	if err != nil {
		return nil, fmt.Errorf("active silences: %w", err)
	}
	return out, nil
}

// Silence returns one silence, active or not.
func (db *DB) Silence(ctx context.Context, id string) (bot.Silence, error) {
	s, err := scanSilence(db.pool.QueryRow(ctx, `SELECT `+silenceColumns+` FROM silences WHERE id = $1`, text(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.Silence{}, bot.Errorf(bot.ENotFound, "no silence %q", id)
	}
	if err != nil {
		return bot.Silence{}, fmt.Errorf("get silence %s: %w", id, err)
	}
	return s, nil
}

// RemoveSilence ends a silence now. Removing it again changes nothing.
func (db *DB) RemoveSilence(ctx context.Context, id, by string) (bot.Silence, error) {
	_, err := db.pool.Exec(ctx, `UPDATE silences SET removed_by = $1, removed_at = $2
		WHERE id = $3 AND removed_at = ''`, text(by), db.nowText(), text(id))
	if err != nil {
		return bot.Silence{}, fmt.Errorf("remove silence %s: %w", id, err)
	}
	return db.Silence(ctx, id)
}

func scanSilence(row pgx.Row) (bot.Silence, error) {
	var out bot.Silence
	var reason []byte
	var matchers, created, expires, removed string
	if err := row.Scan(&out.ID, &matchers, &reason, &out.CreatedBy, &created, &expires, &out.RemovedBy, &removed); err != nil {
		return bot.Silence{}, err
	}
	out.Reason = string(reason)
	if err := json.Unmarshal([]byte(matchers), &out.Matchers); err != nil {
		return bot.Silence{}, fmt.Errorf("silence matchers: %w", err)
	}
	var err error
	if out.CreatedAt, err = storerow.ParseTime(created); err != nil {
		return bot.Silence{}, err
	}
	if out.ExpiresAt, err = storerow.ParseTime(expires); err != nil {
		return bot.Silence{}, err
	}
	if removed != "" {
		if out.RemovedAt, err = storerow.ParseTime(removed); err != nil {
			return bot.Silence{}, err
		}
	}
	return out, nil
}

func collectSilences(rows pgx.Rows) ([]bot.Silence, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.Silence, error) { return scanSilence(row) })
}

// ExpiredSilences returns, once each, the silences that expired (not
// removed) by now, so that their end is audited exactly once: the UPDATE
// marks and returns them in one statement, and of replicas asking at once
// each silence goes to the one whose update took its row.
func (db *DB) ExpiredSilences(ctx context.Context, now time.Time) ([]bot.Silence, error) {
	rows, err := db.pool.Query(ctx, `UPDATE silences SET expiry_noted = 1
		WHERE removed_at = '' AND expires_at <= $1 AND expiry_noted = 0 RETURNING `+silenceColumns, storerow.FormatTime(now))
	if err != nil {
		return nil, fmt.Errorf("expired silences: %w", err)
	}
	out, err := collectSilences(rows)
	if err != nil {
		return nil, fmt.Errorf("expired silences: %w", err)
	}
	return out, nil
}
