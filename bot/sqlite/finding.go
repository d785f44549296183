package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// maxAmbiguous is how many candidate names an ambiguous short id lists.
const maxAmbiguous = 5

// findingRow is a finding encoded for the findings table.
type findingRow struct {
	name, shortID, category, severity, state, mute, class, project, product string
	eventTime, createTime                                                   string
	data                                                                    string
}

// newFindingRow encodes f. The name is the finding's identity, so it must be
// usable as given; other text is made valid UTF-8 the way encoding/json does
// it, so that the columns agree with the JSON.
func newFindingRow(f bot.Finding) (findingRow, error) {
	if f.Name == "" {
		return findingRow{}, bot.Errorf(bot.EInvalid, "finding has no name")
	}
	if !utf8.ValidString(f.Name) {
		return findingRow{}, bot.Errorf(bot.EInvalid, "finding name %q is not valid UTF-8", f.Name)
	}
	eventTime, err := encodeTime("finding event time", f.EventTime)
	if err != nil {
		return findingRow{}, err
	}
	createTime, err := encodeTime("finding create time", f.CreateTime)
	if err != nil {
		return findingRow{}, err
	}
	data, err := json.Marshal(f)
	if err != nil {
		return findingRow{}, fmt.Errorf("encode finding %q: %w", f.Name, err)
	}
	return findingRow{
		name: f.Name, shortID: f.ShortID(),
		category: validText(f.Category), severity: f.Severity.String(),
		state: validText(f.State), mute: validText(f.Mute), class: validText(f.Class),
		project: validText(f.Project()), product: validText(string(f.Target.Product)),
		eventTime: eventTime, createTime: createTime,
		data: string(data),
	}, nil
}

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
	row, err := newFindingRow(f)
	if err != nil {
		return err
	}
	now := formatTime(db.now())
	// Two autocommit statements, not a transaction: the second only runs
	// when the first changed nothing, and moving last_seen needs no
	// atomicity with it.
	res, err := db.stmts.upsertFinding.ExecContext(ctx, row.args(now)...)
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
	if _, err := db.stmts.touchFinding.ExecContext(ctx, now, row.name); err != nil {
		return fmt.Errorf("put finding %q: touch: %w", f.Name, err)
	}
	return nil
}

// args are the named arguments of upsertFinding.
func (r findingRow) args(now string) []any {
	return []any{
		sql.Named("name", r.name), sql.Named("short_id", r.shortID),
		sql.Named("category", r.category), sql.Named("severity", r.severity),
		sql.Named("state", r.state), sql.Named("mute", r.mute), sql.Named("class", r.class),
		sql.Named("project", r.project), sql.Named("product", r.product),
		sql.Named("event_time", r.eventTime), sql.Named("create_time", r.createTime),
		sql.Named("now", now), sql.Named("data", r.data),
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
func decodeFinding(data []byte) (bot.Finding, error) {
	var f bot.Finding
	if err := json.Unmarshal(data, &f); err != nil {
		return bot.Finding{}, fmt.Errorf("decode stored finding: %w", err)
	}
	return f, nil
}

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
	return bot.Finding{}, ambiguous(ref, names)
}

// findingsByShortID returns up to maxAmbiguous+1 names with the short id,
// and the data of the first.
func (db *DB) findingsByShortID(ctx context.Context, id string) (names []string, first []byte, err error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT name, data FROM findings WHERE short_id = ? ORDER BY name LIMIT ?`, id, maxAmbiguous+1)
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

// ambiguous is the error for a short id that matches several findings.
func ambiguous(id string, names []string) error {
	more := ""
	if len(names) > maxAmbiguous {
		names, more = names[:maxAmbiguous], " and more"
	}
	return bot.Errorf(bot.EInvalid, "finding id %q is ambiguous: it matches %s%s; use the full name",
		id, strings.Join(names, ", "), more)
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
