package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// The digest scenario: findings around the period [digestFrom, digestTo),
// the day before it, the week before it and beyond, with acks, requests
// and silenced notifications, each placed to test one rule. The expected
// figures below are worked out by hand from this table.

const (
	dgExec     = "Execution: Added Binary Executed"
	dgMiner    = "Malware: Cryptomining Bad IP"
	dgCompiler = "Defense Evasion: Launch Code Compiler Tool In Container"
	dgPersist  = "Persistence: Modify Authentication Process"
	dgSandbox  = "sandbox " + sqlInjection
)

var (
	digestFrom = digestTo.Add(-24 * time.Hour)
	digestPrev = digestFrom.Add(-24 * time.Hour)
)

// dgSeed is a finding of the scenario: when the store first saw it
// (relative to digestTo), its state, whether it has a card, and the
// outcome its notification was marked with.
type dgSeed struct {
	id, cat, project string
	sev              bot.Severity
	seen             time.Duration
	state, mute      string
	card             bool
	outcome          string
}

func dgSeeds() []dgSeed {
	const h, d = time.Hour, 24 * time.Hour
	return []dgSeed{
		{id: "c0", sev: bot.SeverityLow, cat: dgMiner, project: "prod-a", seen: -d, card: true}, // at from: in
		{id: "c1", sev: bot.SeverityCritical, cat: dgExec, project: "prod-a", seen: -20*h + 900*time.Millisecond, card: true},
		{id: "c2", sev: bot.SeverityHigh, cat: dgExec, project: "prod-a", seen: -18*h + 123456789, card: true},
		{id: "c3", sev: bot.SeverityHigh, cat: dgCompiler, project: "prod-b", seen: -10 * h, card: true},
		{id: "c4", sev: bot.SeverityMedium, cat: dgMiner, project: "prod-b", seen: -5 * h, card: true},
		{id: "c5", sev: bot.SeverityLow, cat: dgMiner, project: "prod-c", seen: -2 * h, card: true, state: "INACTIVE"},
		{id: "c6", sev: bot.SeverityHigh, cat: dgExec, project: dgSandbox, seen: -h, outcome: "silenced"},
		{id: "c7", sev: bot.SeverityHigh, cat: dgExec, project: "prod-c", seen: -30 * time.Minute, card: true, mute: "MUTED"},
		{id: "n1", sev: bot.SeverityHigh, cat: dgExec, project: "prod-a", seen: 0, card: true}, // at to: out
		{id: "p1", sev: bot.SeverityHigh, cat: dgExec, project: "prod-a", seen: -27 * h, card: true},
		{id: "p2", sev: bot.SeverityMedium, cat: dgMiner, project: "prod-b", seen: -36 * h, card: true},
		{id: "p3", sev: bot.SeverityLow, cat: dgPersist, project: "prod-c", seen: -44 * h, card: true},
		{id: "o1", sev: bot.SeverityCritical, cat: dgExec, project: "prod-a", seen: -4*d - h, card: true},
		{id: "o2", sev: bot.SeverityHigh, cat: dgCompiler, project: "prod-b", seen: -6*d - 2*h, card: true, state: "INACTIVE"},
		{id: "o3", sev: bot.SeverityCritical, cat: dgExec, project: "prod-a", seen: -8 * d, card: true},
	}
}

// dgAcks: finding id → time after it was first seen.
func dgAcks() map[string]time.Duration {
	return map[string]time.Duration{"c0": 30*time.Minute + 1, "c1": 10 * time.Minute, "c2": 20 * time.Minute,
		"p1": 5 * time.Minute, "n1": 5 * time.Minute}
}

// dgRequest is a request of the scenario, finished at a time after its
// finding was first seen (or, with abs, relative to digestTo).
type dgRequest struct {
	id, finding, action, by, decider string
	state                            bot.RequestState
	after                            time.Duration
	abs                              bool
	dryRun                           bool
}

func dgRequests() []dgRequest {
	const m, h = time.Minute, time.Hour
	return []dgRequest{
		{"r1", "c1", bot.ActionIsolatePod, "U1", "U3", bot.RequestDone, 30 * m, false, false},
		{"r2", "c3", bot.ActionCloudRunRollback, "U2", "U3", bot.RequestDone, 50 * m, false, false},
		{"r3", "c1", bot.ActionDeletePod, "U1", "sccbot", bot.RequestDone, 2 * h, false, false}, // c1's second
		{"r4", "c2", bot.ActionPageOwner, "U2", "sccbot", bot.RequestDone, 40 * m, false, false},
		{"r5", "c4", bot.ActionMute, "U1", "U3", bot.RequestFailed, 10 * m, false, false},
		{"r6", "c5", bot.ActionResolve, "U1", "sccbot", bot.RequestDone, 10 * m, false, false},
		{"r7", "c4", bot.ActionIsolatePod, "U2", "sccbot", bot.RequestDone, 15 * m, false, true},
		{"r8", "p1", bot.ActionCordonNode, "U1", "U3", bot.RequestDone, -25 * h, true, false}, // before from
		{"r9", "o1", bot.ActionCordonNode, "U1", "U3", bot.RequestDone, h, true, false},       // after to
		{"r10", "p2", bot.ActionIsolatePod, "U2", "U1", bot.RequestDone, -23 * h, true, false},
		{"r11", "c0", bot.ActionIsolatePod, "U1", "U3", bot.RequestDone, 3 * h, false, false},
	}
}

// dgContainment are the containment actions.
var dgContainment = []string{bot.ActionIsolatePod, bot.ActionDeletePod, bot.ActionCordonNode,
	bot.ActionCloudRunRollback, bot.ActionCloudRunCancelExecution}

func seedDigest(t *testing.T, s DigestStore, clk *clock) {
	t.Helper()
	ctx := context.Background()
	seen := map[string]time.Time{}
	for _, sd := range dgSeeds() {
		at := digestTo.Add(sd.seen)
		seen[sd.id] = at
		clk.set(at)
		f := dgFinding(sd.id, sd.sev, sd.cat, sd.project)
		f.State, f.Mute = orDefault(sd.state, "ACTIVE"), sd.mute
		must(t, "put "+sd.id, s.PutFinding(ctx, f))
		must(t, "mark "+sd.id, s.MarkNotification(ctx, f.Key(), orDefault(sd.outcome, "posted")))
		if sd.card {
			must(t, "card "+sd.id, s.PutCard(ctx, f.Name, bot.MessageRef{Channel: "C1", TS: "1700000000." + sd.id}))
		}
	}
	seedSilenced(t, s, clk, seen["c6"])
	for id, after := range dgAcks() {
		clk.set(seen[id].Add(after))
		_, _, _, err := s.Ack(ctx, findingName("dg-"+id), "U-"+id)
		must(t, "ack "+id, err)
	}
	for _, r := range dgRequests() {
		done := seen[r.finding].Add(r.after)
		if r.abs {
			done = digestTo.Add(r.after)
		}
		seedRequest(t, s, r, done)
	}
}

// seedSilenced adds a second silenced notification of c6 (one finding,
// counted once) and one before the period.
func seedSilenced(t *testing.T, s DigestStore, clk *clock, c6 time.Time) {
	ctx := context.Background()
	clk.set(c6.Add(10 * time.Minute))
	must(t, "mark c6 again", s.MarkNotification(ctx, bot.NotificationKey{Name: findingName("dg-c6"), EventTime: c6}, "silenced"))
	clk.set(digestFrom.Add(-time.Hour))
	must(t, "mark before", s.MarkNotification(ctx, bot.NotificationKey{Name: findingName("dg-x"), EventTime: c6}, "silenced"))
}

func seedRequest(t *testing.T, s DigestStore, r dgRequest, done time.Time) {
	t.Helper()
	ctx := context.Background()
	_, created, err := s.CreateRequest(ctx, bot.ActionRequest{ID: r.id, Finding: findingName("dg-" + r.finding),
		Action: r.action, Reason: "digest", DryRun: r.dryRun, RequestedBy: r.by, RequestedAt: done.Add(-10 * time.Minute),
		ExpiresAt: done.Add(time.Hour), State: bot.RequestPending})
	if err != nil || !created {
		t.Fatalf("create %s: %v, created %v", r.id, err, created)
	}
	_, ok, err := s.TransitionRequest(ctx, r.id, []bot.RequestState{bot.RequestPending}, bot.RequestRunning,
		func(q *bot.ActionRequest) { q.DecidedBy, q.DecidedAt = r.decider, done.Add(-5*time.Minute) })
	if err != nil || !ok {
		t.Fatalf("start %s: %v, %v", r.id, ok, err)
	}
	_, ok, err = s.TransitionRequest(ctx, r.id, []bot.RequestState{bot.RequestRunning}, r.state,
		func(q *bot.ActionRequest) { q.FinishedAt = done })
	if err != nil || !ok {
		t.Fatalf("finish %s: %v, %v", r.id, ok, err)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

type dgCount = struct {
	Key      string
	Count    int
	Previous int
}

func testDigestFigures(t *testing.T, open DigestOpenFunc) {
	clk := &clock{t: digestTo}
	s, reopen := open(t, clk.now)
	seedDigest(t, s, clk)
	s = reopen()
	ctx := context.Background()
	day := 24 * time.Hour

	totals, err := s.CountFindings(ctx, []time.Time{digestPrev, digestFrom, digestTo})
	wantFigure(t, "totals", totals, []int{3, 8}, err)
	var bounds []time.Time
	for i := 7; i >= 0; i-- {
		bounds = append(bounds, digestTo.Add(-time.Duration(i)*day))
	}
	daily, err := s.CountFindings(ctx, bounds)
	wantFigure(t, "daily", daily, []int{1, 0, 1, 0, 0, 3, 8}, err)

	checkGroups(t, s, "severity", 10, []dgCount{{"HIGH", 4, 1}, {"LOW", 2, 1}, {"MEDIUM", 1, 1}, {"CRITICAL", 1, 0}}, 4)
	checkGroups(t, s, "category", 2, []dgCount{{dgExec, 4, 1}, {dgMiner, 3, 1}}, 3)
	checkGroups(t, s, "category", 10, []dgCount{{dgExec, 4, 1}, {dgMiner, 3, 1}, {dgCompiler, 1, 0}, {dgPersist, 0, 1}}, 3)
	checkGroups(t, s, "project", 10, []dgCount{{"prod-a", 3, 1}, {"prod-b", 2, 1}, {"prod-c", 2, 1}, {dgSandbox, 1, 0}}, 4)

	checkUnacked(t, s, 3, []string{"o1", "c3", "c4"}, 5)
	checkUnacked(t, s, 10, []string{"o1", "c3", "c4", "p2", "p3"}, 5)
	checkActions(t, s)
	checkMeans(t, s)

	silenced, err := s.FindingsWithOutcome(ctx, "silenced", digestFrom, digestTo)
	wantFigure(t, "silenced", silenced, 1, err)
	posted, err := s.FindingsWithOutcome(ctx, "posted", digestFrom, digestTo)
	wantFigure(t, "posted", posted, 7, err)
}

func wantFigure[T any](t *testing.T, what string, got, want T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func checkGroups(t *testing.T, s DigestStore, by string, limit int, want []dgCount, wantGroups int) {
	t.Helper()
	top, groups, err := s.FindingGroups(context.Background(), by, digestPrev, digestFrom, digestTo, limit)
	wantFigure(t, "groups by "+by, top, want, err)
	if groups != wantGroups {
		t.Errorf("groups by %s: %d groups, want %d", by, groups, wantGroups)
	}
}

func checkUnacked(t *testing.T, s DigestStore, limit int, want []string, wantTotal int) {
	t.Helper()
	fs, total, err := s.UnacknowledgedFindings(context.Background(), digestTo.Add(-7*24*time.Hour), digestTo, limit)
	var got []string
	for _, f := range fs {
		got = append(got, f.ShortID()[len("dg-"):])
	}
	wantFigure(t, "unacknowledged", got, want, err)
	if total != wantTotal {
		t.Errorf("unacknowledged: total %d, want %d", total, wantTotal)
	}
}

func checkActions(t *testing.T, s DigestStore) {
	t.Helper()
	type row = struct {
		Action      string
		RequestedBy string
		DecidedBy   string
		Count       int
	}
	got, err := s.ActionCounts(context.Background(), digestFrom, digestTo)
	wantFigure(t, "actions", got, []row{
		{bot.ActionCloudRunRollback, "U2", "U3", 1},
		{bot.ActionDeletePod, "U1", "sccbot", 1},
		{bot.ActionIsolatePod, "U1", "U3", 2},
		{bot.ActionIsolatePod, "U2", "U1", 1},
		{bot.ActionPageOwner, "U2", "sccbot", 1},
		{bot.ActionResolve, "U1", "sccbot", 1},
	}, err)
}

func checkMeans(t *testing.T, s DigestStore) {
	t.Helper()
	ctx := context.Background()
	// c0 30m+1ns, c1 10m, c2 20m: 60m+1ns over 3, rounded down.
	n, mean, err := s.MeanTimeToAck(ctx, digestFrom, digestTo)
	wantFigure(t, "acks", n, 3, err)
	wantFigure(t, "mean time to acknowledge", mean, 20*time.Minute, err)
	// First containments in the period: c1 30m (not its delete at 2h),
	// c3 50m, p2 13h, c0 3h; the dry run, the failure and the ones outside
	// the period do not count.
	n, mean, err = s.MeanTimeToContain(ctx, dgContainment, digestFrom, digestTo)
	wantFigure(t, "containments", n, 4, err)
	wantFigure(t, "mean time to contain", mean, 4*time.Hour+20*time.Minute, err)
}

func testDigestFigureErrors(t *testing.T, open DigestOpenFunc) {
	clk := &clock{t: digestTo}
	s, _ := open(t, clk.now)
	ctx := context.Background()
	_, err := s.CountFindings(ctx, []time.Time{digestTo})
	wantCode(t, "CountFindings with one bound", err, bot.EInvalid)
	_, err = s.CountFindings(ctx, []time.Time{digestTo, digestFrom})
	wantCode(t, "CountFindings with bounds out of order", err, bot.EInvalid)
	_, _, err = s.FindingGroups(ctx, "name", digestPrev, digestFrom, digestTo, 5)
	wantCode(t, "FindingGroups by name", err, bot.EInvalid)
	_, _, err = s.FindingGroups(ctx, "category", digestPrev, digestFrom, digestTo, 0)
	wantCode(t, "FindingGroups with no limit", err, bot.EInvalid)
	_, _, err = s.FindingGroups(ctx, "category", digestFrom, digestPrev, digestTo, 5)
	wantCode(t, "FindingGroups with periods out of order", err, bot.EInvalid)
	_, _, err = s.UnacknowledgedFindings(ctx, digestTo, digestFrom, 5)
	wantCode(t, "UnacknowledgedFindings backwards", err, bot.EInvalid)

	counts, err := s.CountFindings(ctx, []time.Time{digestFrom, digestTo})
	wantFigure(t, "count of an empty store", counts, []int{0}, err)
	n, mean, err := s.MeanTimeToAck(ctx, digestFrom, digestTo)
	wantFigure(t, "acks of an empty store", [2]int64{int64(n), int64(mean)}, [2]int64{}, err)
	top, groups, err := s.FindingGroups(ctx, "project", digestPrev, digestFrom, digestTo, 5)
	wantFigure(t, "groups of an empty store", len(top)+groups, 0, err)
}
