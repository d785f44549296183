package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrationFiles are the schema changes, applied in the order of their
// numeric prefix (0001_init.sql, 0002_...). A migration is never edited once
// released: the database records which versions it has and will not run
// one again.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// createMigrationsTable is the bookkeeping table itself; it cannot be a
// migration because it records them.
const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
) STRICT`

// migrate brings the database up to date: each missing migration runs in its
// own transaction together with the row that records it, so a migration is
// either applied and recorded or not at all. A database that has a version
// this binary does not know was migrated by a newer binary; rather than
// run against a schema it does not understand, migrate refuses.
func migrate(ctx context.Context, db *sql.DB, now func() time.Time) error {
	migrations, err := loadMigrations()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	if err := checkNotNewer(ctx, db, migrations); err != nil {
		return err
	}
	for _, m := range migrations {
		if err := applyMigration(ctx, db, m, now); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []migration
	for _, name := range names {
		m, err := readMigration(name)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// readMigration reads one embedded file; its version is the number before
// the first underscore of its name.
func readMigration(path string) (migration, error) {
	name := strings.TrimPrefix(path, "migrations/")
	prefix, _, ok := strings.Cut(name, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || version <= 0 {
		return migration{}, fmt.Errorf("migration %s: name must start with a positive version and an underscore", name)
	}
	b, err := migrationFiles.ReadFile(path)
	if err != nil {
		return migration{}, fmt.Errorf("read migration %s: %w", name, err)
	}
	return migration{version: version, name: name, sql: string(b)}, nil
}

// checkNotNewer fails if the database has a version beyond the newest
// embedded migration.
func checkNotNewer(ctx context.Context, db *sql.DB, migrations []migration) error {
	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	known := 0
	if len(migrations) > 0 {
		known = migrations[len(migrations)-1].version
	}
	if newest.Valid && int(newest.Int64) > known {
		return fmt.Errorf("database schema version %d is newer than this binary's %d; run a newer sccbot", newest.Int64, known)
	}
	return nil
}

// applyMigration runs m unless the database already has it. The check is
// inside the transaction, which holds the write lock from BEGIN (IMMEDIATE),
// so two processes opening the same new file cannot both apply it.
func applyMigration(ctx context.Context, db *sql.DB, m migration, now func() time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var applied int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&applied)
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if applied > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, formatTime(now()))
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
