package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/storetest"
)

// Conformance is asserted here, where the concrete type is known.
var _ storetest.Store = (*DB)(nil)

// mustOpen opens path or stops the test. The caller closes the DB.
func mustOpen(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	return db
}

// mustClose closes db or fails the test.
func mustClose(tb testing.TB, db *DB) {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Errorf("Close: %v", err)
	}
}

// openTemp opens a new database file in a temporary directory and closes
// it when the test ends.
func openTemp(tb testing.TB) (*DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "sccbot.db")
	db := mustOpen(tb, path)
	tb.Cleanup(func() { mustClose(tb, db) })
	return db, path
}

// TestStoreFile runs the conformance suite on a database file; reopen
// closes it and opens the file again, as a restart would.
func TestStoreFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, func() storetest.Store) {
		path := filepath.Join(t.TempDir(), "sccbot.db")
		current := mustOpen(t, path)
		t.Cleanup(func() { mustClose(t, current) })
		reopen := func() storetest.Store {
			mustClose(t, current)
			current = mustOpen(t, path)
			return current
		}
		return current, reopen
	})
}

// TestStoreMemory runs the conformance suite on an in-memory database. An
// in-memory database dies with its connection, so reopen returns the same
// store and the survival checks only re-read it; TestStoreFile is the one
// that proves survival.
func TestStoreMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, func() storetest.Store) {
		db := mustOpen(t, MemoryPath)
		t.Cleanup(func() { mustClose(t, db) })
		return db, func() storetest.Store { return db }
	})
}

// appliedMigration is a row of schema_migrations.
type appliedMigration struct {
	Version   int
	Name      string
	AppliedAt string
}

// applied reads schema_migrations.
func applied(t *testing.T, db *DB) []appliedMigration {
	t.Helper()
	rows, err := db.write.QueryContext(t.Context(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []appliedMigration
	for rows.Next() {
		var m appliedMigration
		if err := rows.Scan(&m.Version, &m.Name, &m.AppliedAt); err != nil {
			t.Fatalf("scan schema_migrations: %v", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return out
}

// schema returns the SQL of every table and index, by name.
func schema(t *testing.T, db *DB) map[string]string {
	t.Helper()
	rows, err := db.write.QueryContext(t.Context(), `SELECT name, coalesce(sql, '') FROM sqlite_schema`)
	if err != nil {
		t.Fatalf("read sqlite_schema: %v", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatalf("scan sqlite_schema: %v", err)
		}
		out[name] = sql
	}
	return out
}

// TestMigrationsAppliedOnce opens a file, then opens it again: the second
// Open must find every embedded migration recorded and apply none (the
// recorded rows, applied_at included, are unchanged).
func TestMigrationsAppliedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sccbot.db")
	db := mustOpen(t, path)
	first := applied(t, db)
	mustClose(t, db)

	embedded, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(embedded) {
		t.Fatalf("first Open applied %d migrations, want all %d", len(first), len(embedded))
	}
	for i, m := range embedded {
		if first[i].Version != m.version || first[i].Name != m.name {
			t.Errorf("migration %d recorded as %+v, want version %d %s", i, first[i], m.version, m.name)
		}
	}

	db = mustOpen(t, path)
	defer mustClose(t, db)
	if diff := cmp.Diff(first, applied(t, db)); diff != "" {
		t.Errorf("schema_migrations changed on reopen (-first +second):\n%s", diff)
	}
}

// TestOpenSameSchema checks that every database Open creates or reopens
// ends with the same schema and version.
func TestOpenSameSchema(t *testing.T) {
	dir := t.TempDir()
	a := mustOpen(t, filepath.Join(dir, "a.db"))
	b := mustOpen(t, filepath.Join(dir, "b.db"))
	m := mustOpen(t, MemoryPath)
	defer mustClose(t, b)
	defer mustClose(t, m)
	wantSchema, wantApplied := schema(t, a), applied(t, a)
	mustClose(t, a)
	a = mustOpen(t, filepath.Join(dir, "a.db"))
	defer mustClose(t, a)

	for _, tc := range []struct {
		name string
		db   *DB
	}{{"reopened", a}, {"second file", b}, {"memory", m}} {
		name, db := tc.name, tc.db
		if diff := cmp.Diff(wantSchema, schema(t, db)); diff != "" {
			t.Errorf("%s: schema differs (-first +%s):\n%s", name, name, diff)
		}
		got := applied(t, db)
		if len(got) != len(wantApplied) || got[len(got)-1].Version != wantApplied[len(wantApplied)-1].Version {
			t.Errorf("%s: schema versions %+v, want %+v", name, got, wantApplied)
		}
	}
	for _, table := range []string{"findings", "notifications", "cards", "cursors", "rejected", "schema_migrations"} {
		if _, ok := wantSchema[table]; !ok {
			t.Errorf("schema has no table %s", table)
		}
	}
}

// TestOpenRefusesNewerSchema: a binary must not run on a schema migrated
// by a newer one.
func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sccbot.db")
	db := mustOpen(t, path)
	_, err := db.write.ExecContext(t.Context(),
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', ?)`, formatTime(db.now()))
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, db)
	db, err = Open(t.Context(), path)
	if err == nil {
		mustClose(t, db)
		t.Fatal("Open of a database with a newer schema succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open error %q does not say the schema is newer", err)
	}
}

// TestOpenCreatesDirectory opens a path whose directories do not exist; it
// also checks that they and the file are private to the bot's user.
func TestOpenCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing", "nested")
	path := filepath.Join(dir, "sccbot.db")
	db := mustOpen(t, path)
	if err := db.PutCursor(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	mustClose(t, db)
	for _, tc := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700 | os.ModeDir}, {path, 0o600}} {
		p, want := tc.path, tc.want
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", p, err)
		}
		if got := fi.Mode() & (os.ModeDir | os.ModePerm); got != want {
			t.Errorf("mode of %s = %v, want %v", p, got, want)
		}
	}
	db = mustOpen(t, path)
	defer mustClose(t, db)
	if v, ok, err := db.Cursor(t.Context(), "k"); err != nil || !ok || v != "v" {
		t.Errorf("Cursor after reopen = %q, %v, %v", v, ok, err)
	}
}

// TestOpenOddPath opens a file whose name has URI metacharacters: the
// database must be that file, not one named by a cut-off prefix.
func TestOpenOddPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a?b#c%20 d&_pragma=query_only(1).db")
	db := mustOpen(t, path)
	defer mustClose(t, db)
	if err := db.PutCursor(t.Context(), "k", "v"); err != nil {
		t.Fatalf("PutCursor: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !strings.Contains(strings.Join(names, "\n"), filepath.Base(path)) || len(names) > 3 {
		t.Errorf("files in %s = %q, want %q and its WAL files only", dir, names, filepath.Base(path))
	}
}

// TestOpenEmptyPath: an empty path would silently open a temporary
// database that vanishes on close.
func TestOpenEmptyPath(t *testing.T) {
	_, err := Open(t.Context(), "")
	if bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("Open(\"\") = %v, want an EInvalid error", err)
	}
}

// TestTwoOpenersSameFile runs writers through two DBs on one file, as two
// processes would during an overlapping deploy: they contend for SQLite's
// file lock, and busy_timeout plus write locks taken up front must turn
// that into waiting, not SQLITE_BUSY errors.
func TestTwoOpenersSameFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sccbot.db")
	dbs := []*DB{mustOpen(t, path), mustOpen(t, path)}
	for _, db := range dbs {
		defer mustClose(t, db)
	}
	var wg sync.WaitGroup
	for i := range 40 {
		db := dbs[i%2]
		wg.Go(func() {
			f := bot.Finding{Name: fmt.Sprint("organizations/1/sources/2/findings/", i)}
			if err := db.PutFinding(t.Context(), f); err != nil {
				t.Errorf("PutFinding %d: %v", i, err)
			}
			if err := db.PutCard(t.Context(), f.Name, bot.MessageRef{Channel: "C", TS: fmt.Sprint(i)}); err != nil {
				t.Errorf("PutCard %d: %v", i, err)
			}
			if err := db.MarkNotification(t.Context(), f.Key(), "posted"); err != nil {
				t.Errorf("MarkNotification %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for i := range 40 {
		name := fmt.Sprint("organizations/1/sources/2/findings/", i)
		if ok, err := dbs[(i+1)%2].NotificationHandled(t.Context(), bot.NotificationKey{Name: name}); err != nil || !ok {
			t.Errorf("the other DB: NotificationHandled(%s) = %v, %v; want true", name, ok, err)
		}
	}
}
