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
	// CloudSQL, if set, replaces URL: the database is on a Cloud SQL
	// instance, reached with IAM database authentication.
	CloudSQL *CloudSQL
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

	pool    *pgxpool.Pool
	closeFn func() error // the Cloud SQL connector's, if any
}

// Open connects to the database, and applies the migrations it does not
// have yet under an advisory lock, so replicas starting together cannot
// race (ctx bounds that).
func Open(ctx context.Context, opts Options) (*DB, error) {
	db := &DB{Now: opts.Now, closeFn: func() error { return nil }}
	if db.Now == nil {
		db.Now = time.Now
	}
	var dial func(context.Context, string, string) (net.Conn, error)
	if opts.CloudSQL != nil {
		var err error
		if opts.URL, dial, db.closeFn, err = cloudSQLDial(ctx, *opts.CloudSQL); err != nil {
			return nil, err
		}
	}
	cfg, err := poolConfig(opts)
	if err == nil {
		if dial != nil {
			cfg.ConnConfig.DialFunc = dial
		}
		db.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	}
	if err == nil {
		err = migrate(ctx, db.pool, db.now)
	}
	if err != nil {
		_ = db.Close() // the open error is the one to report
		return nil, fmt.Errorf("open database: %w", redact(err, opts.URL))
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
		return nil, fmt.Errorf("database URL: %w", err)
	}
	cfg.MaxConns = 10
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// libpq waits forever by default; a server that does not answer
		// must fail the start (and show on /readyz), not hang it.
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	return cfg, nil
}

// defaultConnectTimeout bounds each connection attempt unless the URL's
// connect_timeout says otherwise.
const defaultConnectTimeout = 10 * time.Second

// redact removes the URL's password (and the URL itself) from an error's
// text, whatever layer put it there.
func redact(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	secrets := []string{rawURL}
	if u, perr := url.Parse(rawURL); perr == nil {
		pw, _ := u.User.Password()
		for _, pw := range []string{pw, u.Query().Get("password")} {
			if pw != "" {
				secrets = append(secrets, pw, url.QueryEscape(pw), url.PathEscape(pw))
			}
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

// Close closes every connection of the pool, and the Cloud SQL connector.
func (db *DB) Close() error {
	if db.pool != nil {
		db.pool.Close()
	}
	if err := db.closeFn(); err != nil {
		return fmt.Errorf("close Cloud SQL connector: %w", err)
	}
	return nil
}

// Ping reports whether the store can serve queries, for readiness checks.
// After a failover or a server restart every idle connection of the pool
// is dead and fails its next query once; so when the ping fails, Ping
// drops the pool's connections and asks once more on a new one, and
// readiness follows the database rather than the stale connections.
func (db *DB) Ping(ctx context.Context) error {
	err := db.ping(ctx)
	if err != nil && ctx.Err() == nil {
		db.pool.Reset()
		err = db.ping(ctx)
	}
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

func (db *DB) ping(ctx context.Context) error {
	var one int
	return db.pool.QueryRow(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one)
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
