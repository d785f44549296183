package playbooks

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// crash leaves request id running since at, as a process that died while
// executing it would.
func (h *harness) crash(id string, at time.Time) {
	h.t.Helper()
	_, ok, err := h.db.TransitionRequest(h.t.Context(), id, []bot.RequestState{bot.RequestPending}, bot.RequestRunning,
		func(r *bot.ActionRequest) { r.DecidedBy, r.DecidedAt = bob, at })
	if err != nil || !ok {
		h.t.Fatalf("crash %s: %v, %v", id, ok, err)
	}
}

// TestRestartFailsLostRequests: after a restart, Run fails the requests
// an earlier process left running (never running them again), but not
// those that may still be running elsewhere; a later sweep gets those.
func TestRestartFailsLostRequests(t *testing.T) {
	h := newHarness(t, nil, nil)
	t0 := h.clock.Now()
	lost := h.request(alice)
	h.crash(lost.ID, t0)
	recent, _, err := h.db.CreateRequest(t.Context(), bot.ActionRequest{ID: "recent", Finding: h.finding.Name,
		Action: bot.ActionMute, RequestedBy: eve, RequestedAt: t0, ExpiresAt: t0.Add(time.Hour), State: bot.RequestPending})
	if err != nil {
		t.Fatal(err)
	}
	h.crash(recent.ID, t0.Add(5*time.Minute))
	h.clock.Advance(5*time.Minute + staleGrace + time.Nanosecond)

	h.notify = make(chan string, 10)
	restarted := h.newRunner(defaultRules())
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- restarted.Run(ctx) }()
	if got := <-h.notify; got != "req-1 failed" {
		t.Errorf("first change after restart = %q, want req-1 failed", got)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run = %v, want nil on shutdown", err)
	}
	got, _ := h.db.Request(t.Context(), lost.ID)
	if got.State != bot.RequestFailed || got.Error != msgRestarted || got.FinishedAt.IsZero() {
		t.Errorf("lost request = %+v; want failed with %q", got, msgRestarted)
	}
	if got, _ := h.db.Request(t.Context(), recent.ID); got.State != bot.RequestRunning {
		t.Errorf("recent request = %s, want still running", got.State)
	}
	h.clock.Advance(5 * time.Minute)
	if err := restarted.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.db.Request(t.Context(), recent.ID); got.State != bot.RequestFailed {
		t.Errorf("recent request after a later sweep = %s, want failed", got.State)
	}
	h.wantRuns()
	if diff := cmp.Diff([]markCall{isolated("req-1", OutcomeFailed),
		{h.finding.Name, map[string]string{MarkAction: bot.ActionMute, MarkOutcome: OutcomeFailed, MarkRequest: "recent"}}},
		h.marks.marked()); diff != "" {
		t.Errorf("security marks (-want +got):\n%s", diff)
	}
	h.wantTrail(
		step{bot.AuditRequested, "req-1", alice, "contain it"},
		step{bot.AuditFailed, "req-1", System, msgRestarted},
		step{bot.AuditFailed, "recent", System, msgRestarted},
	)
}

// TestSweepSparesOwnExecution: an action this process is still running is
// not mistaken for one lost to a restart, however long it takes.
func TestSweepSparesOwnExecution(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.resp.block, h.resp.entered = make(chan struct{}), make(chan string, 1)
	req := h.request(alice)
	approved := make(chan bot.ActionRequest, 1)
	go func() {
		got, _, _ := h.runner.Approve(t.Context(), req.ID, bob)
		approved <- got
	}()
	<-h.resp.entered
	h.clock.Advance(time.Hour)
	if err := h.runner.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	close(h.resp.block)
	if got := <-approved; got.State != bot.RequestDone {
		t.Errorf("request = %s, want done", got.State)
	}
	h.wantTrail(
		step{bot.AuditRequested, "req-1", alice, "contain it"},
		step{bot.AuditApproved, "req-1", bob, ""},
		step{bot.AuditStarted, "req-1", System, ""},
		step{bot.AuditSucceeded, "req-1", System, "Pod checkout-7d4b isolated"},
	)
}

// TestDrain: once Run is told to stop, new approvals are refused, and Run
// returns only after the running action has finished and been recorded.
func TestDrain(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.resp.block, h.resp.entered = make(chan struct{}), make(chan string, 1)
	first := h.request(alice)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- h.runner.Run(ctx) }()
	approved := make(chan bot.ActionRequest, 1)
	go func() {
		got, _, _ := h.runner.Approve(ctx, first.ID, bob) // ctx ends mid-run: the action must still finish
		approved <- got
	}()
	<-h.resp.entered
	cancel()
	for !h.runner.drain.draining() {
		runtime.Gosched()
	}
	if _, msg, _ := h.runner.Request(t.Context(), h.finding, bot.ActionMute, alice, ""); msg != msgShuttingDown {
		t.Errorf("request while draining: %q, want %q", msg, msgShuttingDown)
	}
	select {
	case err := <-ran:
		t.Fatalf("Run returned (%v) while an action was running", err)
	default:
	}
	close(h.resp.block)
	if got := <-approved; got.State != bot.RequestDone {
		t.Errorf("request drained = %s, want done", got.State)
	}
	if err := <-ran; err != nil {
		t.Errorf("Run = %v", err)
	}
	if got, _ := h.db.Request(t.Context(), first.ID); got.State != bot.RequestDone {
		t.Errorf("stored request = %s, want done", got.State)
	}
}

// TestDrainWhenShutDownAtStart: a shutdown that arrives before Run's first
// sweep has finished still waits for the action already running, and is
// not reported as a failure.
func TestDrainWhenShutDownAtStart(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.resp.block, h.resp.entered = make(chan struct{}), make(chan string, 1)
	first := h.request(alice)
	approved := make(chan bot.ActionRequest, 1)
	go func() {
		got, _, _ := h.runner.Approve(t.Context(), first.ID, bob)
		approved <- got
	}()
	<-h.resp.entered
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // before Run starts: its first sweep fails on the ended context
	ran := make(chan error, 1)
	go func() { ran <- h.runner.Run(ctx) }()
	for !h.runner.drain.draining() {
		runtime.Gosched()
	}
	select {
	case err := <-ran:
		t.Fatalf("Run returned (%v) while an action was running", err)
	default:
	}
	close(h.resp.block)
	if got := <-approved; got.State != bot.RequestDone {
		t.Errorf("request drained = %s, want done", got.State)
	}
	if err := <-ran; err != nil {
		t.Errorf("Run = %v, want nil: shutting down is not a failure", err)
	}
}

// TestMarkFailure: marks are best effort; the outcome stands.
func TestMarkFailure(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.marks.err = errors.New("scc unavailable")
	req := h.request(alice)
	if got, msg, err := h.runner.Approve(t.Context(), req.ID, bob); err != nil || msg != "" || got.State != bot.RequestDone {
		t.Errorf("Approve = %s, %q, %v; want done", got.State, msg, err)
	}
	if !strings.Contains(h.logs.String(), "cannot set security marks") {
		t.Error("the mark failure is not logged")
	}
}

// flakyStore fails chosen writes of the store under it.
type flakyStore struct {
	RequestStore
	auditErr  error
	finishErr error // for moves out of running
}

func (s *flakyStore) AppendAudit(ctx context.Context, ev bot.AuditEvent) error {
	if s.auditErr != nil {
		return s.auditErr
	}
	return s.RequestStore.AppendAudit(ctx, ev)
}

func (s *flakyStore) TransitionRequest(ctx context.Context, id string, from []bot.RequestState, to bot.RequestState,
	update func(*bot.ActionRequest)) (bot.ActionRequest, bool, error) {
	if s.finishErr != nil && (to == bot.RequestDone || to == bot.RequestFailed) {
		return bot.ActionRequest{}, false, s.finishErr
	}
	return s.RequestStore.TransitionRequest(ctx, id, from, to, update)
}

// logLines decodes the JSON log lines with the message msg.
func logLines(t *testing.T, logs, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == msg {
			delete(m, "time")
			out = append(out, m)
		}
	}
	return out
}

// TestAuditLinesSurviveStoreFailure: every audit event is a structured log
// line, so when the store cannot take an event it is still on record, and
// the action is not held up by it.
func TestAuditLinesSurviveStoreFailure(t *testing.T) {
	var fs *flakyStore
	h := newHarness(t, nil, func(s RequestStore) RequestStore {
		fs = &flakyStore{RequestStore: s, auditErr: errors.New("disk full")}
		return fs
	})
	req := h.request(alice)
	if got, _, err := h.runner.Approve(t.Context(), req.ID, bob); err != nil || got.State != bot.RequestDone {
		t.Fatalf("Approve = %s, %v; want done", got.State, err)
	}
	lines := logLines(t, h.logs.String(), "audit")
	var events []string
	for _, l := range lines {
		events = append(events, l["event"].(string)+" "+l["actor"].(string))
	}
	if diff := cmp.Diff([]string{"requested U0ALICE", "approved U0BOB", "started sccbot", "succeeded sccbot"}, events); diff != "" {
		t.Errorf("audit log lines (-want +got):\n%s", diff)
	}
	want := map[string]any{"level": "INFO", "msg": "audit", "event": "requested", "request": "req-1",
		"finding": h.finding.Name, "action": bot.ActionIsolatePod, "actor": alice, "detail": "contain it"}
	if diff := cmp.Diff(want, lines[0]); diff != "" {
		t.Errorf("audit log line (-want +got):\n%s", diff)
	}
	if n := len(logLines(t, h.logs.String(), "cannot write the audit log; the audit line above is the record")); n != 4 {
		t.Errorf("%d store failures logged, want 4", n)
	}
}

// TestOutcomeStoreFailure: when the outcome cannot be stored, the caller
// still learns what the action did, and the audit log says so.
func TestOutcomeStoreFailure(t *testing.T) {
	var fs *flakyStore
	h := newHarness(t, nil, func(s RequestStore) RequestStore {
		fs = &flakyStore{RequestStore: s}
		return fs
	})
	req := h.request(alice)
	fs.finishErr = errors.New("database is locked")
	got, msg, err := h.runner.Approve(t.Context(), req.ID, bob)
	if err != nil || msg != "" || got.State != bot.RequestDone || got.Result.Summary == "" {
		t.Errorf("Approve = %+v, %q, %v; want the done request", got, msg, err)
	}
	h.wantTrail(
		step{bot.AuditRequested, "req-1", alice, "contain it"},
		step{bot.AuditApproved, "req-1", bob, ""},
		step{bot.AuditStarted, "req-1", System, ""},
		step{bot.AuditSucceeded, "req-1", System, "Pod checkout-7d4b isolated: the request could not be updated"},
	)
	if len(logLines(t, h.logs.String(), "cannot record the outcome of a response action")) != 1 {
		t.Error("the store failure is not logged")
	}
	h.wantRuns(execution{bot.ActionIsolatePod, false})
}

// staleOutage is a store whose StaleRunning fails until it is told the
// database is back.
type staleOutage struct {
	RequestStore
	down atomic.Bool
	hit  chan struct{} // closed at the first failure
	once sync.Once
}

func (s *staleOutage) StaleRunning(ctx context.Context, before time.Time) ([]bot.ActionRequest, error) {
	if s.down.Load() {
		s.once.Do(func() { close(s.hit) })
		return nil, errors.New("database is not accepting connections")
	}
	return s.RequestStore.StaleRunning(ctx, before)
}

// TestRunSurvivesAStoreOutageAtStart: a store that cannot be read when
// Run starts is logged, not fatal; a later sweep recovers the lost
// requests once the store is back.
func TestRunSurvivesAStoreOutageAtStart(t *testing.T) {
	outage := &staleOutage{hit: make(chan struct{})}
	h := newHarness(t, nil, func(s RequestStore) RequestStore { outage.RequestStore = s; return outage })
	t0 := h.clock.Now()
	lost := h.request(alice)
	h.crash(lost.ID, t0)
	h.clock.Advance(5*time.Minute + staleGrace + time.Nanosecond)
	outage.down.Store(true)

	h.notify = make(chan string, 10)
	r := h.newRunner(defaultRules())
	r.sweepEvery = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- r.Run(ctx) }()
	<-outage.hit
	outage.down.Store(false)
	select {
	case got := <-h.notify:
		if got != "req-1 failed" {
			t.Errorf("first change = %q, want req-1 failed once the store is back", got)
		}
	case err := <-ran:
		t.Fatalf("Run = %v before the store came back; an outage at start must not end it", err)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run = %v, want nil on shutdown", err)
	}
}
