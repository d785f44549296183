package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// The replica methods keep the same contract as the PostgreSQL store's,
// so that one conformance suite covers both; with SQLite there is one
// replica, whose own claims are always its own.

// Heartbeat records that replica id is alive now.
func (db *DB) Heartbeat(ctx context.Context, id string) error {
	now := formatTime(db.now())
	if _, err := db.write.ExecContext(ctx, `INSERT INTO replicas (id, started_at, seen_at) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`, validText(id), now, now); err != nil {
		return fmt.Errorf("heartbeat of replica %q: %w", id, err)
	}
	return nil
}

// LeaveReplica removes replica id's row: it is dead from now on.
func (db *DB) LeaveReplica(ctx context.Context, id string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM replicas WHERE id = ?`, validText(id)); err != nil {
		return fmt.Errorf("remove replica %q: %w", id, err)
	}
	return nil
}

// ReplicaAlive reports whether replica id beat within deadAfter.
func (db *DB) ReplicaAlive(ctx context.Context, id string, deadAfter time.Duration) (bool, error) {
	var alive bool
	err := db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM replicas WHERE id = ? AND seen_at >= ?)`,
		validText(id), formatTime(db.now().Add(-deadAfter))).Scan(&alive)
	if err != nil {
		return false, fmt.Errorf("check replica %q: %w", id, err)
	}
	return alive, nil
}

// TakeOverIntent moves the open intent with key from holder from to
// holder to, and reports whether it did.
func (db *DB) TakeOverIntent(ctx context.Context, key, from, to string) (bool, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE post_intents SET holder = ? WHERE key = ? AND holder = ?`,
		validText(to), key, validText(from))
	if err != nil {
		return false, fmt.Errorf("take over intent %q: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetRequestExecutor records that replica runs request id (ENotFound
// unless the request is running).
func (db *DB) SetRequestExecutor(ctx context.Context, id, replica string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE requests SET executor = ? WHERE id = ? AND state = 'running'`,
		validText(replica), id)
	if err != nil {
		return fmt.Errorf("record the executor of request %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bot.Errorf(bot.ENotFound, "no running request %q", id)
	}
	return nil
}

// InterruptedRequests returns the running requests whose executor is dead
// (no beat within deadAfter), oldest first; requests with no executor
// recorded are left to the stale sweep.
func (db *DB) InterruptedRequests(ctx context.Context, deadAfter time.Duration) ([]bot.ActionRequest, error) {
	rs, err := db.queryRequests(ctx, `AS r WHERE state = 'running' AND executor <> '' AND NOT EXISTS (
	SELECT 1 FROM replicas WHERE replicas.id = r.executor AND replicas.seen_at >= ?)
ORDER BY decided_at, id`, formatTime(db.now().Add(-deadAfter)))
	if err != nil {
		return nil, fmt.Errorf("list interrupted requests: %w", err)
	}
	return rs, nil
}

// ReleaseIntents lets go of the open intents with key prefix and the given
// owed mark that holder holds; it returns how many it released.
func (db *DB) ReleaseIntents(ctx context.Context, holder, prefix string, owed bool) (int64, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE post_intents SET holder = ''
WHERE holder = ? AND owed = ? AND substr(key, 1, length(?)) = ?`, validText(holder), storerow.BoolInt(owed), prefix, prefix)
	if err != nil {
		return 0, fmt.Errorf("release intents of %q: %w", holder, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
