package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sccbot/sccbot/internal/storerow"
)

// Migrations are hand-written SQL files run by the small runner below, the
// same runner as the SQLite store's, rather than a library such as
// pressly/goose. The SQLite databases users already have record their
// schema in schema_migrations (version, name, applied_at); goose keeps its
// own goose_db_version table with other semantics, so adopting it would
// mean converting every existing file on upgrade, for a runner that is a
// hundred lines. Both engines keep the same rules: each migration is
// applied once, recorded with its version, and a database migrated by a
// newer binary is refused rather than run against a schema this binary
// does not know.
//
// PostgreSQL adds replicas: every migration runs in one transaction that
// first takes a transaction-level advisory lock, so replicas starting
// together queue on the lock, and each finds the work done by the first.
// DDL is transactional in PostgreSQL, so a failed migration leaves
// nothing behind.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLock is the advisory lock key of migrations ("sccbot" in ASCII).
const migrateLock int64 = 0x736363626f74

type migration struct {
	version int
	name    string
	sql     string
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

// migrate brings the database up to date, all or nothing.
func migrate(ctx context.Context, pool *pgxpool.Pool, now func() time.Time) error {
	migrations, err := loadMigrations()
	if err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		if err := checkNotNewer(applied, migrations); err != nil {
			return err
		}
		for _, m := range migrations {
			if slices.Contains(applied, m.version) {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, storerow.FormatTime(now())); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

func appliedVersions(ctx context.Context, tx pgx.Tx) ([]int, error) {
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return versions, nil
}

// checkNotNewer fails if the database has a version beyond the newest
// embedded migration.
func checkNotNewer(applied []int, migrations []migration) error {
	known := 0
	if len(migrations) > 0 {
		known = migrations[len(migrations)-1].version
	}
	if len(applied) > 0 && applied[len(applied)-1] > known {
		return fmt.Errorf("database schema version %d is newer than this binary's %d; run a newer sccbot",
			applied[len(applied)-1], known)
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
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		prefix, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and an underscore", name)
		}
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, migration{version: version, name: name, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}
