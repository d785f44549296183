package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sccbot/sccbot/bot/postgres/pgtest"
)

// holder is one replica contending for a role in a test.
type holder struct {
	lease   *Lease
	metrics *LeaseMetrics
	started chan struct{}      // the work started
	stopped chan error         // the work's context ended, with its cause
	cancel  context.CancelFunc // stops the replica
	done    chan struct{}      // closed when Run returned
}

func startHolder(t *testing.T, db *DB, role string) *holder {
	t.Helper()
	h := &holder{metrics: NewLeaseMetrics(prometheus.NewRegistry()), started: make(chan struct{}, 10),
		stopped: make(chan error, 10), done: make(chan struct{})}
	lease := db.NewLease(LeaseOptions{Role: role, Retry: 20 * time.Millisecond, Check: 20 * time.Millisecond, Metrics: h.metrics})
	h.lease = lease
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		if err := lease.Run(ctx, func(ctx context.Context) error {
			h.started <- struct{}{}
			<-ctx.Done()
			h.stopped <- context.Cause(ctx)
			return nil
		}); err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-h.done })
	return h
}

func (h *holder) leader(role string) float64 {
	return testutil.ToFloat64(h.metrics.leader.WithLabelValues(role))
}

// waitFor fails the test if ch yields nothing in time; the limit only
// guards against a hang, the tests wait on events.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting: %s", what)
		panic("unreachable")
	}
}

// TestReplicaLeaseOneHolder has two replicas contend for a role: one runs
// the work and reports sccbot_leader 1, the other waits with 0; when the
// holder stops, the other takes over.
func TestReplicaLeaseOneHolder(t *testing.T) {
	a, b := replicas(t)
	ha := startHolder(t, a, "poller")
	waitFor(t, ha.started, "the first replica to hold the role")
	hb := startHolder(t, b, "poller")
	// b tries every 20 ms; let it fail to take the role a few times.
	for range 5 {
		var held bool
		if err := b.pool.QueryRow(t.Context(), `SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&held); err != nil || !held {
			t.Fatalf("advisory locks granted: %v, %v; want exactly one", held, err)
		}
		select {
		case <-hb.started:
			t.Fatal("a second replica started the work while the first held the role")
		case <-time.After(30 * time.Millisecond):
		}
	}
	if ha.leader("poller") != 1 || hb.leader("poller") != 0 {
		t.Errorf("sccbot_leader = %v and %v, want 1 and 0", ha.leader("poller"), hb.leader("poller"))
	}
	ha.cancel()
	waitFor(t, ha.done, "the first replica to stop")
	waitFor(t, hb.started, "the second replica to take over")
	if ha.leader("poller") != 0 || hb.leader("poller") != 1 {
		t.Errorf("after the takeover sccbot_leader = %v and %v, want 0 and 1", ha.leader("poller"), hb.leader("poller"))
	}
}

// TestReplicaLeaseLostConnection kills the holder's database session, as a
// network partition or a failover would: the server releases the lock, the
// other replica takes over, and the old holder's work is told it lost the
// role.
func TestReplicaLeaseLostConnection(t *testing.T) {
	a, b := replicas(t)
	ha := startHolder(t, a, "digests")
	waitFor(t, ha.started, "the first replica to hold the role")
	hb := startHolder(t, b, "digests")
	if _, err := b.pool.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`); err != nil {
		t.Fatal(err)
	}
	cause := waitFor(t, ha.stopped, "the old holder's work to stop")
	if cause == nil || errors.Is(cause, context.Canceled) {
		t.Errorf("the old holder's work ended with %v, want the lost connection", cause)
	}
	waitFor(t, hb.started, "the second replica to take over")
	if hb.leader("digests") != 1 {
		t.Errorf("the new holder's sccbot_leader = %v", hb.leader("digests"))
	}
}

// TestReplicaLeaseRolesIndependent checks that two roles have two locks:
// one replica may hold both.
func TestReplicaLeaseRolesIndependent(t *testing.T) {
	db := mustOpen(t, pgtest.Database(t))
	t.Cleanup(func() { db.Close() })
	waitFor(t, startHolder(t, db, "poller").started, "the poller role")
	waitFor(t, startHolder(t, db, "digests").started, "the digests role")
}

// TestReplicaLeaseWorkError checks that an error of the work ends Run with
// it, and releases the role.
func TestReplicaLeaseWorkError(t *testing.T) {
	a, b := replicas(t)
	boom := errors.New("boom")
	err := a.NewLease(LeaseOptions{Role: "expiry"}).Run(t.Context(), func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the work's error", err)
	}
	waitFor(t, startHolder(t, b, "expiry").started, "another replica to take the released role")
}

// TestReplicaLeaseTakeoverTime kills the holder as SIGKILL would, with the
// production timing (DefaultLeaseRetry, DefaultLeaseCheck): the server
// ends its session, the process never comes back, and the other replica
// must hold the role within 15 s. The figure is logged.
func TestReplicaLeaseTakeoverTime(t *testing.T) {
	a, b := replicas(t)
	run := func(db *DB) (lease *Lease, started chan time.Time, stop context.CancelFunc, done chan struct{}) {
		started, done = make(chan time.Time, 1), make(chan struct{})
		ctx, cancel := context.WithCancel(context.Background())
		lease = db.NewLease(LeaseOptions{Role: "poller"})
		go func() {
			defer close(done)
			_ = lease.Run(ctx, func(ctx context.Context) error {
				started <- time.Now()
				<-ctx.Done()
				return nil
			})
		}()
		t.Cleanup(func() { cancel(); <-done })
		return lease, started, cancel, done
	}
	_, aStarted, killA, aDone := run(a)
	waitFor(t, aStarted, "the first replica to hold the role")
	bLease, bStarted, _, _ := run(b)
	// Kill the holder just after the other's second try, so that the
	// figure is the wait for its next one: the worst case.
	for bLease.tries.Load() < 2 {
		select {
		case <-time.After(10 * time.Millisecond):
		case <-t.Context().Done():
			return
		}
	}
	var pid int32
	if err := b.pool.QueryRow(t.Context(), `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if _, err := b.pool.Exec(t.Context(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	killA() // the killed process does not try again
	<-aDone
	took := waitFor(t, bStarted, "the second replica to take over").Sub(killed)
	t.Logf("takeover %v after the holder's session ended (retry %v)", took.Round(time.Millisecond), DefaultLeaseRetry)
	if took >= 15*time.Second {
		t.Errorf("takeover took %v, want under 15 s", took)
	}
}

// TestReplicaLeaseWaiterKeepsItsConnection: a replica waiting for a role
// tries again and again on one connection rather than opening one a try;
// when that connection is cut, it opens exactly one more, at its next try.
func TestReplicaLeaseWaiterKeepsItsConnection(t *testing.T) {
	a, b := replicas(t)
	ha := startHolder(t, a, "listings")
	waitFor(t, ha.started, "the first replica to hold the role")
	hb := startHolder(t, b, "listings")
	waitTries := func(n int64) {
		for hb.lease.tries.Load() < n {
			select {
			case <-time.After(5 * time.Millisecond):
			case <-t.Context().Done():
				return
			}
		}
	}
	waitTries(5)
	if n := hb.lease.connects.Load(); n != 1 {
		t.Errorf("after %d tries the waiter opened %d connections, want 1", hb.lease.tries.Load(), n)
	}
	if _, err := a.pool.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND query LIKE 'SELECT pg_try_advisory_lock%'
AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)`); err != nil {
		t.Fatal(err)
	}
	waitTries(hb.lease.tries.Load() + 3)
	if n := hb.lease.connects.Load(); n != 2 {
		t.Errorf("after its connection was cut the waiter opened %d connections in all, want 2", n)
	}
	ha.cancel()
	waitFor(t, hb.started, "the waiter to take the role")
}
