package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// Heartbeat records that replica id is alive now: its row's seen_at
// moves to the store's clock, and a first beat records when it started.
func (db *DB) Heartbeat(ctx context.Context, id string) error {
	now := db.nowText()
	if _, err := db.pool.Exec(ctx, `INSERT INTO replicas (id, started_at, seen_at) VALUES ($1, $2, $2)
ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`, text(id), now); err != nil {
		return fmt.Errorf("heartbeat of replica %q: %w", id, err)
	}
	return nil
}

// LeaveReplica removes replica id's row: a replica that stops cleanly is
// dead at once, so that others take over its claims without waiting.
func (db *DB) LeaveReplica(ctx context.Context, id string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM replicas WHERE id = $1`, text(id)); err != nil {
		return fmt.Errorf("remove replica %q: %w", id, err)
	}
	return nil
}

// ReplicaAlive reports whether replica id beat within deadAfter of the
// store's clock. An unknown replica (never seen, or gone) is dead.
func (db *DB) ReplicaAlive(ctx context.Context, id string, deadAfter time.Duration) (bool, error) {
	var alive bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM replicas WHERE id = $1 AND seen_at >= $2)`,
		text(id), storerow.FormatTime(db.now().Add(-deadAfter))).Scan(&alive)
	if err != nil {
		return false, fmt.Errorf("check replica %q: %w", id, err)
	}
	return alive, nil
}

// TakeOverIntent moves the open intent with key from holder from to
// holder to, and reports whether it did: of replicas racing to take over
// one intent, exactly one sees true (the compare-and-set is one UPDATE).
func (db *DB) TakeOverIntent(ctx context.Context, key, from, to string) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE post_intents SET holder = $3 WHERE key = $1 AND holder = $2`,
		text(key), text(from), text(to))
	if err != nil {
		return false, fmt.Errorf("take over intent %q: %w", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetRequestExecutor records that replica runs request id (ENotFound
// unless the request is running).
func (db *DB) SetRequestExecutor(ctx context.Context, id, replica string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE requests SET executor = $2 WHERE id = $1 AND state = 'running'`,
		text(id), text(replica))
	if err != nil {
		return fmt.Errorf("record the executor of request %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return bot.Errorf(bot.ENotFound, "no running request %q", id)
	}
	return nil
}

// InterruptedRequests returns the running requests whose executor is dead
// (no beat within deadAfter), oldest first. Requests with no executor
// recorded are left to the stale sweep.
func (db *DB) InterruptedRequests(ctx context.Context, deadAfter time.Duration) ([]bot.ActionRequest, error) {
	rs, err := db.queryRequests(ctx, `r WHERE state = 'running' AND executor <> '' AND NOT EXISTS (
	SELECT 1 FROM replicas WHERE replicas.id = r.executor AND replicas.seen_at >= $1)
ORDER BY decided_at, id`, storerow.FormatTime(db.now().Add(-deadAfter)))
	if err != nil {
		return nil, fmt.Errorf("list interrupted requests: %w", err)
	}
	return rs, nil
}

// ReleaseIntents lets go of the open intents with key prefix and the given
// owed mark that holder holds, so that whoever runs their work next claims
// them at once; it returns how many it released.
func (db *DB) ReleaseIntents(ctx context.Context, holder, prefix string, owed bool) (int64, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE post_intents SET holder = ''
WHERE holder = $1 AND owed = $2 AND left(key, length($3)) = $3`, text(holder), storerow.BoolInt(owed), text(prefix))
	if err != nil {
		return 0, fmt.Errorf("release intents of %q: %w", holder, err)
	}
	return tag.RowsAffected(), nil
}
