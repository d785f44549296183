package handlers

import (
	"context"
	"log/slog"

	"github.com/sccbot/sccbot/bot"
)

// Auditor appends to the audit log.
type Auditor interface {
	AppendAudit(ctx context.Context, e bot.AuditEvent) error
}

// WriteAudit records e as a structured log line (msg=audit, the same shape
// the response runner writes), then in the store. The line comes first so
// that an event the store cannot take is still on record; the person who
// acted is not told of an audit failure, because what they did has happened.
func WriteAudit(ctx context.Context, log *slog.Logger, audit Auditor, e bot.AuditEvent) {
	attrs := []slog.Attr{
		slog.String("event", e.Event), slog.String("request", e.Request), slog.String("finding", e.Finding),
		slog.String("action", e.Action), slog.String("actor", e.Actor), slog.String("detail", e.Detail),
	}
	log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
	if audit == nil {
		return
	}
	if err := audit.AppendAudit(ctx, e); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "cannot write the audit log; the audit line above is the record",
			append(attrs, slog.Any("error", err))...)
	}
}
