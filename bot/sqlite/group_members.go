package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sccbot/sccbot/bot"
)

// UnlistedMembers returns up to limit members of a group that are not yet
// listed in its thread, oldest first.
func (db *DB) UnlistedMembers(ctx context.Context, groupID string, limit int) ([]bot.Finding, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT f.data FROM group_members m JOIN findings f ON f.name = m.finding_name
		WHERE m.group_id = ? AND m.listed_at = '' ORDER BY m.added_at, m.finding_name LIMIT ?`, groupID, limit)
	if err != nil {
		return nil, fmt.Errorf("unlisted members of %s: %w", groupID, err)
	}
	defer rows.Close()
	var out []bot.Finding
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		f, err := decodeFinding(data)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// MarkListed records that members were listed in the group's thread.
func (db *DB) MarkListed(ctx context.Context, groupID string, names []string) error {
	now := formatTime(db.now())
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		for _, n := range names {
			if _, err := tx.ExecContext(ctx, `UPDATE group_members SET listed_at = ?
				WHERE group_id = ? AND finding_name = ? AND listed_at = ''`, now, groupID, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark members of %s listed: %w", groupID, err)
	}
	return nil
}

// GroupsWithUnlisted returns the groups that have members not yet listed
// in their thread, the longest waiting first.
func (db *DB) GroupsWithUnlisted(ctx context.Context) ([]bot.Group, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+groupColumns+` FROM groups WHERE id IN
		(SELECT group_id FROM group_members WHERE listed_at = '') ORDER BY opened_at`)
	if err != nil {
		return nil, fmt.Errorf("groups with unlisted members: %w", err)
	}
	defer rows.Close()
	var out []bot.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
