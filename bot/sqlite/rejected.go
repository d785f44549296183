package sqlite

import (
	"context"
	"fmt"

	"github.com/sccbot/sccbot/bot"
)

// MaxRejectedPayload is how much of a rejected message the store keeps. The
// caller should cut the payload already; the store cuts it again so that a
// flood of large junk messages cannot grow the database by more than this
// per message.
const MaxRejectedPayload = 64 << 10

// RecordRejected stores r. A zero ReceivedAt means now. The payload is kept
// byte for byte up to MaxRejectedPayload; Source and Reason are stored
// with each invalid UTF-8 byte replaced by U+FFFD.
func (db *DB) RecordRejected(ctx context.Context, r bot.Rejected) error {
	received := db.now()
	if !r.ReceivedAt.IsZero() {
		received = r.ReceivedAt
	}
	at, err := encodeTime("rejected message receive time", received)
	if err != nil {
		return err
	}
	payload := r.Payload
	if len(payload) > MaxRejectedPayload {
		payload = payload[:MaxRejectedPayload]
	}
	if payload == nil {
		payload = []byte{} // the driver binds a nil slice as NULL
	}
	_, err = db.write.ExecContext(ctx,
		`INSERT INTO rejected (source, reason, payload, received_at) VALUES (?, ?, ?, ?)`,
		validText(r.Source), validText(r.Reason), payload, at)
	if err != nil {
		return fmt.Errorf("record rejected message from %q: %w", r.Source, err)
	}
	return nil
}

// Rejected returns up to limit rejected messages, newest first (by receive
// time, then by the order they were recorded). ReceivedAt is in UTC and an
// empty payload is nil. A limit below 1 is EInvalid.
func (db *DB) Rejected(ctx context.Context, limit int) ([]bot.Rejected, error) {
	if limit < 1 {
		return nil, bot.Errorf(bot.EInvalid, "limit %d is below 1", limit)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT source, reason, payload, received_at FROM rejected
ORDER BY received_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list rejected messages: %w", err)
	}
	defer rows.Close()
	var out []bot.Rejected
	for rows.Next() {
		r, err := scanRejected(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("list rejected messages: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rejected messages: %w", err)
	}
	return out, nil
}

// scanRejected reads one row of Rejected's query.
func scanRejected(scan func(...any) error) (bot.Rejected, error) {
	var r bot.Rejected
	var at string
	if err := scan(&r.Source, &r.Reason, &r.Payload, &at); err != nil {
		return bot.Rejected{}, err
	}
	if len(r.Payload) == 0 {
		r.Payload = nil
	}
	t, err := parseTime(at)
	r.ReceivedAt = t
	return r, err
}

// CountRejected returns how many rejected messages are stored.
func (db *DB) CountRejected(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM rejected`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rejected messages: %w", err)
	}
	return n, nil
}
