package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
)

// cardSpace is the first key of the card locks' advisory locks, apart
// from the leases' ("sccc" in ASCII).
const cardSpace int32 = 0x73636363

// WithCardLock runs fn while this replica holds the card's lock: replicas
// that refresh the same card take turns, and each renders the card from
// the store inside its turn, so the last write is always of the latest
// state and no two replicas write one card with different contents at
// once. The lock is a session advisory lock on a pooled connection, held
// for fn only (a chat.update, about a second); a replica that dies
// releases it with its session.
func (db *DB) WithCardLock(ctx context.Context, key string, fn func(context.Context) error) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("lock card %s: %w", key, err)
	}
	defer conn.Release()
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	k := int32(h.Sum32())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, cardSpace, k); err != nil {
		return fmt.Errorf("lock card %s: %w", key, err)
	}
	defer func() {
		// Unlock even if ctx ended: the connection goes back to the pool.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, cardSpace, k); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx)) //nolint:errcheck // closing the session releases its locks
		}
	}()
	return fn(ctx)
}
