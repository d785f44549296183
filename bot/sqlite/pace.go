package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/internal/pace"
)

// TakePace spends one token of key's bucket at now and returns how long to
// wait for the slot. The read and the write share one write transaction,
// which SQLite runs alone, so racing takers get distinct slots.
func (db *DB) TakePace(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error) {
	// The row keeps microseconds; computing with a finer now would count
	// the dropped nanoseconds as refill on every take.
	at := now.Truncate(time.Microsecond)
	var wait time.Duration
	err := db.updatePace(ctx, key, func(s pace.State, found bool) pace.State {
		if !found {
			s = pace.Fresh(burst, at)
		}
		s, wait = s.Take(at, interval, burst)
		return s
	})
	if err != nil {
		return 0, fmt.Errorf("take pace %q: %w", key, err)
	}
	return max(0, wait-now.Sub(at)), nil
}

// PausePace records that nothing may be sent under key before until.
func (db *DB) PausePace(ctx context.Context, key string, until time.Time) error {
	err := db.updatePace(ctx, key, func(s pace.State, found bool) pace.State {
		if !found {
			// The bucket starts at the pause's end, holding one token.
			s = pace.State{Tokens: 1, Last: until}
		}
		return s.Pause(until)
	})
	if err != nil {
		return fmt.Errorf("pause pace %q: %w", key, err)
	}
	return nil
}

// PaceUntil returns the end of key's latest pause (zero if none).
func (db *DB) PaceUntil(ctx context.Context, key string) (time.Time, error) {
	var us int64
	err := db.read.QueryRowContext(ctx, `SELECT until_us FROM pace WHERE key = ?`, key).Scan(&us)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && us == 0) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read pace %q: %w", key, err)
	}
	return time.UnixMicro(us).UTC(), nil
}

// updatePace reads key's bucket, applies fn and writes the result, in one
// write transaction.
func (db *DB) updatePace(ctx context.Context, key string, fn func(s pace.State, found bool) pace.State) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		var s pace.State
		var last, until int64
		err := tx.QueryRowContext(ctx, `SELECT tokens, last_us, until_us FROM pace WHERE key = ?`, key).
			Scan(&s.Tokens, &last, &until)
		found := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if found {
			s.Last = time.UnixMicro(last)
			if until != 0 {
				s.Until = time.UnixMicro(until)
			}
		}
		s = fn(s, found)
		until = 0
		if !s.Until.IsZero() {
			until = s.Until.UnixMicro()
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO pace (key, tokens, last_us, until_us) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, last_us = excluded.last_us, until_us = excluded.until_us`,
			key, s.Tokens, s.Last.UnixMicro(), until)
		return err
	})
}
