package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// upsertFinding inserts a finding or replaces the stored data, unless the
// stored data has a later event time: notifications can arrive out of
// order, and an old one must not undo a newer state. An equal event time
// replaces the data, because SCC re-publishes a finding without moving its
// event time when only its state or mute changes. first_seen is written
// only by the insert.
const upsertFinding = `INSERT INTO findings (name, short_id, category, severity, state, mute, class,
	project, product, event_time, create_time, first_seen, last_seen, data)
VALUES (:name, :short_id, :category, :severity, :state, :mute, :class,
	:project, :product, :event_time, :create_time, :now, :now, :data)
ON CONFLICT (name) DO UPDATE SET
	short_id = excluded.short_id, category = excluded.category, severity = excluded.severity,
	state = excluded.state, mute = excluded.mute, class = excluded.class,
	project = excluded.project, product = excluded.product,
	event_time = excluded.event_time, create_time = excluded.create_time,
	last_seen = excluded.last_seen, data = excluded.data
WHERE excluded.event_time >= findings.event_time`

// PutFinding stores f, keyed by f.Name. It keeps the time the finding was
// first seen, and ignores f's data (but records that it was seen) when the
// stored finding has a later event time. A finding without a name, or with
// a name that is not valid UTF-8, is EInvalid. Other text that is not valid
// UTF-8 is stored with each invalid byte replaced by U+FFFD.
func (db *DB) PutFinding(ctx context.Context, f bot.Finding) error {
	row, err := storerow.NewFinding(f)
	if err != nil {
		return err
	}
	now := formatTime(db.now())
	// Two autocommit statements, not a transaction: the second only runs
	// when the first changed nothing, and moving last_seen needs no
	// atomicity with it.
	res, err := db.stmts.upsertFinding.ExecContext(ctx, findingArgs(row, now)...)
	if err != nil {
		return fmt.Errorf("put finding %q: %w", f.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("put finding %q: %w", f.Name, err)
	}
	if n > 0 {
		return nil
	}
	// Stale data, ignored; the notification still counts as a sighting.
	if _, err := db.stmts.touchFinding.ExecContext(ctx, now, row.Name); err != nil {
		return fmt.Errorf("put finding %q: touch: %w", f.Name, err)
	}
	return nil
}

// findingArgs are the named arguments of upsertFinding.
func findingArgs(r storerow.Finding, now string) []any {
	return []any{
		sql.Named("name", r.Name), sql.Named("short_id", r.ShortID),
		sql.Named("category", r.Category), sql.Named("severity", r.Severity),
		sql.Named("state", r.State), sql.Named("mute", r.Mute), sql.Named("class", r.Class),
		sql.Named("project", r.Project), sql.Named("product", r.Product),
		sql.Named("event_time", r.EventTime), sql.Named("create_time", r.CreateTime),
		sql.Named("now", now), sql.Named("data", r.Data),
	}
}

// Finding returns the finding with the given full name, or ENotFound.
func (db *DB) Finding(ctx context.Context, name string) (bot.Finding, error) {
	var data []byte
	err := db.read.QueryRowContext(ctx, `SELECT data FROM findings WHERE name = ?`, name).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Finding{}, bot.Errorf(bot.ENotFound, "finding %q not found", name)
	}
	if err != nil {
		return bot.Finding{}, fmt.Errorf("get finding %q: %w", name, err)
	}
	return decodeFinding(data)
}

// decodeFinding decodes the data column.
func decodeFinding(data []byte) (bot.Finding, error) { return storerow.DecodeFinding(data) }

// ResolveFinding returns the finding a responder means by ref: a full name
// (it contains a slash) or a short id, the last segment of a name. A short
// id shared by several findings is EInvalid, with a message that lists
// them; no match is ENotFound; an empty ref is EInvalid.
func (db *DB) ResolveFinding(ctx context.Context, ref string) (bot.Finding, error) {
	if ref == "" {
		return bot.Finding{}, bot.Errorf(bot.EInvalid, "no finding given")
	}
	if strings.Contains(ref, "/") {
		return db.Finding(ctx, ref)
	}
	names, data, err := db.findingsByShortID(ctx, ref)
	if err != nil {
		return bot.Finding{}, fmt.Errorf("resolve finding %q: %w", ref, err)
	}
	switch len(names) {
	case 0:
		return bot.Finding{}, bot.Errorf(bot.ENotFound, "finding %q not found", ref)
	case 1:
		return decodeFinding(data)
	}
	return bot.Finding{}, storerow.Ambiguous(ref, names)
}

// findingsByShortID returns up to storerow.MaxAmbiguous+1 names with the
// short id, and the data of the first.
func (db *DB) findingsByShortID(ctx context.Context, id string) (names []string, first []byte, err error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT name, data FROM findings WHERE short_id = ? ORDER BY name LIMIT ?`, id, storerow.MaxAmbiguous+1)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var data []byte
		if err := rows.Scan(&name, &data); err != nil {
			return nil, nil, err
		}
		if names = append(names, name); len(names) == 1 {
			first = data
		}
	}
	return names, first, rows.Err()
}

// FindingSeen returns when the store first and last saw the finding (any
// notification of it, including ones whose data was stale), or ENotFound.
func (db *DB) FindingSeen(ctx context.Context, name string) (first, last time.Time, err error) {
	var f, l string
	err = db.read.QueryRowContext(ctx, `SELECT first_seen, last_seen FROM findings WHERE name = ?`, name).Scan(&f, &l)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, time.Time{}, bot.Errorf(bot.ENotFound, "finding %q not found", name)
	}
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("get finding %q seen times: %w", name, err)
	}
	if first, err = parseTime(f); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if last, err = parseTime(l); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return first, last, nil
}

// FindingStatus returns the stored finding's status from its columns,
// without decoding the whole finding: the intake asks for it on every
// notification, duplicates included.
func (db *DB) FindingStatus(ctx context.Context, name string) (bot.FindingStatus, bool, error) {
	var eventTime, severity string
	var st bot.FindingStatus
	err := db.read.QueryRowContext(ctx, `SELECT event_time, state, mute, severity FROM findings WHERE name = ?`, name).
		Scan(&eventTime, &st.State, &st.Mute, &severity)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.FindingStatus{}, false, nil
	}
	if err != nil {
		return bot.FindingStatus{}, false, fmt.Errorf("get status of finding %q: %w", name, err)
	}
	if st.EventTime, err = parseTime(eventTime); err != nil {
		return bot.FindingStatus{}, false, fmt.Errorf("status of finding %q: %w", name, err)
	}
	st.Severity, _ = bot.ParseSeverity(severity)
	return st, true, nil
}
