package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// auditPage is how many audit events Audit reads per query: fn is called
// with no connection held, so it may use the store.
const auditPage = 500

const auditColumns = `id, at, event, request, finding_name, action, actor, detail`

// AppendAudit adds an event to the audit log. The store assigns ID; a zero
// At means now by the store's clock. An event needs a name (EInvalid).
//
// Ids come from an identity column: every replica's appends get distinct,
// never reused ids. Two appends at the same instant from two replicas are
// ordered by id, which follows the order they reached the server.
func (db *DB) AppendAudit(ctx context.Context, ev bot.AuditEvent) error {
	if ev.Event == "" {
		return bot.Errorf(bot.EInvalid, "audit event has no name")
	}
	if ev.At.IsZero() {
		ev.At = db.now()
	}
	at, err := storerow.EncodeTime("audit time", ev.At)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO audit (at, event, request, finding_name, action, actor, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7)`, at, text(ev.Event), text(ev.Request), text(ev.Finding),
		text(ev.Action), text(ev.Actor), bytes(ev.Detail))
	if err != nil {
		return fmt.Errorf("append audit event %s of request %q: %w", ev.Event, ev.Request, err)
	}
	return nil
}

// Audit calls fn for every audit event at or after since, oldest first, in
// pages. It stops at fn's first error and returns it wrapped.
func (db *DB) Audit(ctx context.Context, since time.Time, fn func(bot.AuditEvent) error) error {
	from, err := storerow.EncodeTime("audit since", since)
	if err != nil {
		return err
	}
	var lastID int64 = -1
	for {
		page, err := db.queryAudit(ctx, `WHERE (at, id) > ($1, $2) ORDER BY at, id LIMIT $3`, from, lastID, auditPage)
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
		from, lastID = storerow.FormatTime(last.At), last.ID
	}
}

// AuditForFinding returns the finding's audit trail, oldest first.
func (db *DB) AuditForFinding(ctx context.Context, finding string) ([]bot.AuditEvent, error) {
	evs, err := db.queryAudit(ctx, `WHERE finding_name = $1 ORDER BY at, id`, text(finding))
	if err != nil {
		return nil, fmt.Errorf("read audit trail of finding %q: %w", finding, err)
	}
	return evs, nil
}

func (db *DB) queryAudit(ctx context.Context, tail string, args ...any) ([]bot.AuditEvent, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit `+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanAudit)
}

func scanAudit(row pgx.CollectableRow) (bot.AuditEvent, error) {
	var ev bot.AuditEvent
	var at string
	var detail []byte
	if err := row.Scan(&ev.ID, &at, &ev.Event, &ev.Request, &ev.Finding, &ev.Action, &ev.Actor, &detail); err != nil {
		return bot.AuditEvent{}, err
	}
	ev.Detail = string(detail)
	t, err := storerow.ParseTime(at)
	if err != nil {
		return bot.AuditEvent{}, fmt.Errorf("audit event %d: %w", ev.ID, err)
	}
	ev.At = t
	return ev, nil
}
