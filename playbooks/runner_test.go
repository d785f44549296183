package playbooks

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
)

// The real store is the conformance-tested one the bot runs on; it is a
// test-only import, so the layering rule (playbooks imports no adapter)
// holds for the package itself.
var _ RequestStore = (*sqlite.DB)(nil)

// fakeResponder carries out isolate_pod and mute by counting.
type fakeResponder struct {
	mu       sync.Mutex
	runs     []execution
	err      error         // returned by Execute
	panic    bool          // Execute panics
	block    chan struct{} // if set, Execute waits for it (or ctx) first
	entered  chan string   // if set, Execute reports the request's action here
	untilCtx bool          // Execute waits for its context to end
}

// execution is one call of Execute.
type execution struct {
	Action string
	DryRun bool
}

func (r *fakeResponder) Actions() []string { return []string{bot.ActionIsolatePod, bot.ActionMute} }

func (r *fakeResponder) Preview(f bot.Finding, action string) ([]string, error) {
	if f.Target.Pod == "" {
		return nil, bot.Errorf(bot.EInvalid, "the finding names no pod")
	}
	return []string{"pod " + f.Target.Pod}, nil
}

func (r *fakeResponder) Execute(ctx context.Context, f bot.Finding, action string, dryRun bool) (bot.ActionResult, error) {
	r.mu.Lock()
	r.runs = append(r.runs, execution{action, dryRun})
	r.mu.Unlock()
	if r.entered != nil {
		r.entered <- action
	}
	if r.block != nil {
		<-r.block
	}
	if r.untilCtx {
		<-ctx.Done()
		return bot.ActionResult{}, ctx.Err()
	}
	if r.panic {
		panic("responder bug")
	}
	if r.err != nil {
		return bot.ActionResult{Details: []string{"step 1 done"}}, r.err
	}
	return bot.ActionResult{Summary: "Pod " + f.Target.Pod + " isolated", Details: []string{"network policy created"}}, nil
}

func (r *fakeResponder) executions() []execution {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]execution(nil), r.runs...)
}

// fakeMarker records security marks.
type fakeMarker struct {
	mu    sync.Mutex
	calls []markCall
	err   error
}

type markCall struct {
	Finding string
	Marks   map[string]string
}

func (m *fakeMarker) SetMarks(_ context.Context, finding string, marks map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, markCall{finding, marks})
	return m.err
}

func (m *fakeMarker) marked() []markCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]markCall(nil), m.calls...)
}

// harness is a runner on an in-memory store, with fakes around it.
type harness struct {
	t       *testing.T
	db      *sqlite.DB
	store   RequestStore
	clock   *testClock
	groups  *fakeGroups
	resp    *fakeResponder
	marks   *fakeMarker
	logs    *syncBuffer
	runner  *Runner
	finding bot.Finding

	mu      sync.Mutex
	runners []*Runner
	changes []string    // "id state" per change the runners published
	notify  chan string // if set, each change is also sent here as "id state"
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Principals of the harness policy: U0ALICE and U0BOB are in S0SEC;
// U0EVE is in no group.
const (
	alice = "U0ALICE"
	bob   = "U0BOB"
	eve   = "U0EVE"
)

// defaultRules: isolate_pod needs a second S0SEC member; mute runs at once.
func defaultRules() map[string]Rule {
	return map[string]Rule{
		bot.ActionIsolatePod: {Requesters: []string{"S0SEC"}, Approvers: []string{"S0SEC"}, Approval: true, TwoPerson: true},
		bot.ActionMute:       {},
	}
}

// newHarness builds a runner with rules (defaultRules if nil); wrap, if
// not nil, wraps the store the runner sees.
func newHarness(t *testing.T, rules map[string]Rule, wrap func(RequestStore) RequestStore) *harness {
	t.Helper()
	if rules == nil {
		rules = defaultRules()
	}
	db, err := sqlite.Open(t.Context(), sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	h := &harness{
		t: t, db: db, store: db, clock: newTestClock(), resp: &fakeResponder{}, marks: &fakeMarker{}, logs: &syncBuffer{},
		groups: &fakeGroups{members: map[string][]string{"S0SEC": {alice, bob}}},
		finding: bot.Finding{
			Name:     "organizations/1/sources/2/locations/global/findings/f1",
			Category: "Execution: Added Binary Executed",
			Target:   bot.Target{Product: bot.ProductGKE, Cluster: "c1", Namespace: "payments", Pod: "checkout-7d4b"},
		},
	}
	db.Now = h.clock.Now
	if wrap != nil {
		h.store = wrap(db)
	}
	if err := db.PutFinding(t.Context(), h.finding); err != nil {
		t.Fatal(err)
	}
	h.runner = h.newRunner(rules)
	return h
}

// newRunner is another runner on the same store, as after a restart.
func (h *harness) newRunner(rules map[string]Rule) *Runner {
	var ids atomic.Int64
	r := NewRunner(h.store, NewPolicy(rules, h.groups), []bot.Responder{h.resp}, RunnerOptions{
		Marks:       h.marks,
		Logger:      slog.New(slog.NewJSONHandler(h.logs, nil)),
		Now:         h.clock.Now,
		NewID:       func() string { return fmt.Sprintf("req-%d", ids.Add(1)) },
		ExecTimeout: 5 * time.Minute,
	})
	h.follow(r)
	return r
}

// follow records the changes r publishes: at once when a test asks for
// them (changed), and as they come for a test that waits on notify.
func (h *harness) follow(r *Runner) {
	h.mu.Lock()
	h.runners = append(h.runners, r)
	h.mu.Unlock()
	done := make(chan struct{})
	h.t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-done:
				return
			case <-r.Feed().Ready():
				h.collect()
			}
		}
	}()
}

// collect moves the published changes into changes, in order.
func (h *harness) collect() {
	h.mu.Lock()
	var got []string
	for _, r := range h.runners {
		for _, req := range r.Feed().Take() {
			got = append(got, req.ID+" "+string(req.State))
		}
	}
	h.changes = append(h.changes, got...)
	notify := h.notify
	h.mu.Unlock()
	if notify != nil {
		for _, c := range got {
			notify <- c
		}
	}
}

func (h *harness) changed() []string {
	h.collect()
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.changes...)
}

// step is an audit event without its id and time: what the trail must say.
type step struct{ Event, Request, Actor, Detail string }

// wantTrail compares the finding's audit trail with want.
func (h *harness) wantTrail(want ...step) {
	h.t.Helper()
	evs, err := h.db.AuditForFinding(h.t.Context(), h.finding.Name)
	if err != nil {
		h.t.Fatal(err)
	}
	var got []step
	for _, ev := range evs {
		if ev.Finding != h.finding.Name || ev.Action == "" || ev.At.IsZero() {
			h.t.Errorf("audit event %+v lacks its finding, action or time", ev)
		}
		got = append(got, step{ev.Event, ev.Request, ev.Actor, ev.Detail})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		h.t.Errorf("audit trail (-want +got):\n%s", diff)
	}
}

// wantRuns checks the responder's executions.
func (h *harness) wantRuns(want ...execution) {
	h.t.Helper()
	if diff := cmp.Diff(want, h.resp.executions()); diff != "" {
		h.t.Errorf("executions (-want +got):\n%s", diff)
	}
}

// request requests isolate_pod as user and wants it created.
func (h *harness) request(user string) bot.ActionRequest {
	h.t.Helper()
	req, msg, err := h.runner.Request(h.t.Context(), h.finding, bot.ActionIsolatePod, user, "contain it")
	if err != nil || msg != "" || req.State != bot.RequestPending {
		h.t.Fatalf("Request by %s = %+v, %q, %v; want a pending request", user, req, msg, err)
	}
	return req
}

// wantMessage checks a (request, message, error) answer.
func wantMessage(t *testing.T, what string, msg string, err error, want string) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: error %v, want message %q", what, err, want)
	} else if (want == "") != (msg == "") || !strings.Contains(msg, want) {
		t.Errorf("%s: message %q, want one containing %q", what, msg, want)
	}
}

func isolated(id string, outcome string) markCall {
	return markCall{"organizations/1/sources/2/locations/global/findings/f1",
		map[string]string{MarkAction: bot.ActionIsolatePod, MarkOutcome: outcome, MarkRequest: id}}
}

// TestTwoPersonApproval is the main story: a non-approver's click
// is refused, the requester's own approval is refused under the two-person
// rule, a second approver approves, the action runs exactly once, and a
// later click changes nothing.
func TestTwoPersonApproval(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := t.Context()
	req := h.request(alice)
	if req.ID != "req-1" || !req.ExpiresAt.Equal(h.clock.Now().Add(DefaultExpiry)) || req.DryRun {
		t.Errorf("new request = %+v; want id req-1, expiring in 30m, not a dry run", req)
	}

	_, msg, err := h.runner.Approve(ctx, req.ID, eve)
	wantMessage(t, "approval by a non-approver", msg, err, "only members of S0SEC may approve isolate_pod")
	_, msg, err = h.runner.Approve(ctx, req.ID, alice)
	wantMessage(t, "approval by the requester", msg, err, "two-person rule")
	h.wantRuns()

	h.clock.Advance(time.Minute)
	done, msg, err := h.runner.Approve(ctx, req.ID, bob)
	wantMessage(t, "approval by a second approver", msg, err, "")
	if done.State != bot.RequestDone || done.DecidedBy != bob || !done.DecidedAt.Equal(h.clock.Now()) ||
		done.Result.Summary != "Pod checkout-7d4b isolated" || done.FinishedAt.IsZero() || done.Error != "" {
		t.Errorf("approved request = %+v; want done, decided by %s, with the result", done, bob)
	}
	stored, err := h.db.Request(ctx, req.ID)
	if err != nil || stored.State != bot.RequestDone {
		t.Errorf("stored request = %+v, %v; want done", stored, err)
	}

	again, msg, err := h.runner.Approve(ctx, req.ID, bob)
	wantMessage(t, "a second click", msg, err, "already done at 2026-03-14 15:10:26 UTC (approved by U0BOB)")
	if again.State != bot.RequestDone {
		t.Errorf("second click returned state %s, want done", again.State)
	}
	h.wantRuns(execution{bot.ActionIsolatePod, false})
	if diff := cmp.Diff([]markCall{isolated("req-1", OutcomeDone)}, h.marks.marked()); diff != "" {
		t.Errorf("security marks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"req-1 running", "req-1 done"}, h.changed()); diff != "" {
		t.Errorf("OnChange calls (-want +got):\n%s", diff)
	}
	h.wantTrail(
		step{bot.AuditRequested, "req-1", alice, "contain it"},
		step{bot.AuditRefused, "req-1", eve, "only members of S0SEC may approve isolate_pod"},
		step{bot.AuditRefused, "req-1", alice, "you requested this isolate_pod; under the two-person rule someone else must approve it"},
		step{bot.AuditApproved, "req-1", bob, ""},
		step{bot.AuditStarted, "req-1", System, ""},
		step{bot.AuditSucceeded, "req-1", System, "Pod checkout-7d4b isolated"},
	)
}

// TestConcurrentApprovals: 20 clicks at once (double clicks, redelivered
// envelopes, two approvers) run the action once; every other click is
// told it is already approved.
func TestConcurrentApprovals(t *testing.T) {
	h := newHarness(t, nil, nil)
	const clicks = 20
	h.resp.block, h.resp.entered = make(chan struct{}), make(chan string, clicks)
	req := h.request(alice)
	msgs := make(chan string, clicks)
	var wg sync.WaitGroup
	for i := range clicks {
		wg.Go(func() {
			_, msg, err := h.runner.Approve(t.Context(), req.ID, []string{bob, bob, bob, "U0LEAD"}[i%4])
			if err != nil {
				t.Errorf("click %d: %v", i, err)
			}
			msgs <- msg
		})
	}
	// The winner is inside Execute until released, so every other click
	// meets the request running.
	var losers []string
	for entered := 0; len(losers) < clicks-1; {
		select {
		case msg := <-msgs:
			if msg != "" {
				losers = append(losers, msg)
			}
		case <-h.resp.entered:
			if entered++; entered > 1 {
				close(h.resp.block)
				t.Fatal("the action started twice")
			}
		}
	}
	close(h.resp.block)
	wg.Wait()
	close(msgs)
	winners := 0
	for msg := range msgs {
		if msg == "" {
			winners++
		} else {
			losers = append(losers, msg)
		}
	}
	if winners != 1 || len(losers) != clicks-1 {
		t.Errorf("%d clicks won and %d were told no, want 1 and %d", winners, len(losers), clicks-1)
	}
	for _, msg := range losers {
		if !strings.HasPrefix(msg, "already approved by U0BOB") && !strings.Contains(msg, "may approve") {
			t.Errorf("losing click told %q, want already approved (or U0LEAD: not an approver)", msg)
		}
	}
	h.wantRuns(execution{bot.ActionIsolatePod, false})
	if n := len(h.marks.marked()); n != 1 {
		t.Errorf("%d mark calls, want 1", n)
	}
	evs, _ := h.db.AuditForFinding(t.Context(), h.finding.Name)
	counts := map[string]int{}
	for _, ev := range evs {
		counts[ev.Event]++
	}
	if counts[bot.AuditApproved] != 1 || counts[bot.AuditStarted] != 1 || counts[bot.AuditSucceeded] != 1 {
		t.Errorf("audit counts %v; want one approval, one start, one success", counts)
	}
}
