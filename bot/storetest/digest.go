package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// DigestStore is what RunDigest tests: acknowledgements, the figures of
// the digest and the record of digest runs, plus the methods that seed
// them. The contract, beyond the method docs:
//
//   - The first acknowledgement of a finding wins, whoever races; later
//     ones return it unchanged. Times come from the store's clock.
//   - Every figure counts exactly what it says, to the nanosecond at the
//     period bounds: from is in a period, to is not. Findings belong to a
//     period by when the store first saw them.
//   - A run is claimed by exactly one caller, ever, however many race; a
//     claim survives reopening; a posted run is never released.
//
// The row types are unnamed structs (see the use cases' DigestStore): a
// store returns them without importing the use cases.
type DigestStore interface {
	PutFinding(ctx context.Context, f bot.Finding) error
	MarkNotification(ctx context.Context, key bot.NotificationKey, outcome string) error
	PutCard(ctx context.Context, findingName string, ref bot.MessageRef) error
	CreateRequest(ctx context.Context, r bot.ActionRequest) (stored bot.ActionRequest, created bool, err error)
	TransitionRequest(ctx context.Context, id string, from []bot.RequestState, to bot.RequestState,
		update func(*bot.ActionRequest)) (bot.ActionRequest, bool, error)

	// Ack records the first acknowledgement of a stored finding.
	Ack(ctx context.Context, findingName, user string) (by string, at time.Time, first bool, err error)
	// AckOf returns the finding's acknowledgement, if any.
	AckOf(ctx context.Context, findingName string) (by string, at time.Time, ok bool, err error)

	CountFindings(ctx context.Context, bounds []time.Time) ([]int, error)
	FindingGroups(ctx context.Context, by string, prevFrom, from, to time.Time, limit int) (top []struct {
		Key      string
		Count    int
		Previous int
	}, groups int, err error)
	UnacknowledgedFindings(ctx context.Context, since, before time.Time, limit int) ([]bot.Finding, int, error)
	ActionCounts(ctx context.Context, from, to time.Time) ([]struct {
		Action      string
		RequestedBy string
		DecidedBy   string
		Count       int
	}, error)
	MeanTimeToAck(ctx context.Context, from, to time.Time) (n int, mean time.Duration, err error)
	MeanTimeToContain(ctx context.Context, actions []string, from, to time.Time) (n int, mean time.Duration, err error)
	FindingsWithOutcome(ctx context.Context, outcome string, from, to time.Time) (int, error)

	ClaimDigest(ctx context.Context, schedule string, runAt time.Time, channel string) (bool, error)
	DigestPosted(ctx context.Context, schedule string, runAt time.Time, ref bot.MessageRef) error
	ReleaseDigest(ctx context.Context, schedule string, runAt time.Time) error
	LastDigest(ctx context.Context, schedule string) (time.Time, bool, error)
	DigestRun(ctx context.Context, schedule string, runAt time.Time) (bot.MessageRef, bool, error)
}

// DigestOpenFunc opens an empty store whose clock is now (for every
// timestamp it writes), like OpenFunc; reopen keeps the clock.
type DigestOpenFunc = func(t *testing.T, now func() time.Time) (s DigestStore, reopen func() DigestStore)

// RunDigest runs the acknowledgement, digest figure and digest run suite.
func RunDigest(t *testing.T, open DigestOpenFunc) {
	t.Run("AckFirstWins", func(t *testing.T) { testAckFirstWins(t, open) })
	t.Run("AckRace", func(t *testing.T) { testAckRace(t, open) })
	t.Run("DigestFigures", func(t *testing.T) { testDigestFigures(t, open) })
	t.Run("DigestFigureErrors", func(t *testing.T) { testDigestFigureErrors(t, open) })
	t.Run("DigestRuns", func(t *testing.T) { testDigestRuns(t, open) })
	t.Run("DigestClaimRace", func(t *testing.T) { testDigestClaimRace(t, open) })
}

// clock is a settable clock for the store under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// digestTo is the end of the digest period the suite reads; it has
// nanoseconds so that a store which rounds fails.
var digestTo = time.Date(2026, 11, 20, 9, 0, 0, 7, time.UTC)

func dgFinding(id string, sev bot.Severity, category, project string) bot.Finding {
	return bot.Finding{Name: findingName("dg-" + id), Category: category, Severity: sev, State: "ACTIVE",
		EventTime: digestTo.Add(-30 * 24 * time.Hour), Target: bot.Target{Project: project}}
}

func testAckFirstWins(t *testing.T, open DigestOpenFunc) {
	clk := &clock{t: digestTo}
	s, reopen := open(t, clk.now)
	ctx := context.Background()
	f := dgFinding("ack", bot.SeverityHigh, "c", "p")
	must(t, "put finding", s.PutFinding(ctx, f))
	if _, _, ok, err := s.AckOf(ctx, f.Name); err != nil || ok {
		t.Fatalf("AckOf before any ack = %v, %v; want none", ok, err)
	}
	clk.set(digestTo.Add(time.Minute))
	by, at, first, err := s.Ack(ctx, f.Name, "U0ALICE")
	if err != nil || !first || by != "U0ALICE" || !at.Equal(digestTo.Add(time.Minute)) {
		t.Fatalf("first Ack = %q, %v, %v, %v; want U0ALICE at the clock, first", by, at, first, err)
	}
	clk.set(digestTo.Add(time.Hour))
	s = reopen()
	by, at, first, err = s.Ack(ctx, f.Name, "U0BOB")
	if err != nil || first || by != "U0ALICE" || !at.Equal(digestTo.Add(time.Minute)) {
		t.Errorf("second Ack = %q, %v, %v, %v; want the first one back, not first", by, at, first, err)
	}
	by, at, ok, err := s.AckOf(ctx, f.Name)
	if err != nil || !ok || by != "U0ALICE" || !at.Equal(digestTo.Add(time.Minute)) {
		t.Errorf("AckOf = %q, %v, %v, %v; want U0ALICE's", by, at, ok, err)
	}
	_, _, _, err = s.Ack(ctx, findingName("dg-unknown"), "U0ALICE")
	wantCode(t, "Ack of an unknown finding", err, bot.ENotFound)
	_, _, _, err = s.Ack(ctx, f.Name, "")
	wantCode(t, "Ack without a user", err, bot.EInvalid)
}

func testAckRace(t *testing.T, open DigestOpenFunc) {
	clk := &clock{t: digestTo}
	s, _ := open(t, clk.now)
	ctx := context.Background()
	f := dgFinding("race", bot.SeverityHigh, "c", "p")
	must(t, "put finding", s.PutFinding(ctx, f))
	const n = 16
	var wg sync.WaitGroup
	firsts := make([]bool, n)
	bys := make([]string, n)
	for i := range n {
		wg.Go(func() {
			by, _, first, err := s.Ack(ctx, f.Name, fmt.Sprintf("U%03d", i))
			if err != nil {
				t.Errorf("Ack %d: %v", i, err)
			}
			firsts[i], bys[i] = first, by
		})
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if firsts[i] {
			winners++
		}
		if bys[i] != bys[0] {
			t.Errorf("Ack %d says %q acknowledged it, Ack 0 says %q", i, bys[i], bys[0])
		}
	}
	if winners != 1 {
		t.Errorf("%d acks were first, want exactly 1", winners)
	}
}

func testDigestRuns(t *testing.T, open DigestOpenFunc) {
	clk := &clock{t: digestTo}
	s, reopen := open(t, clk.now)
	ctx := context.Background()
	run := digestTo
	if _, ok, err := s.LastDigest(ctx, "daily"); err != nil || ok {
		t.Fatalf("LastDigest of a new store = %v, %v; want none", ok, err)
	}
	claimRun(t, s, "daily", run, true)
	claimRun(t, s, "daily", run, false)
	claimRun(t, s, "weekly", run, true) // another schedule, the same instant
	must(t, "release", s.ReleaseDigest(ctx, "daily", run))
	claimRun(t, s, "daily", run, true) // released: claimable again
	ref := bot.MessageRef{Channel: "C1", TS: "1700000000.000100"}
	must(t, "posted", s.DigestPosted(ctx, "daily", run, ref))
	must(t, "release of a posted run", s.ReleaseDigest(ctx, "daily", run))
	s = reopen()
	claimRun(t, s, "daily", run, false) // posted runs are never released
	if got, ok, err := s.DigestRun(ctx, "daily", run); err != nil || !ok || got != ref {
		t.Errorf("DigestRun = %v, %v, %v; want %v", got, ok, err, ref)
	}
	if got, ok, err := s.DigestRun(ctx, "weekly", run); err != nil || !ok || got.TS != "" {
		t.Errorf("DigestRun of a claimed, unposted run = %v, %v, %v; want claimed with no ts", got, ok, err)
	}
	claimRun(t, s, "daily", run.Add(-time.Hour), true) // an older run does not move the last one
	last, ok, err := s.LastDigest(ctx, "daily")
	if err != nil || !ok || !last.Equal(run) {
		t.Errorf("LastDigest = %v, %v, %v; want %v", last, ok, err, run)
	}
	wantCode(t, "DigestPosted of an unclaimed run", s.DigestPosted(ctx, "daily", run.Add(time.Hour), ref), bot.ENotFound)
	wantCode(t, "DigestPosted without ts", s.DigestPosted(ctx, "weekly", run, bot.MessageRef{Channel: "C1"}), bot.EInvalid)
	_, err = s.ClaimDigest(ctx, "", run, "C1")
	wantCode(t, "ClaimDigest without a schedule", err, bot.EInvalid)
}

func claimRun(t *testing.T, s DigestStore, schedule string, run time.Time, want bool) {
	t.Helper()
	got, err := s.ClaimDigest(context.Background(), schedule, run, "C1")
	if err != nil || got != want {
		t.Errorf("ClaimDigest(%s, %v) = %v, %v; want %v", schedule, run, got, err, want)
	}
}

func testDigestClaimRace(t *testing.T, open DigestOpenFunc) {
	clk := &clock{t: digestTo}
	s, _ := open(t, clk.now)
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	claimed := 0
	for range n {
		wg.Go(func() {
			ok, err := s.ClaimDigest(context.Background(), "daily", digestTo, "C1")
			if err != nil {
				t.Errorf("ClaimDigest: %v", err)
			}
			if ok {
				mu.Lock()
				claimed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if claimed != 1 {
		t.Errorf("%d of %d racing claims won, want exactly 1", claimed, n)
	}
}
