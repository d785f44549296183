package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
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

// groupArgs are the values of groupColumns, in order.
func groupArgs(g bot.Group) ([]any, error) {
	r, err := storerow.NewGroup(g)
	if err != nil {
		return nil, err
	}
	return []any{r.ID, r.Key, r.Representative, r.Channel, r.TS, r.OpenedAt, r.First, r.Last,
		r.Count, r.Worst, r.Pods, r.MorePods, r.Binaries, r.MoreBinaries, r.Closed}, nil
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
	var r storerow.Group
	err := s.Scan(&r.ID, &r.Key, &r.Representative, &r.Channel, &r.TS, &r.OpenedAt, &r.First, &r.Last,
		&r.Count, &r.Worst, &r.Pods, &r.MorePods, &r.Binaries, &r.MoreBinaries, &r.Closed)
	if err != nil {
		return bot.Group{}, err
	}
	return r.Decode()
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
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, groupID, f.Name, now, storerow.BoolInt(breakout), listedAt)
		if err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			out = g
			return nil
		}
		out = storerow.Fold(g, f)
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
