package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/postgres/pgtest"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

// singletonRoles are the roles a replica may hold, the poller included
// since the test configures it.
var singletonRoles = []string{"poller", "digests", "requests", "silences", "listings", "owed", "escalation"}

// lockedBuffer is a process's stderr, read while the process writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// replicaProc is one `sccbot run` of the built binary.
type replicaProc struct {
	id     string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	ops    string // host:port of its ops endpoints
	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// wait waits for the replica to exit and returns how it did.
func (p *replicaProc) wait() error {
	<-p.exited
	return p.err
}

func startReplica(ctx context.Context, t testing.TB, cfg, id, databaseURL string, f *fakes) *replicaProc {
	t.Helper()
	p := &replicaProc{id: id, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(buildBinary(t), "run", "--config", cfg)
	p.cmd.Env = append(environ(f.env()), "SCCBOT_DATABASE_URL="+databaseURL, "SCCBOT_REPLICA_ID="+id)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.wait() })
	for p.ops == "" {
		p.ops = opsAddr(p.stderr.String())
		if p.ops != "" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("replica %s never served its ops endpoints\n%s", id, p.stderr)
		case <-p.exited:
			t.Fatalf("replica %s exited while starting (%v)\n%s", id, p.err, p.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return p
}

// opsAddr finds the ops server's address in a JSON log.
func opsAddr(logs string) string {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct {
			Message string `json:"message"`
			Addr    string `json:"addr"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "ops server listening" {
			return line.Addr
		}
	}
	return ""
}

// metric reads the samples of name from the replica's /metrics, by their
// label text (`role="poller"`).
func (p *replicaProc) metric(t *testing.T, name string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + p.ops + "/metrics")
	if err != nil {
		t.Fatalf("metrics of %s: %v", p.id, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, name+"{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err == nil {
			out[labels] = v
		}
	}
	return out
}

// holders returns, per role, the replicas that say they hold it.
func holders(t *testing.T, procs ...*replicaProc) map[string][]string {
	out := map[string][]string{}
	for _, p := range procs {
		leader := p.metric(t, "sccbot_leader")
		for _, role := range singletonRoles {
			if leader[`role="`+role+`"`] == 1 {
				out[role] = append(out[role], p.id)
			}
		}
	}
	return out
}

// waitHolders waits until every role has exactly one holder among procs,
// all of them in want when want is set, and returns them.
func waitHolders(ctx context.Context, t *testing.T, want *replicaProc, procs ...*replicaProc) map[string][]string {
	t.Helper()
	for {
		h := holders(t, procs...)
		settled := true
		for _, role := range singletonRoles {
			if len(h[role]) != 1 || want != nil && h[role][0] != want.id {
				settled = false
			}
		}
		if settled {
			return h
		}
		select {
		case <-ctx.Done():
			t.Fatalf("roles never settled: %v", h)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// wantReadyOnceReceiving waits until p's subscription has worked (its
// stream stayed open 5 s), by when every source has had longer than
// unhealthy_after to work, then expects /readyz to answer 200.
func wantReadyOnceReceiving(ctx context.Context, t *testing.T, p *replicaProc) {
	t.Helper()
	up := `source="pubsub:` + crashSubscription + `"`
	for p.metric(t, "sccbot_source_up")[up] != 1 {
		select {
		case <-ctx.Done():
			t.Fatalf("%s never received from the subscription\n%s", p.id, p.stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	resp, err := http.Get("http://" + p.ops + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Errorf("%s /readyz = %d %s, want 200", p.id, resp.StatusCode, body)
	}
}

// repCards counts the cards of this test's findings on Slack.
func repCards(f *fakes) map[string]int {
	out := map[string]int{}
	for key, n := range cardKeys(f) {
		if strings.Contains(key, "/findings/rep") {
			out[key] = n
		}
	}
	return out
}

// replicaWorld starts the fakes with the crash test's subscription (short
// ack deadline) and a database, and writes the replicas' configuration.
func replicaWorld(t *testing.T) (ctx context.Context, f *fakes, databaseURL, cfg string) {
	return replicaWorldWith(t, "")
}

// replicaWorldWith is replicaWorld with extra configuration appended.
func replicaWorldWith(t *testing.T, extra string) (ctx context.Context, f *fakes, databaseURL, cfg string) {
	ctx = crashContext(t)
	f, err := startFakes(ctx, testSubscription)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	f.slack.AddChannel("C0SECOPS00", "secops")
	if err := crashSubscriptionOn(ctx, f); err != nil {
		t.Fatal(err)
	}
	return ctx, f, pgtest.Database(t), writeReplicaConfig(t, extra)
}

func writeReplicaConfig(t *testing.T, extra string) string {
	dir := t.TempDir()
	cfg := fmt.Sprintf(`slack:
  default_channel: C0SECOPS00
  post_interval: 100ms
  post_burst: 5
grouping:
  window: 0s
sources:
  pubsub:
    subscription: %s
  poll:
    parent: organizations/123456789012/sources/-/locations/global
    interval: 10s
  unhealthy_after: 1s
store:
  driver: postgres
ops:
  listen: "127.0.0.1:0"
%s`, crashSubscription, extra)
	path := filepath.Join(dir, "sccbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReplicaE2ESingletonsMoveOnKill runs two replicas of the built binary
// on one PostgreSQL while findings arrive: every singleton role is held
// by exactly one of them, and both are ready although only one polls;
// the holder is killed with SIGKILL while it posts; the other holds every
// role within 15 s (the figure is logged), and every finding ends with
// exactly one card.
func TestReplicaE2ESingletonsMoveOnKill(t *testing.T) {
	ctx, f, url, cfg := replicaWorld(t)
	first := startReplica(ctx, t, cfg, "replica-1", url, f)
	// The first replica takes every role before the second starts, so
	// that the one killed below is the holder of all of them.
	waitHolders(ctx, t, first, first)
	second := startReplica(ctx, t, cfg, "replica-2", url, f)
	for range 5 { // a few looks while both run: one holder each time
		for role, ids := range waitHolders(ctx, t, nil, first, second) {
			if ids[0] != first.id {
				t.Errorf("role %s moved to %s while %s lived", role, ids[0], first.id)
			}
		}
	}

	// Only the first polls; the second is ready all the same (the
	// poller's health is the holder's to report), and so is the first.
	wantReadyOnceReceiving(ctx, t, second)
	wantReadyOnceReceiving(ctx, t, first)

	const total = 60
	for i := range total {
		f.publish(sccfake.WithFindingID(seed(t, sccfake.SeedGKECompiler), fmt.Sprintf("rep%029x", i)))
	}
	for len(repCards(f)) < 10 {
		select {
		case <-ctx.Done():
			t.Fatalf("10 cards never came\n%s\n%s", first.stderr, second.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = first.wait()
	waitHolders(ctx, t, second, second)
	took := time.Since(killed)
	t.Logf("every role held by %s %v after %s was killed", second.id, took.Round(time.Millisecond), first.id)
	if took >= 15*time.Second {
		t.Errorf("the takeover took %v, want under 15 s", took)
	}

	for len(repCards(f)) < total {
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d findings have a card\n%s", len(repCards(f)), total, second.stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Logf("claims taken over by %s: %v", second.id, second.metric(t, "sccbot_claim_takeovers_total"))
	stopReplica(t, second)
	oneCardEach(t, f)
}

// TestReplicaE2ECardClaimTakenOver kills a replica with a card on Slack
// whose answer it never received (its claim open), and starts another at
// once: the newcomer leaves the dead replica's claims alone while its last
// heartbeat is fresh, then takes them over (counted as card or owed
// takeovers), finds the card in the channel and does not post it again.
// Every finding ends with exactly one card.
func TestReplicaE2ECardClaimTakenOver(t *testing.T) {
	ctx, f, url, cfg := replicaWorld(t)
	const total = 40
	for i := range total {
		f.publish(sccfake.WithFindingID(seed(t, sccfake.SeedGKECompiler), fmt.Sprintf("rep%029x", i)))
	}
	first := startReplica(ctx, t, cfg, "replica-1", url, f)
	for len(repCards(f)) < 5 {
		select {
		case <-ctx.Done():
			t.Fatalf("5 cards never came\n%s", first.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	release := f.slack.HoldAnswers("chat.postMessage")
	if err := f.slack.WaitHeld(ctx, "chat.postMessage", 1); err != nil {
		t.Fatalf("no post was held: %v", err)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.wait()
	release()
	second := startReplica(ctx, t, cfg, "replica-2", url, f)
	// The held post was a card posted by the intake or by the owed
	// drainer (or a burst naming cards whose posts then wait): either way
	// a card's claim of the dead replica is open.
	for {
		taken := second.metric(t, "sccbot_claim_takeovers_total")
		if taken[`kind="card"`]+taken[`kind="owed"`] >= 1 && len(repCards(f)) >= total {
			t.Logf("%s took over claims: %v", second.id, taken)
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d findings have a card, claims taken over: %v\n%s", len(repCards(f)), total, taken, second.stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	stopReplica(t, second)
	oneCardEach(t, f)
}

// stopReplica stops p with SIGTERM and expects a clean exit.
func stopReplica(t *testing.T, p *replicaProc) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Errorf("%s exited with %v after SIGTERM\n%s", p.id, err, p.stderr)
	}
}

// oneCardEach checks that each of the test's findings has one card.
func oneCardEach(t *testing.T, f *fakes) {
	t.Helper()
	for key, n := range repCards(f) {
		if n != 1 {
			t.Errorf("%s has %d cards", key, n)
		}
	}
}
