package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sccbot/sccbot/bot"
)

const groupColumns = `id, key, representative, channel, ts, opened_at, first_event, last_event,
	count, worst, pods, more_pods, binaries, more_binaries, closed`

// CreateGroup records a new open group. A key can have one open group:
// creating a second is EConflict.
func (db *DB) CreateGroup(ctx context.Context, g bot.Group) error {
	args, err := groupArgs(g)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO groups (`+groupColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		if isUniqueViolation(err) {
			return bot.Errorf(bot.EConflict, "group %q already has an open group", g.Key)
		}
		return fmt.Errorf("create group %s: %w", g.Key, err)
	}
	return nil
}

// SetGroupCard records the group's card once it is posted. A group is
// created before its card so that its members can join while the card
// waits for the channel's pace; it is listed only once it has one.
func (db *DB) SetGroupCard(ctx context.Context, groupID string, ref bot.MessageRef) error {
	if ref.Empty() {
		return bot.Errorf(bot.EInvalid, "group card is empty")
	}
	res, err := db.write.ExecContext(ctx, `UPDATE groups SET channel = ?, ts = ? WHERE id = ?`, validText(ref.Channel), validText(ref.TS), groupID)
	if err != nil {
		return fmt.Errorf("set card of group %s: %w", groupID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bot.Errorf(bot.ENotFound, "group %q not found", groupID)
	}
	return nil
}

func groupArgs(g bot.Group) ([]any, error) {
	if g.ID == "" || g.Key == "" || g.Representative == "" {
		return nil, bot.Errorf(bot.EInvalid, "group needs an id, a key and a representative")
	}
	pods, err := json.Marshal(nonNil(g.Pods))
	if err != nil {
		return nil, err
	}
	bins, err := json.Marshal(nonNil(g.Binaries))
	if err != nil {
		return nil, err
	}
	first, err := encodeTime("group first event", g.First)
	if err != nil {
		return nil, err
	}
	last, err := encodeTime("group last event", g.Last)
	if err != nil {
		return nil, err
	}
	return []any{g.ID, g.Key, g.Representative, g.Card.Channel, g.Card.TS, formatTime(g.OpenedAt), first, last,
		g.Count, g.Worst.String(), string(pods), g.MorePods, string(bins), g.MoreBinaries, boolInt(g.Closed)}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// OpenGroup returns the open group of key, if there is one.
func (db *DB) OpenGroup(ctx context.Context, key string) (bot.Group, bool, error) {
	return db.groupWhere(ctx, db.read, `key = ? AND closed = 0`, key)
}

// GroupOf returns the group a finding belongs to, as its representative or
// as a member.
func (db *DB) GroupOf(ctx context.Context, findingName string) (bot.Group, bool, error) {
	return db.groupWhere(ctx, db.read, `representative = ?1 OR id IN
		(SELECT group_id FROM group_members WHERE finding_name = ?1) ORDER BY opened_at DESC LIMIT 1`, findingName)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) groupWhere(ctx context.Context, q querier, where string, args ...any) (bot.Group, bool, error) {
	row := q.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups WHERE `+where, args...)
	g, err := scanGroup(row)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Group{}, false, nil
	}
	if err != nil {
		return bot.Group{}, false, fmt.Errorf("get group: %w", err)
	}
	return g, true, nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanGroup(s rowScanner) (bot.Group, error) {
	var g bot.Group
	var opened, first, last, worst, pods, bins string
	var closed int
	err := s.Scan(&g.ID, &g.Key, &g.Representative, &g.Card.Channel, &g.Card.TS, &opened, &first, &last,
		&g.Count, &worst, &pods, &g.MorePods, &bins, &g.MoreBinaries, &closed)
	if err != nil {
		return bot.Group{}, err
	}
	g.Closed = closed == 1
	g.Worst, _ = bot.ParseSeverity(worst)
	if err := json.Unmarshal([]byte(pods), &g.Pods); err != nil {
		return bot.Group{}, fmt.Errorf("group pods: %w", err)
	}
	if err := json.Unmarshal([]byte(bins), &g.Binaries); err != nil {
		return bot.Group{}, fmt.Errorf("group binaries: %w", err)
	}
	for _, t := range []struct {
		dst *time.Time
		src string
	}{{&g.OpenedAt, opened}, {&g.First, first}, {&g.Last, last}} {
		if *t.dst, err = parseTime(t.src); err != nil {
			return bot.Group{}, err
		}
	}
	return g, nil
}

// JoinGroup adds f to the group and folds it into the group's figures
// (count, first and latest event, worst severity, distinct pods and
// binaries) in one transaction. Adding a member twice changes nothing.
func (db *DB) JoinGroup(ctx context.Context, groupID string, f bot.Finding, breakout bool) (bot.Group, error) {
	var out bot.Group
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		g, ok, err := db.groupWhere(ctx, tx, `id = ?`, groupID)
		if err != nil {
			return err
		}
		if !ok {
			return bot.Errorf(bot.ENotFound, "group %q not found", groupID)
		}
		// A breakout has its own card: it is counted in the group but never
		// listed in its thread, so that it is shown once.
		now, listedAt := formatTime(db.now()), ""
		if breakout {
			listedAt = now
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, finding_name, added_at, breakout, listed_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, groupID, f.Name, now, boolInt(breakout), listedAt)
		if err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			out = g
			return nil
		}
		out = fold(g, f)
		args, err := groupArgs(out)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE groups SET first_event = ?, last_event = ?, count = ?, worst = ?,
			pods = ?, more_pods = ?, binaries = ?, more_binaries = ? WHERE id = ?`,
			args[6], args[7], args[8], args[9], args[10], args[11], args[12], args[13], groupID)
		return err
	})
	if err != nil {
		return bot.Group{}, fmt.Errorf("join group %s: %w", groupID, err)
	}
	return out, nil
}

// fold adds one finding to a group's figures.
func fold(g bot.Group, f bot.Finding) bot.Group {
	g.Count++
	if !f.EventTime.IsZero() && (g.First.IsZero() || f.EventTime.Before(g.First)) {
		g.First = f.EventTime
	}
	if f.EventTime.After(g.Last) {
		g.Last = f.EventTime
	}
	g.Worst = max(g.Worst, f.Severity)
	if pod := podOf(f); pod != "" {
		g.Pods, g.MorePods = addDistinct(g.Pods, g.MorePods, pod)
	}
	if p, ok := f.Process(); ok && p.Binary != "" {
		g.Binaries, g.MoreBinaries = addDistinct(g.Binaries, g.MoreBinaries, p.Binary)
	}
	return g
}

// podOf is the place a member ran: its pod, or its Cloud Run revision.
func podOf(f bot.Finding) string {
	switch {
	case f.Target.Pod != "":
		return f.Target.Namespace + "/" + f.Target.Pod
	case f.Target.Revision != "":
		return f.Target.Revision
	}
	return ""
}

// addDistinct adds v to a bounded set. Values past the bound are only
// counted (approximately: values beyond it are not remembered, so a value
// seen twice there counts twice).
func addDistinct(vals []string, more int, v string) ([]string, int) {
	if slices.Contains(vals, v) {
		return vals, more
	}
	if len(vals) < bot.MaxGroupValues {
		return append(vals, v), more
	}
	return vals, more + 1
}

// CloseGroup closes a group: the next finding with its key opens another.
func (db *DB) CloseGroup(ctx context.Context, groupID string) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE groups SET closed = 1 WHERE id = ?`, groupID); err != nil {
		return fmt.Errorf("close group %s: %w", groupID, err)
	}
	return nil
}

// isUniqueViolation reports whether err is SQLite refusing a duplicate in a
// unique index or primary key.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
