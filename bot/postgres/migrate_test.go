package postgres

import (
	"strings"
	"sync"
	"testing"

	"github.com/sccbot/sccbot/bot/postgres/pgtest"
)

// TestPostgresMigrateConcurrently has five replicas start at once on an
// empty database: the advisory lock lets one migrate, and every one opens
// a store on the migrated schema, recorded once.
func TestPostgresMigrateConcurrently(t *testing.T) {
	url := pgtest.EmptyDatabase(t)
	const replicas = 5
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			db, err := Open(t.Context(), Options{URL: url})
			if err == nil {
				err = db.Ping(t.Context())
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	migrations, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	queryOne(t, url, `SELECT count(*) FROM schema_migrations`, &n)
	if n != len(migrations) {
		t.Errorf("schema_migrations has %d rows, want %d (each migration recorded once)", n, len(migrations))
	}
}

// TestPostgresRefusesNewerSchema checks that a database migrated by a newer
// binary is refused, not used, and left as it was.
func TestPostgresRefusesNewerSchema(t *testing.T) {
	url := pgtest.Database(t)
	execOne(t, url, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 'x')`)
	_, err := Open(t.Context(), Options{URL: url})
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open on a newer schema: %v, want a refusal", err)
	}
	var n int
	queryOne(t, url, `SELECT count(*) FROM schema_migrations WHERE version = 9999`, &n)
	if n != 1 {
		t.Errorf("the newer version's record is gone (%d rows)", n)
	}
}

// TestPostgresMigrationIsAtomic checks that a migration that fails leaves
// nothing behind: a table it would create, or its record.
func TestPostgresMigrationIsAtomic(t *testing.T) {
	url := pgtest.EmptyDatabase(t)
	// A table of the first migration already there makes it fail half way.
	execOne(t, url, `CREATE TABLE acks (x int)`)
	if _, err := Open(t.Context(), Options{URL: url}); err == nil {
		t.Fatal("Open succeeded over a conflicting table")
	}
	var n int
	queryOne(t, url, `SELECT count(*) FROM information_schema.tables WHERE table_name IN ('findings', 'schema_migrations')`, &n)
	if n != 0 {
		t.Errorf("a failed migration left %d of its tables behind", n)
	}
}

func execOne(t *testing.T, url, sql string) {
	t.Helper()
	conn := pgtest.Connect(t, url)
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryOne(t *testing.T, url, sql string, dst any) {
	t.Helper()
	conn := pgtest.Connect(t, url)
	if err := conn.QueryRow(t.Context(), sql).Scan(dst); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
