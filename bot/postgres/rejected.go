package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// MaxRejectedPayload is how much of a rejected message the store keeps, as
// in the SQLite store.
const MaxRejectedPayload = 64 << 10

// RecordRejected stores r. A zero ReceivedAt means now. The payload is kept
// byte for byte up to MaxRejectedPayload.
func (db *DB) RecordRejected(ctx context.Context, r bot.Rejected) error {
	received := db.now()
	if !r.ReceivedAt.IsZero() {
		received = r.ReceivedAt
	}
	at, err := storerow.EncodeTime("rejected message receive time", received)
	if err != nil {
		return err
	}
	payload := r.Payload
	if len(payload) > MaxRejectedPayload {
		payload = payload[:MaxRejectedPayload]
	}
	if payload == nil {
		payload = []byte{} // nil would be NULL
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO rejected (source, reason, payload, received_at) VALUES ($1, $2, $3, $4)`,
		bytes(r.Source), bytes(r.Reason), payload, at)
	if err != nil {
		return fmt.Errorf("record rejected message from %q: %w", r.Source, err)
	}
	return nil
}

// Rejected returns up to limit rejected messages, newest first. A limit
// below 1 is EInvalid.
func (db *DB) Rejected(ctx context.Context, limit int) ([]bot.Rejected, error) {
	if limit < 1 {
		return nil, bot.Errorf(bot.EInvalid, "limit %d is below 1", limit)
	}
	rows, err := db.pool.Query(ctx, `SELECT source, reason, payload, received_at FROM rejected
ORDER BY received_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list rejected messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanRejected)
	if err != nil {
		return nil, fmt.Errorf("list rejected messages: %w", err)
	}
	return out, nil
}

func scanRejected(row pgx.CollectableRow) (bot.Rejected, error) {
	var r bot.Rejected
	var source, reason []byte
	var at string
	if err := row.Scan(&source, &reason, &r.Payload, &at); err != nil {
		return bot.Rejected{}, err
	}
	r.Source, r.Reason = string(source), string(reason)
	if len(r.Payload) == 0 {
		r.Payload = nil
	}
	t, err := storerow.ParseTime(at)
	r.ReceivedAt = t
	return r, err
}

// CountRejected returns how many rejected messages are stored.
func (db *DB) CountRejected(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM rejected`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rejected messages: %w", err)
	}
	return n, nil
}
