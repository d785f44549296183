package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// auditPage is how many audit events Audit reads per query. Reading in
// pages keeps each read transaction short (a long one would hold back WAL
// checkpoints during a big export) and calls fn with no connection held,
// so fn may use the store, even an in-memory one with its single
// connection.
const auditPage = 500

// auditColumns are the columns of audit in the order scanAudit reads them.
const auditColumns = `id, at, event, request, finding_name, action, actor, detail`

// AppendAudit adds an event to the audit log. The store assigns ID (ev.ID
// is ignored); a zero At means now by the store's clock. An event needs a
// name (EInvalid). Text that is not valid UTF-8 is stored with each invalid
// byte replaced by U+FFFD.
func (db *DB) AppendAudit(ctx context.Context, ev bot.AuditEvent) error {
	if ev.Event == "" {
		return bot.Errorf(bot.EInvalid, "audit event has no name")
	}
	if ev.At.IsZero() {
		ev.At = db.now()
	}
	at, err := encodeTime("audit time", ev.At)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO audit (at, event, request, finding_name, action, actor, detail)
VALUES (?, ?, ?, ?, ?, ?, ?)`, at, validText(ev.Event), validText(ev.Request), validText(ev.Finding),
		validText(ev.Action), validText(ev.Actor), validText(ev.Detail))
	if err != nil {
		return fmt.Errorf("append audit event %s of request %q: %w", ev.Event, ev.Request, err)
	}
	return nil
}

// Audit calls fn for every audit event at or after since, oldest first
// (events at the same instant in the order they were appended), for
// `sccbot audit`. It stops at fn's first error and returns it wrapped.
// Events appended while it runs may or may not be included.
func (db *DB) Audit(ctx context.Context, since time.Time, fn func(bot.AuditEvent) error) error {
	from, err := encodeTime("audit since", since)
	if err != nil {
		return err
	}
	var lastID int64 = -1
	for {
		page, err := db.auditPage(ctx, from, lastID)
		if err != nil {
			return fmt.Errorf("read audit log: %w", err)
		}
		for _, ev := range page {
			if err := fn(ev); err != nil {
				return fmt.Errorf("audit event %d: %w", ev.ID, err)
			}
		}
		if len(page) < auditPage {
			return nil
		}
		last := page[len(page)-1]
		from, lastID = formatTime(last.At), last.ID
	}
}

// auditPage reads the next page of events after (at, id), keyset style:
// each page starts where the last ended, with no OFFSET to rescan.
func (db *DB) auditPage(ctx context.Context, at string, afterID int64) ([]bot.AuditEvent, error) {
	return db.queryAudit(ctx, `WHERE (at, id) > (?, ?) ORDER BY at, id LIMIT ?`, at, afterID, auditPage)
}

// AuditForFinding returns the finding's audit trail, oldest first.
func (db *DB) AuditForFinding(ctx context.Context, finding string) ([]bot.AuditEvent, error) {
	evs, err := db.queryAudit(ctx, `WHERE finding_name = ? ORDER BY at, id`, finding)
	if err != nil {
		return nil, fmt.Errorf("read audit trail of finding %q: %w", finding, err)
	}
	return evs, nil
}

// queryAudit selects audit events with a WHERE ... tail.
func (db *DB) queryAudit(ctx context.Context, tail string, args ...any) ([]bot.AuditEvent, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bot.AuditEvent
	for rows.Next() {
		ev, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// scanAudit decodes a row selected with auditColumns.
func scanAudit(rows *sql.Rows) (bot.AuditEvent, error) {
	var ev bot.AuditEvent
	var at string
	if err := rows.Scan(&ev.ID, &at, &ev.Event, &ev.Request, &ev.Finding, &ev.Action, &ev.Actor, &ev.Detail); err != nil {
		return bot.AuditEvent{}, err
	}
	t, err := parseTime(at)
	if err != nil {
		return bot.AuditEvent{}, fmt.Errorf("audit event %d: %w", ev.ID, err)
	}
	ev.At = t
	return ev, nil
}
