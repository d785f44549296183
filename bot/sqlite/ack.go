package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// insertAck records an acknowledgement of a stored finding unless it has
// one: the first wins. The SELECT's WHERE also keeps SQLite from reading
// ON CONFLICT as a join constraint.
const insertAck = `INSERT INTO acks (finding_name, acked_by, acked_at)
SELECT name, ?, ? FROM findings WHERE name = ?
ON CONFLICT (finding_name) DO NOTHING`

// Ack records that user acknowledged the finding, at the store's clock. The
// first acknowledgement wins: a later one, by anyone, changes nothing and
// returns the first with first false. The finding must be stored
// (ENotFound); name and user must not be empty (EInvalid).
func (db *DB) Ack(ctx context.Context, findingName, user string) (by string, at time.Time, first bool, err error) {
	if findingName == "" || user == "" {
		return "", time.Time{}, false, bot.Errorf(bot.EInvalid, "an acknowledgement needs a finding and a user")
	}
	now := db.now()
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertAck, validText(user), formatTime(now), findingName)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if first = n > 0; first {
			by, at = validText(user), now
			return nil
		}
		by, at, err = scanAck(tx.QueryRowContext(ctx, selectAck, findingName))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, bot.Errorf(bot.ENotFound, "acknowledge: finding %q not found", findingName)
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("acknowledge finding %q: %w", findingName, err)
	}
	return by, at, first, nil
}

const selectAck = `SELECT acked_by, acked_at FROM acks WHERE finding_name = ?`

// AckOf returns who acknowledged the finding first and when, and whether
// anyone did.
func (db *DB) AckOf(ctx context.Context, findingName string) (by string, at time.Time, ok bool, err error) {
	by, at, err = scanAck(db.read.QueryRowContext(ctx, selectAck, findingName))
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("get acknowledgement of finding %q: %w", findingName, err)
	}
	return by, at, true, nil
}

func scanAck(row *sql.Row) (string, time.Time, error) {
	var by, at string
	if err := row.Scan(&by, &at); err != nil {
		return "", time.Time{}, err
	}
	t, err := parseTime(at)
	return by, t, err
}
