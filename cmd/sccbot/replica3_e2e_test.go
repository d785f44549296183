package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot/postgres/pgtest"
)

// stormWorld is the fakes of the storm benchmark (three channels, Slack's
// per-channel post pace answered with 429 and Retry-After past it) with the
// crash test's subscription (short ack deadline, so that what a killed
// replica held comes back within seconds), a fresh database and the
// replicas' configuration: the storm's routes on PostgreSQL.
func stormWorld(t *testing.T, timeout time.Duration, extra string) (ctx context.Context, f *fakes, databaseURL, cfg string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	f, err := startStormFakes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	if err := crashSubscriptionOn(ctx, f); err != nil {
		t.Fatal(err)
	}
	cfg = fmt.Sprintf(`%ssources:
  pubsub:
    subscription: %s
    max_outstanding: 1000
  unhealthy_after: 1s
store:
  driver: postgres
ops:
  listen: "127.0.0.1:0"
log:
  level: info
%s`, stormRoutes(), crashSubscription, extra)
	path := filepath.Join(t.TempDir(), "sccbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return ctx, f, pgtest.Database(t), path
}

// startReplicas starts n replicas named replica-1 … replica-n and waits
// until each has its Socket Mode connection open.
func startReplicas(ctx context.Context, t *testing.T, n int, cfg, url string, f *fakes) []*replicaProc {
	t.Helper()
	procs := make([]*replicaProc, n)
	for i := range procs {
		procs[i] = startReplica(ctx, t, cfg, fmt.Sprintf("replica-%d", i+1), url, f)
	}
	if err := f.slack.WaitOpenConns(ctx, n); err != nil {
		t.Fatalf("%d socket connections never opened: %v", n, err)
	}
	return procs
}

// stormPayloads builds n findings of the storm's shape (three channels,
// mixed severities, crash-looping pods grouped into storms).
func stormPayloads(t *testing.T, n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 42))
	out := make([][]byte, n)
	start := time.Now()
	for i := range out {
		out[i], _ = stormFinding(t, rng, i, start.Add(time.Duration(i)*5*time.Millisecond))
	}
	return out
}

// waitShown waits until want findings are shown on Slack (each on its
// card or on a line of a listing), failing at once on one shown twice.
func waitShown(ctx context.Context, t *testing.T, f *fakes, want int, procs ...*replicaProc) {
	t.Helper()
	for {
		acc := account(f.slack.AllMessages())
		if len(acc.twice) > 0 {
			t.Fatalf("findings shown twice (card or listing): %v", acc.twice[:min(5, len(acc.twice))])
		}
		if len(acc.shown) >= want {
			return
		}
		select {
		case <-ctx.Done():
			for _, p := range procs {
				t.Logf("%s:\n%s", p.id, tail(p.stderr.String(), 3000))
			}
			t.Fatalf("%d of %d findings shown", len(acc.shown), want)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// openIntents counts the post intents left in the database: messages
// claimed or owed and not yet known to be on Slack.
func openIntents(ctx context.Context, t *testing.T, url string) int {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM post_intents`).Scan(&n); err != nil {
		t.Fatalf("count post intents: %v", err)
	}
	return n
}

// waitOutboxEmpty waits until no post intent is left in the database.
func waitOutboxEmpty(ctx context.Context, t *testing.T, url string) {
	t.Helper()
	for {
		n := openIntents(ctx, t, url)
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d post intents never ended", n)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// restartReplica stops p with SIGTERM, expecting a clean exit, and starts
// a replica with a new id in its place (a pod's replacement).
func restartReplica(ctx context.Context, t *testing.T, p *replicaProc, id, cfg, url string, f *fakes) *replicaProc {
	t.Helper()
	stopReplica(t, p)
	return startReplica(ctx, t, cfg, id, url, f)
}

// TestReplicaE2EThreeReplicasKillAndRestart runs three replicas of the
// built binary on one PostgreSQL while 2,000 findings of a storm's shape
// arrive over three channels, against a fake Slack that paces posts per
// channel with 429s: one replica is killed with SIGKILL and another
// stopped with SIGTERM and restarted while they post. Every finding is
// shown exactly once (its card or one listing line), no post reaches a
// channel inside a Retry-After, and no post intent is left.
func TestReplicaE2EThreeReplicasKillAndRestart(t *testing.T) {
	ctx, f, url, cfg := stormWorld(t, 12*time.Minute, "")
	procs := startReplicas(ctx, t, 3, cfg, url, f)
	const total = 2000
	payloads := stormPayloads(t, total, 12)
	published := make(chan struct{})
	go func() { // 2,000 over 10 s, as the storm benchmark publishes
		defer close(published)
		publishStorm(f, payloads, 10)
	}()
	waitShown(ctx, t, f, 150, procs...)
	if err := procs[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = procs[0].cmd.Wait()
	procs[1] = restartReplica(ctx, t, procs[1], "replica-2b", cfg, url, f)
	start := time.Now()
	<-published
	live := procs[1:]
	waitShown(ctx, t, f, total, live...)
	t.Logf("all %d findings shown %v after the restart", total, time.Since(start).Round(time.Second))
	waitOutboxEmpty(ctx, t, url)
	for _, p := range live {
		t.Logf("%s took over claims: %v", p.id, p.metric(t, "sccbot_claim_takeovers_total"))
	}
	for _, p := range live {
		stopReplica(t, p)
	}
	acc := account(f.slack.AllMessages())
	if len(acc.twice) > 0 || len(acc.shown) != total {
		t.Errorf("%d findings shown, want %d; shown twice: %v", len(acc.shown), total, acc.twice)
	}
	if n := f.slack.EarlyPosts(); n != 0 {
		t.Errorf("%d posts reached a channel inside a Retry-After", n)
	}
	if n := openIntents(context.Background(), t, url); n != 0 {
		t.Errorf("%d post intents left after the replicas stopped", n)
	}
	st := f.slack.Stats()
	t.Logf("%d bursts, 429s answered to posts: %d", acc.bursts, st.RateLimited["chat.postMessage"])
}
