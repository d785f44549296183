// Package sqlite is sccbot's embedded store: findings, the dedupe record of
// notifications, the card posted for each finding, poller cursors and
// rejected inbound messages, in one SQLite file. It uses modernc.org/sqlite,
// a pure-Go SQLite, so the binary stays static (CGO_ENABLED=0).
//
// The store is the bot's single source of truth across restarts: whatever
// a handler needs to act on a button click or to avoid posting twice is
// reloaded from here. Every value a finding carries is attacker-controlled,
// so every statement binds its values as parameters; no SQL is ever built
// from data.
//
// Errors a caller may act on carry a bot error code: bot.ENotFound for a
// missing row, bot.EInvalid for a bad argument or an ambiguous short id,
// bot.EConflict for a message that is already another finding's card.
// Everything else is an internal error, wrapped with what was being done.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/sccbot/sccbot/bot"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// MemoryPath opens a private in-memory database, for tests. It lives as long
// as the DB and is lost on Close.
const MemoryPath = ":memory:"

// readConns is the size of the read pool. Reads (dedupe checks, button
// lookups) run in parallel with each other and with the writer thanks to
// WAL; a handful of connections covers the bot's concurrency without
// multiplying SQLite's per-connection page cache.
const readConns = 4

// DB is the store. It is safe for concurrent use by many goroutines.
//
// Concurrency design: all writes go through one connection (write has
// MaxOpenConns 1), so writers queue in Go, in order, honouring their
// contexts, and never race each other for SQLite's write lock: within the
// process SQLITE_BUSY cannot happen. Reads use a separate pool of read-only
// connections, which WAL lets run while the writer commits. busy_timeout
// covers the remaining case, another process (an operator's sqlite3 shell,
// a backup, an overlapping deploy) holding the lock for a moment. Writes
// are single autocommit statements, or transactions that start with BEGIN
// IMMEDIATE; either way the write lock is taken up front, where SQLite
// waits for it, never upgraded from a read lock, where it could fail with
// SQLITE_BUSY regardless of the timeout.
type DB struct {
	// Now returns the current time. Every timestamp the store writes
	// (first and last seen, handled, posted, updated, received) comes from
	// it, so tests can pin it. Open sets it to time.Now; set it before the
	// DB is used concurrently.
	Now func() time.Time

	write *sql.DB
	read  *sql.DB // the same pool as write for an in-memory database
	stmts statements
}

// Open opens the database at path, creating it and its parent directory if
// missing, and applies the migrations it does not have yet (ctx bounds
// that). Use MemoryPath for a private in-memory database.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, bot.Errorf(bot.EInvalid, "database path is empty")
	}
	db := &DB{Now: time.Now}
	var err error
	if path == MemoryPath {
		err = db.openMemory()
	} else {
		err = db.openFile(path)
	}
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db.write, db.now); err != nil {
		_ = db.Close() // the migration error is the one to report
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := db.stmts.prepare(ctx, db.write, db.read); err != nil {
		_ = db.Close() // the prepare error is the one to report
		return nil, err
	}
	return db, nil
}

// openMemory opens an in-memory database on a single connection: every
// connection to ":memory:" is a database of its own, so a pool of more than
// one would scatter the data. The one connection is never closed while the
// DB is open (no idle timeout or lifetime), which keeps the data alive.
func (db *DB) openMemory() error {
	w, err := sql.Open("sqlite", MemoryPath+"?"+writeParams().Encode())
	if err != nil {
		return fmt.Errorf("open in-memory database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	db.write, db.read = w, w
	return nil
}

// openFile opens the writer and the reader pools on the file at path.
func (db *DB) openFile(path string) error {
	abs, err := prepareFile(path)
	if err != nil {
		return err
	}
	w, err := sql.Open("sqlite", fileDSN(abs, writeParams()))
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	r, err := sql.Open("sqlite", fileDSN(abs, readParams()))
	if err != nil {
		_ = w.Close() // unused yet; nothing to lose
		return fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	db.write, db.read = w, r
	return nil
}

// prepareFile makes path absolute and creates the directory and the file if
// they are missing. Findings describe attacks in progress, so the directory
// and the file are private to the bot's user; SQLite gives the -wal and -shm
// files the database file's permissions.
func prepareFile(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("database path %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return "", fmt.Errorf("create database directory: %w", err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("create database file: %w", err)
	}
	return abs, nil
}

// fileDSN is a file: URI for the driver. The URI form percent-encodes the
// path, so a path containing '?' or '#' still names the right file.
func fileDSN(abs string, params url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: params.Encode()}
	return u.String()
}

// writeParams configures the writer connection. The driver runs each
// _pragma on every new connection.
func writeParams() url.Values {
	return url.Values{
		"_pragma": {
			// Wait up to 5 s for a lock held by another process instead of
			// failing at once with SQLITE_BUSY.
			"busy_timeout(5000)",
			// WAL: readers never block the writer nor the writer them, and
			// a commit is one append to the log instead of a rewrite of
			// pages plus a journal. It is a property of the file and
			// persists; an in-memory database ignores it.
			"journal_mode(WAL)",
			// In WAL mode NORMAL never corrupts the database and survives
			// a crash of the process; only a power loss or kernel crash
			// can lose the last commits (the bot might then post one card
			// again). FULL would fsync on every commit, cutting ingest
			// throughput by an order of magnitude.
			"synchronous(NORMAL)",
			// SQLite leaves foreign keys unenforced unless asked, per
			// connection; cards must point at stored findings.
			"foreign_keys(1)",
		},
		// BEGIN IMMEDIATE takes the write lock when the transaction starts,
		// where busy_timeout applies, rather than on its first write, where
		// a lock upgrade can fail with SQLITE_BUSY regardless.
		"_txlock": {"immediate"},
	}
}

// readParams configures the read-only pool.
func readParams() url.Values {
	return url.Values{
		"_pragma": {
			// Readers can meet a lock too, briefly, while a WAL
			// checkpoint or recovery runs.
			"busy_timeout(5000)",
			// A reader that tried to write would bypass the single-writer
			// design above; make that an error.
			"query_only(1)",
		},
	}
}

// Close closes the database. In WAL mode the last connection to close
// checkpoints the log into the main file.
func (db *DB) Close() error {
	errs := []error{db.stmts.close()}
	if db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Ping reports whether the store can serve reads and writes, for readiness
// checks. It waits for the writer, so a writer stuck behind a long
// transaction shows as not ready while ctx allows.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database writer: %w", err)
	}
	var one int
	if err := db.read.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping database reader: %w", err)
	}
	return nil
}

// now is the store's clock in UTC.
func (db *DB) now() time.Time { return db.Now().UTC() }

// writeTx runs fn in a write transaction and commits it if fn succeeds.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // fn's error says what went wrong
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
