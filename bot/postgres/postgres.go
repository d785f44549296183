// Package postgres is sccbot's PostgreSQL store, for several replicas
// sharing one database (Cloud SQL for PostgreSQL in practice). It holds
// what the SQLite store holds, in the same shape, and passes the same
// conformance suite (bot/storetest); it talks to the server with
// jackc/pgx v5 through a pgxpool connection pool.
//
// The SQLite store is correct because SQLite runs one writer at a time.
// Here many connections, in several processes, write at once, so every
// write that must have a single winner is one atomic statement or holds a
// row lock:
//
//   - claims are INSERT ... ON CONFLICT DO NOTHING (a notification's mark,
//     a digest run, an acknowledgement, a group member, an open request
//     per finding and action through a partial unique index);
//   - compare-and-set is a row locked with SELECT ... FOR UPDATE and
//     re-checked (a request's state, a group's figures), or an UPDATE whose
//     WHERE names the old state, with RETURNING (a silence's expiry);
//   - upserts are INSERT ... ON CONFLICT DO UPDATE, which PostgreSQL makes
//     atomic for each row.
//
// Transactions run at READ COMMITTED: with the locks above, none of them
// needs SERIALIZABLE's retries.
//
// Every value a finding carries is attacker-controlled, so every statement
// binds its values as parameters; no SQL is ever built from data. Errors
// carry the same bot error codes as the SQLite store's.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sccbot/sccbot/internal/storerow"
)

// Options configure Open.
type Options struct {
	// URL is the libpq connection string (postgres://user:password@host/db
	// or key=value form). It may hold a password, so it is never logged
	// and never appears in an error.
	URL string
	// Dial, if set, opens every connection instead of TCP to the URL's
	// host: the Cloud SQL connector plugs in here.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// MaxConns bounds the pool (default 10). Each replica holds up to this
	// many server connections; Cloud SQL's max_connections bounds the sum.
	MaxConns int32
	// Now is the store's clock (default time.Now).
	Now func() time.Time
}

// DB is the store. It is safe for concurrent use by many goroutines, and
// by many processes on the same database.
type DB struct {
	// Now returns the current time: every timestamp the store writes comes
	// from it. Set it before the DB is used concurrently.
	Now func() time.Time

	pool *pgxpool.Pool
}

// Open connects to the database, and applies the migrations it does not
// have yet under an advisory lock, so replicas starting together cannot
// race (ctx bounds that).
func Open(ctx context.Context, opts Options) (*DB, error) {
	cfg, err := poolConfig(opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", redact(err, opts.URL))
	}
	db := &DB{Now: opts.Now, pool: pool}
	if db.Now == nil {
		db.Now = time.Now
	}
	if err := migrate(ctx, pool, db.now); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate database: %w", redact(err, opts.URL))
	}
	return db, nil
}

// poolConfig parses the URL and applies the options.
func poolConfig(opts Options) (*pgxpool.Config, error) {
	if opts.URL == "" {
		return nil, errors.New("database URL is empty")
	}
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		// pgconn quotes the URL in its error; say only what is wrong.
		return nil, fmt.Errorf("database URL: %w", redact(err, opts.URL))
	}
	cfg.MaxConns = 10
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Dial != nil {
		cfg.ConnConfig.DialFunc = opts.Dial
		// The connector speaks TLS itself, and resolves no host name.
		cfg.ConnConfig.TLSConfig = nil
		cfg.ConnConfig.LookupFunc = func(context.Context, string) ([]string, error) { return []string{"cloudsql"}, nil }
	}
	return cfg, nil
}

// redact removes the URL's password (and the URL itself) from an error's
// text, whatever layer put it there.
func redact(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	secrets := []string{rawURL}
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			secrets = append(secrets, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	for _, field := range strings.Fields(rawURL) {
		if pw, ok := strings.CutPrefix(field, "password="); ok && pw != "" {
			secrets = append(secrets, pw)
		}
	}
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg, changed = strings.ReplaceAll(msg, s, "[redacted]"), true
		}
	}
	if !changed {
		return err
	}
	return redactedError{msg: msg, cause: errors.Unwrap(err)}
}

// redactedError keeps what errors.Is needs (a context error, say) without
// the text that held a secret.
type redactedError struct {
	msg   string
	cause error
}

func (e redactedError) Error() string { return e.msg }

func (e redactedError) Is(target error) bool {
	return target == context.Canceled && errors.Is(e.cause, context.Canceled) ||
		target == context.DeadlineExceeded && errors.Is(e.cause, context.DeadlineExceeded)
}

// Close closes every connection of the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping reports whether the store can serve queries, for readiness checks.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.pool.QueryRow(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// now is the store's clock in UTC.
func (db *DB) now() time.Time { return db.Now().UTC() }

// nowText is the store's clock as stored.
func (db *DB) nowText() string { return storerow.FormatTime(db.now()) }

// tx runs fn in a READ COMMITTED transaction and commits it if fn succeeds.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{}, fn)
}

// text is s as a TEXT column holds it: valid UTF-8 without NUL bytes,
// which PostgreSQL's TEXT refuses; each NUL becomes U+FFFD.
func text(s string) string {
	return strings.ReplaceAll(storerow.ValidText(s), "\x00", "\uFFFD")
}

// bytes is s as a BYTEA column holds text that must come back exactly:
// valid UTF-8, NUL bytes included.
func bytes(s string) []byte { return []byte(storerow.ValidText(s)) }

// pgCode is the SQLSTATE of a server error, or "".
func pgCode(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

// SQLSTATEs the store acts on.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)
