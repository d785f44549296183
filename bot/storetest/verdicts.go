package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sccbot/sccbot/bot"
)

// VerdictStore is what verdicts and acknowledgement deadlines need from a
// store.
type VerdictStore interface {
	PutFinding(ctx context.Context, f bot.Finding) error
	PutCard(ctx context.Context, findingName string, ref bot.MessageRef) error
	Ack(ctx context.Context, findingName, user string) (by string, at time.Time, first bool, err error)
	ListFindings(ctx context.Context, q bot.FindingQuery) ([]bot.Finding, int, error)

	// SetVerdict records a verdict; the latest (by its time) wins.
	SetVerdict(ctx context.Context, r bot.VerdictRecord) error
	// VerdictOf returns the finding's latest verdict, if any.
	VerdictOf(ctx context.Context, finding string) (bot.VerdictRecord, bool, error)
	// VerdictCounts counts verdicts set in [since, until) by category,
	// project and verdict, in that order.
	VerdictCounts(ctx context.Context, since, until time.Time) ([]bot.VerdictCount, error)
	// ClaimDeadline claims a stage for a finding; exactly one caller wins.
	ClaimDeadline(ctx context.Context, finding string, stage bot.DeadlineStage, at time.Time) (bool, error)
	// DeadlineEvents returns the claims made in [since, until).
	DeadlineEvents(ctx context.Context, since, until time.Time) ([]bot.DeadlineEvent, error)
	// PendingAcks returns the unacknowledged cards posted after a time.
	PendingAcks(ctx context.Context, postedAfter time.Time) ([]bot.PendingAck, error)
}

// VerdictOpenFunc opens an empty store whose clock is now. another opens
// one more store on the same data, as a restart or a second replica
// would (its own connections); the cleanup closes every store opened.
type VerdictOpenFunc = func(t *testing.T, now func() time.Time) (s VerdictStore, another func() VerdictStore)

// RunVerdicts runs the conformance tests of verdicts and deadlines.
func RunVerdicts(t *testing.T, open VerdictOpenFunc) {
	t.Run("VerdictLatestWins", func(t *testing.T) { testVerdictLatestWins(t, open) })
	t.Run("VerdictErrors", func(t *testing.T) { testVerdictErrors(t, open) })
	t.Run("VerdictCounts", func(t *testing.T) { testVerdictCounts(t, open) })
	t.Run("ListByVerdict", func(t *testing.T) { testListByVerdict(t, open) })
	t.Run("ClaimDeadline", func(t *testing.T) { testClaimDeadline(t, open) })
	t.Run("ClaimDeadlineRace", func(t *testing.T) { testClaimDeadlineRace(t, open) })
	t.Run("DeadlineEvents", func(t *testing.T) { testDeadlineEvents(t, open) })
	t.Run("PendingAcks", func(t *testing.T) { testPendingAcks(t, open) })
}

// setClock is a clock the test moves by hand.
type setClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *setClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *setClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// tuningFinding is a finding of a category and project.
func tuningFinding(id, category, project string, sev bot.Severity) bot.Finding {
	f := simpleFinding(id, at(0))
	f.Category, f.Severity = category, sev
	f.Target = bot.Target{Project: project, Product: bot.ProductGKE}
	return f
}

func testVerdictLatestWins(t *testing.T, open VerdictOpenFunc) {
	ctx := context.Background()
	clock := &setClock{t: at(time.Hour)}
	s, another := open(t, clock.now)
	f := simpleFinding("v1", at(0))
	must(t, "put finding", s.PutFinding(ctx, f))
	if _, ok, err := s.VerdictOf(ctx, f.Name); err != nil || ok {
		t.Fatalf("VerdictOf before any verdict: ok %v, err %v; want none", ok, err)
	}
	note := "reviewed: " + sqlInjection + " " + markup + " " + quoting + " " + unicodeText + " " + nulBytes + control
	first := bot.VerdictRecord{Finding: f.Name, Verdict: bot.VerdictFalsePositive, By: "U1", Note: note, At: at(2 * time.Hour)}
	must(t, "set verdict", s.SetVerdict(ctx, first))
	got, ok, err := s.VerdictOf(ctx, f.Name)
	must(t, "verdict of", err)
	if diff := cmp.Diff(first, got, cmpopts.EquateApproxTime(0)); !ok || diff != "" {
		t.Errorf("VerdictOf after SetVerdict, ok %v (-want +got):\n%s", ok, diff)
	}
	// An older verdict arriving late (another replica, a retry) loses.
	must(t, "set older verdict", s.SetVerdict(ctx, bot.VerdictRecord{Finding: f.Name, Verdict: bot.VerdictTest, By: "U2", At: at(time.Hour)}))
	// A newer one replaces the first, note and all.
	clock.set(at(3 * time.Hour))
	must(t, "set newer verdict", s.SetVerdict(ctx, bot.VerdictRecord{Finding: f.Name, Verdict: bot.VerdictTruePositive, By: "U3"}))
	want := bot.VerdictRecord{Finding: f.Name, Verdict: bot.VerdictTruePositive, By: "U3", At: at(3 * time.Hour)}
	got, ok, err = another().VerdictOf(ctx, f.Name)
	must(t, "verdict of, another store", err)
	if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(0)); !ok || diff != "" {
		t.Errorf("VerdictOf on another store: the latest verdict (zero At = store clock) must win, ok %v (-want +got):\n%s", ok, diff)
	}
}

func testVerdictErrors(t *testing.T, open VerdictOpenFunc) {
	ctx := context.Background()
	s, _ := open(t, (&setClock{t: at(0)}).now)
	f := simpleFinding("v2", at(0))
	must(t, "put finding", s.PutFinding(ctx, f))
	wantCode(t, "verdict on a missing finding",
		s.SetVerdict(ctx, bot.VerdictRecord{Finding: findingName("none"), Verdict: bot.VerdictTest, By: "U1"}), bot.ENotFound)
	for _, r := range []bot.VerdictRecord{
		{Finding: f.Name, Verdict: "maybe", By: "U1"},
		{Finding: f.Name, Verdict: "False positive", By: "U1"},
		{Finding: f.Name, Verdict: bot.VerdictTest},
		{Verdict: bot.VerdictTest, By: "U1"},
	} {
		wantCode(t, fmt.Sprintf("SetVerdict(%+v)", r), s.SetVerdict(ctx, r), bot.EInvalid)
	}
	if _, ok, _ := s.VerdictOf(ctx, f.Name); ok {
		t.Error("a refused verdict was stored")
	}
	_, err := s.VerdictCounts(ctx, at(time.Hour), at(0))
	wantCode(t, "verdict counts over a reversed period", err, bot.EInvalid)
	_, _, err = s.ListFindings(ctx, bot.FindingQuery{Verdict: "nonsense", Limit: 10})
	wantCode(t, "list by an unknown verdict", err, bot.EInvalid)
}

func testVerdictCounts(t *testing.T, open VerdictOpenFunc) {
	ctx := context.Background()
	s, another := open(t, (&setClock{t: at(0)}).now)
	put := func(id, category, project string) string {
		f := tuningFinding(id, category, project, bot.SeverityHigh)
		must(t, "put finding "+id, s.PutFinding(ctx, f))
		return f.Name
	}
	set := func(name string, v bot.Verdict, when time.Duration) {
		must(t, "set verdict", s.SetVerdict(ctx, bot.VerdictRecord{Finding: name, Verdict: v, By: "U1", At: at(when)}))
	}
	const catA, catB = "Execution: Added Binary Executed", "Defense Evasion: Launch Code Compiler Tool In Container"
	day := 24 * time.Hour
	set(put("a1", catA, "p1"), bot.VerdictFalsePositive, day)
	set(put("a2", catA, "p1"), bot.VerdictFalsePositive, day+time.Hour)
	set(put("a3", catA, "p1"), bot.VerdictBenign, day+2*time.Hour)
	set(put("a4", catA, "p2"), bot.VerdictFalsePositive, day+3*time.Hour)
	set(put("b1", catB, "p1"), bot.VerdictTruePositive, day+4*time.Hour)
	set(put("b2", catB, "p1' OR 1=1 --"), bot.VerdictFalsePositive, day+5*time.Hour)
	// Before the period, at its end (excluded), and one changed into it.
	set(put("old", catA, "p1"), bot.VerdictFalsePositive, 0)
	set(put("end", catA, "p1"), bot.VerdictFalsePositive, 2*day)
	moved := put("moved", catB, "p1")
	set(moved, bot.VerdictFalsePositive, 0)
	set(moved, bot.VerdictDuplicate, day+6*time.Hour)
	put("none", catA, "p1")

	got, err := another().VerdictCounts(ctx, at(day), at(2*day))
	must(t, "verdict counts", err)
	want := []bot.VerdictCount{
		{Category: catB, Project: "p1", Verdict: bot.VerdictDuplicate, Count: 1},
		{Category: catB, Project: "p1", Verdict: bot.VerdictTruePositive, Count: 1},
		{Category: catB, Project: "p1' OR 1=1 --", Verdict: bot.VerdictFalsePositive, Count: 1},
		{Category: catA, Project: "p1", Verdict: bot.VerdictBenign, Count: 1},
		{Category: catA, Project: "p1", Verdict: bot.VerdictFalsePositive, Count: 2},
		{Category: catA, Project: "p2", Verdict: bot.VerdictFalsePositive, Count: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VerdictCounts over day 2 (-want +got):\n%s", diff)
	}
	if empty, err := s.VerdictCounts(ctx, at(10*day), at(11*day)); err != nil || len(empty) != 0 {
		t.Errorf("VerdictCounts over an empty period = %v, %v; want none", empty, err)
	}
}

func testListByVerdict(t *testing.T, open VerdictOpenFunc) {
	ctx := context.Background()
	clock := &setClock{t: at(0)}
	s, _ := open(t, clock.now)
	for i, v := range []bot.Verdict{bot.VerdictFalsePositive, bot.VerdictTruePositive, bot.VerdictFalsePositive, ""} {
		clock.set(at(time.Duration(i) * time.Minute))
		f := tuningFinding(fmt.Sprintf("l%d", i), "Execution: X", "p1", bot.SeverityHigh)
		must(t, "put finding", s.PutFinding(ctx, f))
		if v != "" {
			must(t, "set verdict", s.SetVerdict(ctx, bot.VerdictRecord{Finding: f.Name, Verdict: v, By: "U1"}))
		}
	}
	cases := []struct {
		q     bot.FindingQuery
		want  []string
		total int
	}{
		{bot.FindingQuery{Verdict: bot.VerdictFalsePositive, Limit: 10}, []string{"l2", "l0"}, 2},
		{bot.FindingQuery{Verdict: bot.VerdictFalsePositive, Limit: 1}, []string{"l2"}, 2},
		{bot.FindingQuery{Verdict: bot.VerdictTruePositive, Projects: []string{"p1"}, Limit: 10}, []string{"l1"}, 1},
		{bot.FindingQuery{Verdict: bot.VerdictTest, Limit: 10}, nil, 0},
		{bot.FindingQuery{Limit: 10}, []string{"l3", "l2", "l1", "l0"}, 4},
	}
	for _, c := range cases {
		got, total, err := s.ListFindings(ctx, c.q)
		must(t, "list findings", err)
		var ids []string
		for _, f := range got {
			ids = append(ids, f.ShortID())
		}
		if !cmp.Equal(c.want, ids) || total != c.total {
			t.Errorf("ListFindings(%+v) = %v (total %d), want %v (total %d)", c.q, ids, total, c.want, c.total)
		}
	}
}

func testClaimDeadline(t *testing.T, open VerdictOpenFunc) {
	ctx := context.Background()
	s, another := open(t, (&setClock{t: at(0)}).now)
	f := simpleFinding("d1", at(0))
	must(t, "put finding", s.PutFinding(ctx, f))
	claim := func(s VerdictStore, stage bot.DeadlineStage, want bool) {
		t.Helper()
		won, err := s.ClaimDeadline(ctx, f.Name, stage, at(15*time.Minute))
		must(t, "claim", err)
		if won != want {
			t.Errorf("ClaimDeadline(%s) won %v, want %v", stage, won, want)
		}
	}
	claim(s, bot.StageReminder, true)
	claim(s, bot.StageReminder, false)
	claim(another(), bot.StageReminder, false) // a restart sees it taken
	claim(another(), bot.StageEscalation, true)
	claim(s, bot.StageEscalation, false)
	_, err := s.ClaimDeadline(ctx, findingName("none"), bot.StageReminder, at(0))
	wantCode(t, "claim for a missing finding", err, bot.ENotFound)
	_, err = s.ClaimDeadline(ctx, f.Name, bot.DeadlineStage(3), at(0))
	wantCode(t, "claim of an unknown stage", err, bot.EInvalid)
	_, err = s.ClaimDeadline(ctx, "", bot.StageReminder, at(0))
	wantCode(t, "claim without a finding", err, bot.EInvalid)
}

// claimKey is one deadline stage of one finding.
type claimKey struct {
	name  string
	stage bot.DeadlineStage
}

var allStages = []bot.DeadlineStage{bot.StageReminder, bot.StageEscalation}

// testClaimDeadlineRace races every claim from goroutines on two stores
// (two processes or replicas on one database): exactly one wins each.
func testClaimDeadlineRace(t *testing.T, open VerdictOpenFunc) {
	ctx := context.Background()
	s, another := open(t, (&setClock{t: at(0)}).now)
	stores := []VerdictStore{s, another()}
	const findings, racers = 10, 8
	var names []string
	for i := range findings {
		f := simpleFinding(fmt.Sprintf("race%d", i), at(0))
		must(t, "put finding", s.PutFinding(ctx, f))
		names = append(names, f.Name)
	}
	var mu sync.Mutex
	wins := map[claimKey]int{}
	var wg sync.WaitGroup
	for r := range racers {
		wg.Go(func() {
			won, err := claimAll(ctx, stores[r%len(stores)], names, at(time.Duration(r)*time.Second))
			if err != nil {
				t.Errorf("racer %d: %v", r, err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, k := range won {
				wins[k]++
			}
		})
	}
	wg.Wait()
	for _, name := range names {
		for _, stage := range allStages {
			if n := wins[claimKey{name, stage}]; n != 1 {
				t.Errorf("%s %s: %d racers won the claim, want exactly 1", name, stage, n)
			}
		}
	}
	events, err := s.DeadlineEvents(ctx, at(0), at(time.Hour))
	must(t, "deadline events", err)
	if len(events) != 2*findings {
		t.Errorf("DeadlineEvents after the race: %d events, want %d", len(events), 2*findings)
	}
}

// claimAll claims every stage of every finding and returns those it won.
func claimAll(ctx context.Context, s VerdictStore, names []string, when time.Time) ([]claimKey, error) {
	var won []claimKey
	for _, name := range names {
		for _, stage := range allStages {
			ok, err := s.ClaimDeadline(ctx, name, stage, when)
			if err != nil {
				return won, fmt.Errorf("ClaimDeadline: %w", err)
			}
			if ok {
				won = append(won, claimKey{name, stage})
			}
		}
	}
	return won, nil
}

func testDeadlineEvents(t *testing.T, open VerdictOpenFunc) {
	ctx := context.Background()
	s, another := open(t, (&setClock{t: at(0)}).now)
	crit := tuningFinding("e1", "Execution: X", "p1", bot.SeverityCritical)
	high := tuningFinding("e2", "Execution: X", "p1", bot.SeverityHigh)
	must(t, "put", s.PutFinding(ctx, crit))
	must(t, "put", s.PutFinding(ctx, high))
	claims := []struct {
		f     bot.Finding
		stage bot.DeadlineStage
		at    time.Duration
	}{
		{crit, bot.StageReminder, 15 * time.Minute},
		{crit, bot.StageEscalation, 30 * time.Minute},
		{high, bot.StageReminder, time.Hour},
		{high, bot.StageEscalation, 2 * time.Hour}, // at the period's end: excluded
	}
	for _, c := range claims {
		if _, err := s.ClaimDeadline(ctx, c.f.Name, c.stage, at(c.at)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := another().DeadlineEvents(ctx, at(20*time.Minute), at(2*time.Hour))
	must(t, "deadline events", err)
	want := []bot.DeadlineEvent{
		{Finding: crit.Name, Stage: bot.StageEscalation, At: at(30 * time.Minute), Severity: bot.SeverityCritical},
		{Finding: high.Name, Stage: bot.StageReminder, At: at(time.Hour), Severity: bot.SeverityHigh},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("DeadlineEvents (-want +got):\n%s", diff)
	}
	_, err = s.DeadlineEvents(ctx, at(time.Hour), at(0))
	wantCode(t, "deadline events over a reversed period", err, bot.EInvalid)
}

func testPendingAcks(t *testing.T, open VerdictOpenFunc) {
	ctx := context.Background()
	clock := &setClock{t: at(0)}
	s, another := open(t, clock.now)
	post := func(id string, posted time.Duration, change func(f *bot.Finding)) bot.Finding {
		t.Helper()
		f := simpleFinding(id, at(0))
		if change != nil {
			change(&f)
		}
		clock.set(at(posted))
		must(t, "put finding "+id, s.PutFinding(ctx, f))
		if posted >= 0 {
			must(t, "put card "+id, s.PutCard(ctx, f.Name, bot.MessageRef{Channel: "C1", TS: "1700000000." + id}))
		}
		return f
	}
	old := post("p-old", time.Minute, nil)                                          // before the bound
	second := post("p-second", 20*time.Minute, nil)                                 // waiting, posted later
	first := post("p-first", 11*time.Minute, nil)                                   // waiting
	acked := post("p-acked", 12*time.Minute, nil)                                   // acknowledged
	post("p-muted", 13*time.Minute, func(f *bot.Finding) { f.Mute = "MUTED" })      // muted
	post("p-closed", 14*time.Minute, func(f *bot.Finding) { f.State = "INACTIVE" }) // resolved
	post("p-nocard", -1, nil)                                                       // never posted
	_ = old
	clock.set(at(30 * time.Minute))
	if _, _, _, err := s.Ack(ctx, acked.Name, "U1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimDeadline(ctx, first.Name, bot.StageEscalation, at(26*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimDeadline(ctx, first.Name, bot.StageReminder, at(26*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := another().PendingAcks(ctx, at(10*time.Minute))
	must(t, "pending acks", err)
	want := []bot.PendingAck{
		{Finding: first, Card: bot.MessageRef{Channel: "C1", TS: "1700000000.p-first"}, PostedAt: at(11 * time.Minute),
			Stages: []bot.DeadlineStage{bot.StageReminder, bot.StageEscalation}},
		{Finding: second, Card: bot.MessageRef{Channel: "C1", TS: "1700000000.p-second"}, PostedAt: at(20 * time.Minute)},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(0), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("PendingAcks (-want +got):\n%s", diff)
	}
	// Acknowledging takes a card off the list.
	if _, _, _, err := s.Ack(ctx, second.Name, "U2"); err != nil {
		t.Fatal(err)
	}
	got, err = s.PendingAcks(ctx, at(10*time.Minute))
	must(t, "pending acks after an ack", err)
	if len(got) != 1 || got[0].Finding.Name != first.Name {
		t.Errorf("PendingAcks after acknowledging %s = %+v, want only %s", second.ShortID(), got, first.ShortID())
	}
}
