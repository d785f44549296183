package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// takePace is internal/pace's Take as one statement, so that replicas
// racing on a key queue on its row lock and each get their own slot: the
// first take inserts a full bucket less one token; later ones fold in a
// pause the bucket has not seen (at most one token at its end), refill up
// to the burst from the last take to now (or to a later last), and spend
// a token. $1 key, $2 interval and $4 now in microseconds, $3 burst.
const takePace = `INSERT INTO pace AS p (key, tokens, last_us, until_us) VALUES ($1, $3::float8 - 1, $4::bigint, 0)
ON CONFLICT (key) DO UPDATE SET (tokens, last_us) = (
	SELECT LEAST($3::float8, f.tokens + GREATEST(0, t.at - f.last)::float8 / $2::float8) - 1, t.at
	FROM (SELECT
			CASE WHEN p.until_us > p.last_us
				THEN LEAST(1, $3::float8, p.tokens + (p.until_us - p.last_us)::float8 / $2::float8)
				ELSE p.tokens END AS tokens,
			GREATEST(p.last_us, p.until_us) AS last) f,
		LATERAL (SELECT GREATEST($4::bigint, f.last) AS at) t)
RETURNING tokens, last_us`

// TakePace spends one token of key's bucket at now and returns how long to
// wait for the slot.
func (db *DB) TakePace(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error) {
	var tokens float64
	var last int64
	err := db.pool.QueryRow(ctx, takePace, text(key), float64(interval.Microseconds()), max(burst, 1), now.UnixMicro()).
		Scan(&tokens, &last)
	if err != nil {
		return 0, fmt.Errorf("take pace %q: %w", key, err)
	}
	wait := time.UnixMicro(last).Sub(now)
	if tokens < 0 {
		wait += time.Duration(-tokens * float64(interval))
	}
	return max(0, wait), nil
}

// PausePace records that nothing may be sent under key before until. A
// bucket that did not exist starts at the pause's end with one token.
func (db *DB) PausePace(ctx context.Context, key string, until time.Time) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO pace AS p (key, tokens, last_us, until_us) VALUES ($1, 1, $2, $2)
ON CONFLICT (key) DO UPDATE SET until_us = GREATEST(p.until_us, excluded.until_us)`, text(key), until.UnixMicro())
	if err != nil {
		return fmt.Errorf("pause pace %q: %w", key, err)
	}
	return nil
}

// PaceUntil returns the end of key's latest pause (zero if none).
func (db *DB) PaceUntil(ctx context.Context, key string) (time.Time, error) {
	var us int64
	err := db.pool.QueryRow(ctx, `SELECT until_us FROM pace WHERE key = $1`, text(key)).Scan(&us)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && us == 0) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read pace %q: %w", key, err)
	}
	return time.UnixMicro(us).UTC(), nil
}
