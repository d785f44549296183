package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// statements are the ingest path's statements, prepared once. Parsing SQL
// is about a fifth of the cost of a small write in modernc.org/sqlite, and
// ingest runs these for every notification. database/sql prepares each one
// again on any new pool connection by itself.
type statements struct {
	upsertFinding       *sql.Stmt
	touchFinding        *sql.Stmt
	notificationHandled *sql.Stmt
	markNotification    *sql.Stmt
	card                *sql.Stmt
	cardHolder          *sql.Stmt
	upsertCard          *sql.Stmt
}

// Statements of the ingest path; the rest of the store runs its SQL
// unprepared.
const (
	touchFinding        = `UPDATE findings SET last_seen = ? WHERE name = ?`
	notificationHandled = `SELECT EXISTS (SELECT 1 FROM notifications WHERE finding_name = ? AND event_time = ?)`
	markNotification    = `INSERT INTO notifications (finding_name, event_time, outcome, handled_at)
VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
)

// prepare prepares the statements: writes on the writer, reads on the
// readers.
func (s *statements) prepare(ctx context.Context, write, read *sql.DB) error {
	for _, p := range []struct {
		dst  **sql.Stmt
		db   *sql.DB
		text string
	}{
		{&s.upsertFinding, write, upsertFinding},
		{&s.touchFinding, write, touchFinding},
		{&s.notificationHandled, read, notificationHandled},
		{&s.markNotification, write, markNotification},
		{&s.card, read, selectCard},
		{&s.cardHolder, write, selectCardHolder},
		{&s.upsertCard, write, upsertCard},
	} {
		stmt, err := p.db.PrepareContext(ctx, p.text)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.text, err)
		}
		*p.dst = stmt
	}
	return nil
}

// close closes the statements that were prepared.
func (s *statements) close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{s.upsertFinding, s.touchFinding, s.notificationHandled, s.markNotification,
		s.card, s.cardHolder, s.upsertCard} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}
