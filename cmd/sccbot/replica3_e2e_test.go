package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot/postgres"
	"github.com/sccbot/sccbot/bot/postgres/pgtest"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
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
// card or on a line of a listing), failing at once on one shown twice, and
// with what the database and the replicas say when nothing more has been
// shown for stallAfter.
func waitShown(ctx context.Context, t *testing.T, f *fakes, url string, want int, procs ...*replicaProc) {
	t.Helper()
	last, progressed := -1, time.Now()
	for {
		acc := account(f.slack.AllMessages())
		if len(acc.twice) > 0 {
			for _, m := range f.slack.AllMessages() {
				if strings.Contains(string(m.Blocks)+string(m.Metadata), acc.twice[0]) {
					t.Logf("%s %s thread=%s key=%s", m.Channel, m.TS, m.ThreadTS, metadataKey(m.Metadata))
				}
			}
			t.Fatalf("findings shown twice (card or listing): %v", acc.twice[:min(5, len(acc.twice))])
		}
		if len(acc.shown) >= want {
			return
		}
		if len(acc.shown) != last {
			last, progressed = len(acc.shown), time.Now()
		}
		stalled := time.Since(progressed) > stallAfter
		if stalled || ctx.Err() != nil {
			stallReport(t, url, procs)
			t.Fatalf("%d of %d findings shown; nothing more for %v", len(acc.shown), want, time.Since(progressed).Round(time.Second))
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// stallAfter is how long waitShown waits for any progress: far beyond a
// takeover (15 s) and the pace of three channels.
const stallAfter = 2 * time.Minute

// stallReport logs what explains a stall: the post intents left and who
// holds them, the replicas' liveness, the roles each replica holds, and
// the end of each replica's log.
func stallReport(t *testing.T, url string, procs []*replicaProc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		defer conn.Close(context.Background())
		for _, q := range []string{
			`SELECT key || ' holder=' || holder || ' owed=' || owed::text || ' created=' || created_at || ' attempted=' || attempted_at FROM post_intents ORDER BY key LIMIT 40`,
			`SELECT id || ' seen=' || seen_at FROM replicas`,
		} {
			rows, err := conn.Query(ctx, q)
			if err != nil {
				t.Logf("%s: %v", q, err)
				continue
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			t.Logf("%s:\n%s (%v)", q, strings.Join(lines, "\n"), err)
		}
	}
	for _, p := range procs {
		select {
		case <-p.exited:
			t.Logf("%s exited: %v", p.id, p.err)
		default:
			t.Logf("%s holds %v", p.id, p.metric(t, "sccbot_leader"))
		}
		t.Logf("%s:\n%s", p.id, tail(p.stderr.String(), 6000))
	}
}

func openIntents(ctx context.Context, t *testing.T, url string) int {
	t.Helper()
	var n int
	queryRow(ctx, t, url, `SELECT count(*) FROM post_intents`, &n)
	return n
}

// queryRow reads one row of the test database into dest; no row leaves
// dest as it was.
func queryRow(ctx context.Context, t *testing.T, url, query string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, query).Scan(dest...); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("%s: %v", query, err)
	}
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
	waitShown(ctx, t, f, url, 150, procs...)
	if err := procs[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = procs[0].wait()
	procs[1] = restartReplica(ctx, t, procs[1], "replica-2b", cfg, url, f)
	start := time.Now()
	<-published
	live := procs[1:]
	waitShown(ctx, t, f, url, total, live...)
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
	threads := stormThreads(f.slack.AllMessages())
	for channel, n := range threads {
		if n > 1 {
			t.Errorf("%d storm threads in %s, want one however the listers moved", n, channel)
		}
	}
	st := f.slack.Stats()
	t.Logf("%d bursts, 429s answered to posts: %d; storm threads per channel: %v", acc.bursts,
		st.RateLimited["chat.postMessage"], threads)
}

// stormThreads counts the storm threads opened in each channel.
func stormThreads(msgs []slackfake.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		if !m.IsReply() && strings.HasPrefix(metadataKey(m.Metadata), "list/storm/") {
			out[m.Channel]++
		}
	}
	return out
}

// respondReplicaConfig writes the replicas' configuration for a response
// test: the in-process tests' routes and response policy, on PostgreSQL.
func respondReplicaConfig(t *testing.T) string {
	t.Helper()
	return pgReplicaConfig(t, "", `routes:
  - name: gke
    channel: C0SECOPSGKE
    match: {product: [gke]}
`+strings.Replace(respondPolicy, "%s", "", 1))
}

// pgReplicaConfig writes a configuration of replicas on PostgreSQL that
// read the test subscription and post to C0SECOPS00 one card a finding;
// slack is added to the slack section, extra at the end.
func pgReplicaConfig(tb testing.TB, slack, extra string) string {
	tb.Helper()
	cfg := fmt.Sprintf(`slack:
  default_channel: C0SECOPS00
%sgrouping:
  window: 0s
sources:
  pubsub:
    subscription: %s
store:
  driver: postgres
ops:
  listen: "127.0.0.1:0"
%s`, slack, testSubscription, extra)
	path := filepath.Join(tb.TempDir(), "sccbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// pgAudit exports the audit log of the database as `sccbot audit` does and
// returns the finding's events as "event actor action".
func pgAudit(ctx context.Context, t *testing.T, url, finding string) []string {
	t.Helper()
	db, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, l := range auditLines(ctx, t, db) {
		if l.Finding == finding {
			out = append(out, l.Event+" "+l.Actor+" "+l.Action)
		}
	}
	return out
}

// envelopeConns returns the connection that carried each attempt of the
// envelope with this id, in order.
func envelopeConns(f *fakes, id string) []int {
	var out []int
	for _, e := range f.slack.Envelopes() {
		if e.ID == id {
			out = append(out, e.Conn)
		}
	}
	return out
}

// TestReplicaE2EApproveRace runs three replicas, each with its own Socket
// Mode connection to the one app. A containment request is approved by
// two approvers at the same moment, their clicks carried by two different
// connections, and one click is redelivered on a third: the pod is
// isolated once (one NetworkPolicy created) and the audit trail has one
// approval. Then 100 clicks spread over the three connections are all
// acked and all answered.
func TestReplicaE2EApproveRace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h := &respondHarness{harness: newHarness(t)}
	f := h.fakes
	const carol = "U0CAROL"
	f.slack.SetUserGroup("S0RESPOND", alice)
	f.slack.SetUserGroup("S0LEADS", alice, bob, carol)
	f.slack.AddUser(bob, "bob@example.com", "bob")
	f.slack.AddUser(mallory, "mallory@example.com", "mallory")
	url, cfg := pgtest.Database(t), respondReplicaConfig(t)
	procs := startReplicas(ctx, t, 3, cfg, url, f)

	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	req := h.contain(card, "isolate_pod", alice, "compiler running in production")
	var ids [2]string
	for i, user := range []string{bob, carol} {
		p := f.slack.BlockActionPayload(slackfake.BlockAction{UserID: user, Channel: req.Channel, MessageTS: req.TS, ActionID: "approval.approve"})
		id, err := f.slack.Send(ctx, "interactive", p)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	if err := f.slack.Resend(ctx, ids[0], "timeout"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := f.slack.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	first, second := envelopeConns(f, ids[0]), envelopeConns(f, ids[1])
	if len(first) != 2 || len(second) != 1 || first[0] == second[0] || first[0] == first[1] {
		t.Errorf("connections of bob's click (then its redelivery) %v and carol's %v: want two different, the redelivery on another", first, second)
	}
	h.edited(req, "✅")
	name := findingName(t, sccfake.SeedGKECompiler)
	h.waitMark(name, "done")
	var policies int
	for _, w := range kubeWrites(h) {
		if w == "POST "+policyPath {
			policies++
		}
	}
	if policies != 1 {
		t.Errorf("%d NetworkPolicies created, want 1: %v", policies, kubeWrites(h))
	}
	var approvals []string
	trail := pgAudit(ctx, t, url, name)
	for _, ev := range trail {
		if strings.HasPrefix(ev, "approved ") {
			approvals = append(approvals, ev)
		}
	}
	if len(approvals) != 1 {
		t.Errorf("audit trail has %d approvals, want 1:\n%s", len(approvals), strings.Join(trail, "\n"))
	}

	hundredClicks(ctx, t, f, req, procs)
}

// hundredClicks sends 100 Approve clicks on the finished request, from
// four people, over the open connections in turn: every one is acked, and
// every one is answered to its clicker.
func hundredClicks(ctx context.Context, t *testing.T, f *fakes, req slackfake.Message, procs []*replicaProc) {
	t.Helper()
	users := []string{bob, "U0CAROL", mallory, "U0DANA"}
	before := map[string]int{}
	for _, u := range users {
		before[u] = len(f.slack.Ephemerals(req.Channel, u))
	}
	const clicks = 100
	ids := make([]string, clicks)
	for i := range ids {
		p := f.slack.BlockActionPayload(slackfake.BlockAction{UserID: users[i%len(users)], Channel: req.Channel, MessageTS: req.TS, ActionID: "approval.approve"})
		id, err := f.slack.Send(ctx, "interactive", p)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	perConn := map[int]int{}
	for _, id := range ids {
		if _, err := f.slack.WaitAck(ctx, id); err != nil {
			t.Fatalf("click %s never acked: %v", id, err)
		}
		perConn[envelopeConns(f, id)[0]]++
	}
	if len(perConn) != len(procs) {
		t.Errorf("clicks per connection %v, want spread over %d", perConn, len(procs))
	}
	for _, u := range users {
		want := before[u] + clicks/len(users)
		if _, err := f.slack.WaitEphemerals(ctx, req.Channel, u, want); err != nil {
			t.Errorf("%s was answered %d times, want %d: %v", u, len(f.slack.Ephemerals(req.Channel, u)), want, err)
		}
	}
	t.Logf("100 clicks acked and answered, per connection: %v", perConn)
}

// minutelyDigest is a digest schedule due at every minute, so that a run
// falls due while the singletons' holder is dead.
const minutelyDigest = `digests:
  schedules:
    - name: minutely
      channel: C0SECOPS00
      cron: "* * * * *"
`

// pollCursor reads the poller's stored cursor from the database.
func pollCursor(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	var v string
	queryRow(ctx, t, url, `SELECT convert_from(value, 'UTF8') FROM cursors WHERE key LIKE 'poll:%'`, &v)
	return v
}

// digestPosts counts the messages on Slack of each digest run, by key.
func digestPosts(f *fakes) map[string]int {
	return keysWith(f, "digest/")
}

// listFilters are the filters of the SCC fake's ListFindings requests.
func listFilters(f *fakes) []string {
	var out []string
	for _, r := range f.scc.Requests("ListFindings") {
		out = append(out, r.(*securitycenterpb.ListFindingsRequest).GetFilter())
	}
	return out
}

// TestReplicaE2ESingletonHolderKilled kills, with SIGKILL, the replica of
// three that holds every singleton, a second before a digest run falls
// due. Another holds every role within 15 s (the figure is logged); the
// run due meanwhile is posted once; the new poller's first ListFindings
// starts at the cursor the dead one stored.
func TestReplicaE2ESingletonHolderKilled(t *testing.T) {
	ctx, f, url, cfg := replicaWorldWith(t, minutelyDigest)
	latest := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	for i := range 5 {
		raw := sccfake.WithFindingID(seed(t, sccfake.SeedGKECompiler), fmt.Sprintf("rep%029x", i))
		if err := f.scc.AddNotification(sccfake.WithEventTime(raw, latest.Add(time.Duration(i-4)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	first := startReplica(ctx, t, cfg, "replica-1", url, f)
	waitHolders(ctx, t, first, first)
	others := []*replicaProc{startReplica(ctx, t, cfg, "replica-2", url, f), startReplica(ctx, t, cfg, "replica-3", url, f)}
	var cursor string
	for cursor != latest.Format(time.RFC3339Nano) || len(repCards(f)) < 5 {
		select {
		case <-ctx.Done():
			t.Fatalf("the poller's cursor is %q, want %s; %d of 5 cards\n%s", cursor, latest.Format(time.RFC3339Nano), len(repCards(f)), first.stderr)
		case <-time.After(100 * time.Millisecond):
		}
		cursor = pollCursor(ctx, t, url)
	}

	// The kill comes a second before a minute starts (and a run is due),
	// at least 3 s from now.
	due := time.Now().Add(4 * time.Second).Truncate(time.Minute).Add(time.Minute)
	select {
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	case <-time.After(time.Until(due.Add(-time.Second))):
	}
	lists := len(listFilters(f))
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = first.wait()
	held := waitHolders(ctx, t, nil, others...)
	took := time.Since(killed)
	t.Logf("every role held (%v) %v after %s was killed; the run was due %v after the kill",
		held, took.Round(time.Millisecond), first.id, due.Sub(killed).Round(time.Millisecond))
	if took >= 15*time.Second {
		t.Errorf("the takeover took %v, want under 15 s", took)
	}

	for len(listFilters(f)) <= lists {
		select {
		case <-ctx.Done():
			t.Fatalf("no poll after the takeover")
		case <-time.After(100 * time.Millisecond):
		}
	}
	if resumed := listFilters(f)[lists]; !strings.Contains(resumed, cursor) {
		t.Errorf("the first poll after the takeover filters %q, want it from the stored cursor %s", resumed, cursor)
	}

	key := "digest/minutely/" + due.UTC().Format(time.RFC3339Nano)
	for digestPosts(f)[key] == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("the run due at %v was never posted: %v", due, digestPosts(f))
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, p := range others {
		stopReplica(t, p)
	}
	for k, n := range digestPosts(f) {
		if n != 1 {
			t.Errorf("digest run %s posted %d times", k, n)
		}
	}
	oneCardEach(t, f)
}

// waitServing waits until p serves: its subscription has stayed open
// (and /readyz answers 200) and the app has n Socket Mode connections.
func waitServing(ctx context.Context, t *testing.T, f *fakes, p *replicaProc, n int) {
	t.Helper()
	wantReadyOnceReceiving(ctx, t, p)
	if err := f.slack.WaitOpenConns(ctx, n); err != nil {
		t.Fatalf("after %s started: %v", p.id, err)
	}
}

// publishSteadily publishes a finding every 50 ms (20/s) until stop is
// closed and returns how many it published.
func publishSteadily(t *testing.T, f *fakes, stop <-chan struct{}) int {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-stop:
			return n
		case <-tick.C:
		}
		f.publish(sccfake.WithFindingID(seed(t, sccfake.SeedGKECompiler), fmt.Sprintf("rep%029x", n)))
	}
}

// TestReplicaE2ERollingRestart publishes findings at 20/s while each of
// three replicas in turn is stopped with SIGTERM and replaced, the next
// one only once its replacement is ready: every finding gets exactly one
// card, and no post intent is left.
func TestReplicaE2ERollingRestart(t *testing.T) {
	ctx, f, url, cfg := replicaWorld(t)
	procs := startReplicas(ctx, t, 3, cfg, url, f)
	for _, p := range procs {
		waitServing(ctx, t, f, p, len(procs))
	}
	stop := make(chan struct{})
	published := make(chan int, 1)
	go func() { published <- publishSteadily(t, f, stop) }()
	for i, p := range procs {
		procs[i] = restartReplica(ctx, t, p, p.id+"b", cfg, url, f)
		waitServing(ctx, t, f, procs[i], len(procs))
	}
	close(stop)
	total := <-published
	for len(repCards(f)) < total {
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d findings have a card", len(repCards(f)), total)
		case <-time.After(100 * time.Millisecond):
		}
	}
	waitOutboxEmpty(ctx, t, url)
	for _, p := range procs {
		stopReplica(t, p)
	}
	oneCardEach(t, f)
	if n := len(repCards(f)); n != total {
		t.Errorf("%d findings have a card, want %d", n, total)
	}
	t.Logf("%d findings published at 20/s through the rolling restart, one card each", total)
}
