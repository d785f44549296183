package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// leaseSpace is the first key of every lease's advisory lock (two 32-bit
// keys; the migrations' lock is a 64-bit key, a separate key space in
// PostgreSQL). "sccb" in ASCII.
const leaseSpace int32 = 0x73636362

// LeaseMetrics is sccbot_leader{role}: 1 while this replica holds the role.
// A nil *LeaseMetrics records nothing.
type LeaseMetrics struct {
	leader *prometheus.GaugeVec
}

// NewLeaseMetrics creates the gauge and registers it with reg (unless nil).
func NewLeaseMetrics(reg prometheus.Registerer) *LeaseMetrics {
	m := &LeaseMetrics{leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sccbot_leader",
		Help: "1 while this replica holds the singleton role, 0 otherwise.",
	}, []string{"role"})}
	if reg != nil {
		reg.MustRegister(m.leader)
	}
	return m
}

func (m *LeaseMetrics) set(role string, held bool) {
	if m == nil {
		return
	}
	v := 0.0
	if held {
		v = 1
	}
	m.leader.WithLabelValues(role).Set(v)
}

// Lease timing defaults; see LeaseOptions.
const (
	DefaultLeaseRetry = 3 * time.Second
	DefaultLeaseCheck = 2 * time.Second
)

// LeaseOptions configure a Lease.
type LeaseOptions struct {
	// Role names the singleton (poller, digests, ...); replicas contend for
	// the same role by the same name.
	Role string
	// Retry is how often a replica that does not hold the role tries to
	// take it (default 3 s). A holder that dies releases at once (the
	// server ends its session), so a takeover waits at most Retry after
	// the server noticed the death: at once for a killed process, within
	// the lease connection's TCP keepalives (about 11 s) for a vanished
	// node; either way within 15 s.
	Retry time.Duration
	// Check is how often the holder checks its connection (default 2 s);
	// a holder cut off from the server stops its work within twice Check
	// (or Check and a second, if longer).
	Check   time.Duration
	Metrics *LeaseMetrics
	Logger  *slog.Logger
}

// Lease runs work on at most one replica at a time: the one holding a
// session-level pg_try_advisory_lock on a connection of its own. The
// server releases the lock when that session ends, whether the replica
// exits, is killed or loses the network, so no lease outlives its holder
// and none needs renewing. It does not fence: between the server ending a
// session and the holder noticing (within Check), two replicas may both
// run the work, so the work must still make its writes single-winner in
// the database, as the store's claims are.
type Lease struct {
	db   *DB
	opts LeaseOptions
	key  int32
	held atomic.Bool
	// connects and tries count the connections opened and the tries of
	// the lock, for tests.
	connects, tries atomic.Int64
}

// Holding reports whether this replica holds the role now.
func (l *Lease) Holding() bool { return l.held.Load() }

// NewLease returns the lease of a role on db's database.
func (db *DB) NewLease(opts LeaseOptions) *Lease {
	if opts.Retry <= 0 {
		opts.Retry = DefaultLeaseRetry
	}
	if opts.Check <= 0 {
		opts.Check = DefaultLeaseCheck
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(opts.Role)) // a hash.Hash never fails to write
	return &Lease{db: db, opts: opts, key: int32(h.Sum32())}
}

// Run contends for the role until ctx ends, and runs work while it holds
// it. work's context ends when the role is lost (the connection failed)
// or ctx ends; work returning nil gives the role up for another replica to
// take, and an error from work ends Run with that error. The connection
// is kept between tries, so that a replica waiting for the role does not
// open one every Retry.
func (l *Lease) Run(ctx context.Context, work func(ctx context.Context) error) error {
	l.opts.Metrics.set(l.opts.Role, false)
	var conn *pgx.Conn
	defer func() { l.disconnect(ctx, conn) }()
	var lastErr string
	for {
		var err error
		conn, err = l.tryHold(ctx, conn, work)
		var workErr workError
		if errors.As(err, &workErr) {
			return workErr.err
		}
		if err != nil && ctx.Err() == nil && err.Error() != lastErr {
			// Logged once per distinct cause: a database that stays down
			// does not flood the log.
			l.opts.Logger.Warn("lease: cannot hold the role", "role", l.opts.Role, "err", err)
		}
		if err != nil {
			lastErr = err.Error()
		} else {
			lastErr = ""
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(l.opts.Retry):
		}
	}
}

// workError is an error of the work itself, which ends Run.
type workError struct{ err error }

func (e workError) Error() string { return e.err.Error() }

// tryHold tries the lock on conn (a new connection if conn is nil or
// fails: an idle one may have been dropped meanwhile) and, if it gets
// it, runs work until the work ends or the connection fails. It returns
// the connection to try on next time, nil if it has none.
func (l *Lease) tryHold(ctx context.Context, conn *pgx.Conn, work func(ctx context.Context) error) (*pgx.Conn, error) {
	got, err := l.tryLock(ctx, conn)
	if err != nil {
		l.disconnect(ctx, conn)
		if conn, err = l.connect(ctx); err != nil {
			return nil, err
		}
		if got, err = l.tryLock(ctx, conn); err != nil {
			l.disconnect(ctx, conn)
			return nil, err
		}
	}
	if !got {
		return conn, nil
	}
	l.opts.Logger.Info("lease: holding the role", "role", l.opts.Role)
	l.opts.Metrics.set(l.opts.Role, true)
	l.held.Store(true)
	defer func() { l.held.Store(false); l.opts.Metrics.set(l.opts.Role, false) }()
	err = l.hold(ctx, conn, work)
	var workErr workError
	if err != nil && !errors.As(err, &workErr) || conn.IsClosed() {
		l.disconnect(ctx, conn) // lost: the next try starts afresh
		return nil, err
	}
	if ctx.Err() == nil {
		// Work ended on its own: release now rather than when the
		// connection closes, so that another replica can start.
		if _, uerr := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, leaseSpace, l.key); uerr != nil {
			l.disconnect(ctx, conn) // closing the session releases it
			return nil, err
		}
	}
	return conn, err
}

// tryLock tries the role's lock on conn; a nil conn is an error.
func (l *Lease) tryLock(ctx context.Context, conn *pgx.Conn) (bool, error) {
	if conn == nil {
		return false, errors.New("no connection")
	}
	l.tries.Add(1)
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, leaseSpace, l.key).Scan(&got); err != nil {
		return false, fmt.Errorf("try the lock: %w", err)
	}
	return got, nil
}

// connect opens the lease's own connection.
func (l *Lease) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := l.db.pool.Config().ConnConfig.Copy()
	// The server releases the lock when it notices the session is gone:
	// at once when the holder's process dies (its kernel closes the
	// socket), but for a holder whose node vanished only when TCP
	// keepalives fail. These make that 5 s idle, then 3 probes 2 s apart:
	// about 11 s, so that the takeover stays within 15 s with Retry.
	// (Ignored by the server on a Unix socket, where no node can vanish.)
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["tcp_keepalives_idle"] = "5"
	cfg.RuntimeParams["tcp_keepalives_interval"] = "2"
	cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	l.connects.Add(1)
	return conn, nil
}

// disconnect closes conn (if any). Closing sends a goodbye that a
// partitioned server never reads; it does not wait for it long.
func (l *Lease) disconnect(ctx context.Context, conn *pgx.Conn) {
	if conn == nil {
		return
	}
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = conn.Close(closeCtx)
}

// hold runs work while checking the connection every Check.
func (l *Lease) hold(ctx context.Context, conn *pgx.Conn, work func(ctx context.Context) error) error {
	workCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan error, 1)
	go func() { done <- work(workCtx) }()
	tick := time.NewTicker(l.opts.Check)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil && ctx.Err() == nil {
				return workError{err}
			}
			return nil
		case <-tick.C:
			// A partitioned server may never answer: a ping that takes
			// longer than Check (a second at least, so that a busy
			// server is not taken for a lost one) counts as lost.
			pingCtx, cancelPing := context.WithTimeout(ctx, max(l.opts.Check, time.Second))
			err := conn.Ping(pingCtx)
			cancelPing()
			if err != nil && ctx.Err() == nil {
				lost := fmt.Errorf("lost the lock's connection: %w", err)
				cancel(lost)
				<-done //nolint:errcheck // the work stops before another replica's starts here
				return lost
			}
		case <-ctx.Done():
			cancel(ctx.Err())
			<-done //nolint:errcheck // the work's end, not its error: ctx ended
			return nil
		}
	}
}
