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

// insertAck records an acknowledgement of a stored finding unless it has
// one: the first wins.
const insertAck = `INSERT INTO acks (finding_name, acked_by, acked_at)
SELECT name, $1, $2 FROM findings WHERE name = $3
ON CONFLICT (finding_name) DO NOTHING`

const selectAck = `SELECT acked_by, acked_at FROM acks WHERE finding_name = $1`

// Ack records that user acknowledged the finding, at the store's clock. The
// first acknowledgement wins: a later one, by anyone on any replica,
// changes nothing and returns the first with first false. The finding must
// be stored (ENotFound); name and user must not be empty (EInvalid).
//
// Two statements, no transaction: ON CONFLICT waits for a concurrent
// insert of the same row to commit, so when the insert does nothing the
// following SELECT (a new snapshot at READ COMMITTED) sees the winner.
func (db *DB) Ack(ctx context.Context, findingName, user string) (by string, at time.Time, first bool, err error) {
	if findingName == "" || user == "" {
		return "", time.Time{}, false, bot.Errorf(bot.EInvalid, "an acknowledgement needs a finding and a user")
	}
	now := db.now()
	tag, err := db.pool.Exec(ctx, insertAck, text(user), storerow.FormatTime(now), text(findingName))
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("acknowledge finding %q: %w", findingName, err)
	}
	if tag.RowsAffected() > 0 {
		return text(user), now, true, nil
	}
	by, at, err = scanAck(db.pool.QueryRow(ctx, selectAck, text(findingName)))
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, false, bot.Errorf(bot.ENotFound, "acknowledge: finding %q not found", findingName)
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("acknowledge finding %q: %w", findingName, err)
	}
	return by, at, false, nil
}

// AckOf returns who acknowledged the finding first and when, and whether
// anyone did.
func (db *DB) AckOf(ctx context.Context, findingName string) (by string, at time.Time, ok bool, err error) {
	by, at, err = scanAck(db.pool.QueryRow(ctx, selectAck, text(findingName)))
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("get acknowledgement of finding %q: %w", findingName, err)
	}
	return by, at, true, nil
}

func scanAck(row pgx.Row) (string, time.Time, error) {
	var by, at string
	if err := row.Scan(&by, &at); err != nil {
		return "", time.Time{}, err
	}
	t, err := storerow.ParseTime(at)
	return by, t, err
}
