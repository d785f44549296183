package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/postgres/pgtest"
	"github.com/sccbot/sccbot/bot/storetest"
)

// Conformance is asserted here, where the concrete type is known.
var (
	_ storetest.Store        = (*DB)(nil)
	_ storetest.RequestStore = (*DB)(nil)
	_ storetest.GroupStore   = (*DB)(nil)
	_ storetest.DigestStore  = (*DB)(nil)
	_ storetest.VerdictStore = (*DB)(nil)
)

// TestMain starts one PostgreSQL for the package; its template database is
// migrated once, and each test gets a copy.
func TestMain(m *testing.M) {
	pgtest.Main(m, pgtest.Options{Prepare: func(ctx context.Context, url string) error {
		db, err := Open(ctx, Options{URL: url})
		if err != nil {
			return err
		}
		return db.Close()
	}})
}

// mustOpen opens the database at url or stops the test; the caller closes
// it.
func mustOpen(tb testing.TB, url string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), Options{URL: url})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return db
}

// openReopenable opens a fresh database with the clock now (time.Now if
// nil); reopen closes the store and opens the same database again, as a
// restart (or another replica) would.
func openReopenable(t *testing.T, now func() time.Time) (*DB, func() *DB) {
	url := pgtest.Database(t)
	current := mustOpen(t, url)
	if now != nil {
		current.Now = now
	}
	t.Cleanup(func() { current.Close() })
	return current, func() *DB {
		current.Close()
		current = mustOpen(t, url)
		if now != nil {
			current.Now = now
		}
		return current
	}
}

func TestPostgresConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, func() storetest.Store) {
		db, reopen := openReopenable(t, nil)
		return db, func() storetest.Store { return reopen() }
	})
}

func TestPostgresRequests(t *testing.T) {
	storetest.RunRequests(t, func(t *testing.T) (storetest.RequestStore, func() storetest.RequestStore) {
		db, reopen := openReopenable(t, nil)
		return db, func() storetest.RequestStore { return reopen() }
	})
}

func TestPostgresGroupsAndSilences(t *testing.T) {
	storetest.RunGroups(t, func(t *testing.T) (storetest.GroupStore, func() storetest.GroupStore) {
		db, reopen := openReopenable(t, nil)
		return db, func() storetest.GroupStore { return reopen() }
	})
}

func TestPostgresDigest(t *testing.T) {
	storetest.RunDigest(t, func(t *testing.T, now func() time.Time) (storetest.DigestStore, func() storetest.DigestStore) {
		db, reopen := openReopenable(t, now)
		return db, func() storetest.DigestStore { return reopen() }
	})
}

func TestPostgresList(t *testing.T) {
	storetest.RunList(t, func(t *testing.T, now func() time.Time) storetest.ListStore {
		db, _ := openReopenable(t, now)
		return db
	})
}

func TestPostgresIntents(t *testing.T) {
	storetest.RunIntents(t, func(t *testing.T, now func() time.Time) (storetest.IntentStore, func() storetest.IntentStore) {
		db, reopen := openReopenable(t, now)
		return db, func() storetest.IntentStore { return reopen() }
	})
}

// TestPostgresVerdicts runs the verdict and deadline suite; another store
// is a second replica on the same database, with its own pool.
func TestPostgresVerdicts(t *testing.T) {
	storetest.RunVerdicts(t, func(t *testing.T, now func() time.Time) (storetest.VerdictStore, func() storetest.VerdictStore) {
		url := pgtest.Database(t)
		open := func() storetest.VerdictStore {
			db := mustOpen(t, url)
			db.Now = now
			t.Cleanup(func() { db.Close() })
			return db
		}
		return open(), open
	})
}

// TestPostgresReplicas runs the replica suite on two stores, each with its
// own pool, on one database: as two replicas would.
func TestPostgresReplicas(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T, now func() time.Time) []storetest.ReplicaStore {
		a, b := replicas(t)
		a.Now, b.Now = now, now
		return []storetest.ReplicaStore{a, b}
	})
}
