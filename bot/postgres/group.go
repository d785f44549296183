package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

const groupColumns = `id, key, representative, channel, ts, opened_at, first_event, last_event,
	count, worst, pods, more_pods, binaries, more_binaries, closed`

// CreateGroup records a new open group. A key can have one open group:
// creating a second, from any replica, is EConflict.
func (db *DB) CreateGroup(ctx context.Context, g bot.Group) error {
	r, err := storerow.NewGroup(g)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO groups (`+groupColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		text(r.ID), text(r.Key), text(r.Representative), text(r.Channel), text(r.TS), r.OpenedAt, r.First, r.Last,
		r.Count, r.Worst, r.Pods, r.MorePods, r.Binaries, r.MoreBinaries, r.Closed)
	if code, _ := pgCode(err); code == uniqueViolation {
		return bot.Errorf(bot.EConflict, "group %q already has an open group", g.Key)
	}
	if err != nil {
		return fmt.Errorf("create group %s: %w", g.Key, err)
	}
	return nil
}

// SetGroupCard records the group's card once it is posted: a group may be
// created before its card, so that members join while the card waits for
// the channel's pace.
func (db *DB) SetGroupCard(ctx context.Context, groupID string, ref bot.MessageRef) error {
	if ref.Empty() {
		return bot.Errorf(bot.EInvalid, "group card is empty")
	}
	tag, err := db.pool.Exec(ctx, `UPDATE groups SET channel = $1, ts = $2 WHERE id = $3`,
		text(ref.Channel), text(ref.TS), text(groupID))
	if err != nil {
		return fmt.Errorf("set card of group %s: %w", groupID, err)
	}
	if tag.RowsAffected() == 0 {
		return bot.Errorf(bot.ENotFound, "group %q not found", groupID)
	}
	return nil
}

// OpenGroup returns the open group of key, if there is one.
func (db *DB) OpenGroup(ctx context.Context, key string) (bot.Group, bool, error) {
	return groupWhere(ctx, db.pool, `key = $1 AND closed = 0`, text(key))
}

// GroupOf returns the group a finding belongs to, as its representative or
// as a member.
func (db *DB) GroupOf(ctx context.Context, findingName string) (bot.Group, bool, error) {
	return groupWhere(ctx, db.pool, `representative = $1 OR id IN
		(SELECT group_id FROM group_members WHERE finding_name = $1) ORDER BY opened_at DESC LIMIT 1`, text(findingName))
}

// querier is the pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func groupWhere(ctx context.Context, q querier, where string, args ...any) (bot.Group, bool, error) {
	g, err := scanGroup(q.QueryRow(ctx, `SELECT `+groupColumns+` FROM groups WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.Group{}, false, nil
	}
	if err != nil {
		return bot.Group{}, false, fmt.Errorf("get group: %w", err)
	}
	return g, true, nil
}

func scanGroup(row pgx.Row) (bot.Group, error) {
	var r storerow.Group
	err := row.Scan(&r.ID, &r.Key, &r.Representative, &r.Channel, &r.TS, &r.OpenedAt, &r.First, &r.Last,
		&r.Count, &r.Worst, &r.Pods, &r.MorePods, &r.Binaries, &r.MoreBinaries, &r.Closed)
	if err != nil {
		return bot.Group{}, err
	}
	return r.Decode()
}

// JoinGroup adds f to the group and folds it into the group's figures
// (count, first and latest event, worst severity, distinct pods and
// binaries) in one transaction. Adding a member twice changes nothing. The
// group's row is locked first, so replicas adding members at once fold
// them one after the other and no figure is lost.
func (db *DB) JoinGroup(ctx context.Context, groupID string, f bot.Finding, breakout bool) (bot.Group, error) {
	var out bot.Group
	err := db.tx(ctx, func(tx pgx.Tx) error {
		g, ok, err := groupWhere(ctx, tx, `id = $1 FOR UPDATE`, text(groupID))
		if err != nil {
			return err
		}
		if !ok {
			return bot.Errorf(bot.ENotFound, "group %q not found", groupID)
		}
		// A breakout has its own card: it is counted in the group but never
		// listed in its thread, so that it is shown once.
		now, listedAt := db.nowText(), ""
		if breakout {
			listedAt = now
		}
		tag, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, finding_name, added_at, breakout, listed_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, text(groupID), text(f.Name), now, storerow.BoolInt(breakout), listedAt)
		if err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		if tag.RowsAffected() == 0 {
			out = g
			return nil
		}
		out = storerow.Fold(g, f)
		r, err := storerow.NewGroup(out)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE groups SET first_event = $1, last_event = $2, count = $3, worst = $4,
			pods = $5, more_pods = $6, binaries = $7, more_binaries = $8 WHERE id = $9`,
			r.First, r.Last, r.Count, r.Worst, r.Pods, r.MorePods, r.Binaries, r.MoreBinaries, text(groupID))
		return err
	})
	if err != nil {
		return bot.Group{}, fmt.Errorf("join group %s: %w", groupID, err)
	}
	return out, nil
}

// CloseGroup closes a group: the next finding with its key opens another.
func (db *DB) CloseGroup(ctx context.Context, groupID string) error {
	if _, err := db.pool.Exec(ctx, `UPDATE groups SET closed = 1 WHERE id = $1`, text(groupID)); err != nil {
		return fmt.Errorf("close group %s: %w", groupID, err)
	}
	return nil
}

// UnlistedMembers returns up to limit members of a group that are not yet
// listed in its thread, oldest first.
func (db *DB) UnlistedMembers(ctx context.Context, groupID string, limit int) ([]bot.Finding, error) {
	rows, err := db.pool.Query(ctx, `SELECT f.data FROM group_members m JOIN findings f ON f.name = m.finding_name
		WHERE m.group_id = $1 AND m.listed_at = '' ORDER BY m.added_at, m.finding_name LIMIT $2`, text(groupID), limit)
	if err != nil {
		return nil, fmt.Errorf("unlisted members of %s: %w", groupID, err)
	}
	out, err := collectFindings(rows)
	if err != nil {
		return nil, fmt.Errorf("unlisted members of %s: %w", groupID, err)
	}
	return out, nil
}

// MarkListed records that members were listed in the group's thread.
func (db *DB) MarkListed(ctx context.Context, groupID string, names []string) error {
	listed := make([]string, len(names))
	for i, n := range names {
		listed[i] = text(n)
	}
	_, err := db.pool.Exec(ctx, `UPDATE group_members SET listed_at = $1
		WHERE group_id = $2 AND finding_name = ANY($3) AND listed_at = ''`, db.nowText(), text(groupID), listed)
	if err != nil {
		return fmt.Errorf("mark members of %s listed: %w", groupID, err)
	}
	return nil
}

// GroupsWithUnlisted returns the groups that have members not yet listed
// in their thread, the longest waiting first.
func (db *DB) GroupsWithUnlisted(ctx context.Context) ([]bot.Group, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+groupColumns+` FROM groups WHERE id IN
		(SELECT group_id FROM group_members WHERE listed_at = '') ORDER BY opened_at`)
	if err != nil {
		return nil, fmt.Errorf("groups with unlisted members: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.Group, error) { return scanGroup(row) })
	if err != nil {
		return nil, fmt.Errorf("groups with unlisted members: %w", err)
	}
	return out, nil
}
