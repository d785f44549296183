package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// fromStates is shorthand for a from list.
func fromStates(s ...bot.RequestState) []bot.RequestState { return s }

// testRequestTransitions walks a request through pending → running → done,
// checks what update may change, and that a request not in a from state,
// or a move the domain forbids, changes nothing.
func testRequestTransitions(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	putRequestFindings(t, s, "tr")
	orig := mustCreateRequest(t, s, pendingRequest("r1", "tr", bot.ActionIsolatePod))

	for _, tc := range []struct {
		name string
		from []bot.RequestState
		to   bot.RequestState
	}{
		{"no from state", nil, bot.RequestRunning},
		{"pending to done", fromStates(bot.RequestPending), bot.RequestDone},
		{"pending to pending", fromStates(bot.RequestPending), bot.RequestPending},
		{"done to pending", fromStates(bot.RequestDone), bot.RequestPending},
		{"running to pending", fromStates(bot.RequestRunning), bot.RequestPending},
		{"one bad from among good", fromStates(bot.RequestPending, bot.RequestDone), bot.RequestExpired},
		{"unknown state", fromStates(bot.RequestPending), "approved"},
	} {
		_, _, err := s.TransitionRequest(ctx, "r1", tc.from, tc.to, nil)
		wantCode(t, "TransitionRequest "+tc.name, err, bot.EInvalid)
	}

	calls := 0
	got, ok, err := s.TransitionRequest(ctx, "r1", fromStates(bot.RequestRunning), bot.RequestDone,
		func(*bot.ActionRequest) { calls++ })
	must(t, "TransitionRequest from a state it is not in", err)
	if ok || calls != 0 {
		t.Errorf("TransitionRequest running→done of a pending request: ok %v, update called %d times; want false, 0", ok, calls)
	}
	wantRequest(t, "request returned by a lost transition", got, orig)

	approved := approveForTest(t, s, orig)
	finished, ok, err := s.TransitionRequest(ctx, "r1", fromStates(bot.RequestRunning), bot.RequestDone, func(r *bot.ActionRequest) {
		r.FinishedAt = at(2 * time.Minute)
		r.Result = bot.ActionResult{Summary: "isolated", Details: []string{"policy created"}}
	})
	must(t, "TransitionRequest running→done", err)
	want := approved
	want.State, want.FinishedAt = bot.RequestDone, at(2*time.Minute)
	want.Result = bot.ActionResult{Summary: "isolated", Details: []string{"policy created"}}
	if !ok {
		t.Fatalf("TransitionRequest running→done lost; state %s", finished.State)
	}
	wantRequest(t, "done request", finished, want)
	stored, err := s.Request(ctx, "r1")
	must(t, "Request", err)
	wantRequest(t, "done request as stored", stored, want)

	for _, to := range []bot.RequestState{bot.RequestFailed, bot.RequestDone} {
		if got, ok, err := s.TransitionRequest(ctx, "r1", fromStates(bot.RequestRunning), to, nil); err != nil || ok || got.State != bot.RequestDone {
			t.Errorf("TransitionRequest of a done request to %s = %s, %v, %v; want done, false", to, got.State, ok, err)
		}
	}
	testRequestEndStates(t, s)
}

// approveForTest moves orig to running with an update that also tries to
// change what must never change, and checks that only the decision and
// state moved.
func approveForTest(t *testing.T, s RequestStore, orig bot.ActionRequest) bot.ActionRequest {
	t.Helper()
	got, ok, err := s.TransitionRequest(t.Context(), orig.ID, fromStates(bot.RequestPending),
		bot.RequestRunning, func(r *bot.ActionRequest) {
			r.DecidedBy, r.DecidedAt = "U0APPROVER", at(time.Minute)
			r.ID, r.Finding, r.Action = "forged", findingName("other"), bot.ActionDeletePod
			r.RequestedBy, r.RequestedAt = "U0FORGED", at(time.Hour)
			r.State = bot.RequestDone // the move's to wins
		})
	must(t, "TransitionRequest pending→running", err)
	if !ok {
		t.Fatalf("TransitionRequest pending→running lost; state %s", got.State)
	}
	want := orig
	want.State, want.DecidedBy, want.DecidedAt = bot.RequestRunning, "U0APPROVER", at(time.Minute)
	wantRequest(t, "approved request", got, want)
	stored, err := s.Request(t.Context(), orig.ID)
	must(t, "Request", err)
	wantRequest(t, "approved request as stored", stored, want)
	return want
}

// testRequestEndStates moves fresh requests to each of the other end
// states.
func testRequestEndStates(t *testing.T, s RequestStore) {
	t.Helper()
	for i, path := range [][]bot.RequestState{
		{bot.RequestPending, bot.RequestDenied},
		{bot.RequestPending, bot.RequestExpired},
		{bot.RequestPending, bot.RequestRunning, bot.RequestFailed},
	} {
		id := "end-" + string(path[len(path)-1])
		mustCreateRequest(t, s, pendingRequest(id, "tr", []string{bot.ActionMute, bot.ActionResolve, bot.ActionPageOwner}[i]))
		for j := 1; j < len(path); j++ {
			mustMoveRequest(t, s, id, path[j-1], path[j])
		}
		got, err := s.Request(t.Context(), id)
		if err != nil || got.State != path[len(path)-1] {
			t.Errorf("Request %s = %s, %v; want %s", id, got.State, err, path[len(path)-1])
		}
	}
}

// testRequestExpiredAndStale checks the sweeper's queries and their
// boundaries: expired is at or before now, stale is strictly before.
func testRequestExpiredAndStale(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	putRequestFindings(t, s, "exp")
	mk := func(id, action string, expires time.Duration) {
		r := pendingRequest(id, "exp", action)
		r.ExpiresAt = at(expires)
		mustCreateRequest(t, s, r)
	}
	mk("late", bot.ActionMute, 20*time.Minute)
	mk("early", bot.ActionResolve, 10*time.Minute)
	mk("exact", bot.ActionPageOwner, 15*time.Minute)
	mk("after", bot.ActionIsolatePod, 15*time.Minute+time.Nanosecond)
	mk("ran", bot.ActionDeletePod, time.Minute) // expired long ago, but running
	start := func(id string, decided time.Time) {
		_, ok, err := s.TransitionRequest(ctx, id, fromStates(bot.RequestPending), bot.RequestRunning,
			func(r *bot.ActionRequest) { r.DecidedAt = decided })
		if err != nil || !ok {
			t.Fatalf("start %s: %v, %v", id, ok, err)
		}
	}
	start("ran", at(5*time.Minute))
	mk("ran2", bot.ActionCordonNode, time.Minute)
	start("ran2", at(6*time.Minute))

	expired, err := s.ExpiredRequests(ctx, at(15*time.Minute))
	must(t, "ExpiredRequests", err)
	if diff := cmp.Diff([]string{"early", "exact"}, requestIDs(expired)); diff != "" {
		t.Errorf("ExpiredRequests at 15m (-want +got):\n%s", diff)
	}
	if none, err := s.ExpiredRequests(ctx, at(0)); err != nil || len(none) != 0 {
		t.Errorf("ExpiredRequests at 0 = %v, %v; want none", requestIDs(none), err)
	}
	for _, tc := range []struct {
		before time.Time
		want   []string
	}{
		{at(5 * time.Minute), nil},
		{at(5*time.Minute + time.Nanosecond), []string{"ran"}},
		{at(time.Hour), []string{"ran", "ran2"}},
	} {
		stale, err := s.StaleRunning(ctx, tc.before)
		must(t, "StaleRunning", err)
		if diff := cmp.Diff(tc.want, requestIDs(stale)); diff != "" {
			t.Errorf("StaleRunning(%v) (-want +got):\n%s", tc.before, diff)
		}
	}
	mustMoveRequest(t, s, "ran", bot.RequestRunning, bot.RequestDone)
	if stale, err := s.StaleRunning(ctx, at(time.Hour)); err != nil || len(stale) != 1 {
		t.Errorf("StaleRunning after one finished = %v, %v; want [ran2]", requestIDs(stale), err)
	}
}

// requestIDs lists the ids of rs in order.
func requestIDs(rs []bot.ActionRequest) []string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

// testRequestMessage records the thread message of a request, and moves
// it.
func testRequestMessage(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	putRequestFindings(t, s, "msg")
	mustCreateRequest(t, s, pendingRequest("r1", "msg", bot.ActionMute))
	for _, ref := range []bot.MessageRef{{Channel: "C1", TS: "1.000100"}, {Channel: "C2", TS: "2.000200"}} {
		must(t, "SetRequestMessage", s.SetRequestMessage(ctx, "r1", ref))
		got, err := s.Request(ctx, "r1")
		must(t, "Request", err)
		if got.Message != ref || got.State != bot.RequestPending {
			t.Errorf("after SetRequestMessage(%v): message %v state %s", ref, got.Message, got.State)
		}
	}
}

// testRequestsCancelledContext checks that every request and audit method
// gives up on a cancelled context and says so.
func testRequestsCancelledContext(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	putRequestFindings(t, s, "cancel")
	mustCreateRequest(t, s, pendingRequest("r1", "cancel", bot.ActionMute))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"CreateRequest", func() error {
			_, _, err := s.CreateRequest(ctx, pendingRequest("r2", "cancel", bot.ActionResolve))
			return err
		}},
		{"Request", func() error { _, err := s.Request(ctx, "r1"); return err }},
		{"TransitionRequest", func() error {
			_, _, err := s.TransitionRequest(ctx, "r1", fromStates(bot.RequestPending), bot.RequestRunning, nil)
			return err
		}},
		{"ExpiredRequests", func() error { _, err := s.ExpiredRequests(ctx, baseTime); return err }},
		{"StaleRunning", func() error { _, err := s.StaleRunning(ctx, baseTime); return err }},
		{"SetRequestMessage", func() error { return s.SetRequestMessage(ctx, "r1", bot.MessageRef{Channel: "C", TS: "1"}) }},
		{"RequestsForFinding", func() error { _, err := s.RequestsForFinding(ctx, findingName("cancel")); return err }},
		{"AppendAudit", func() error { return s.AppendAudit(ctx, bot.AuditEvent{Event: bot.AuditRequested}) }},
		{"Audit", func() error { return s.Audit(ctx, time.Time{}, func(bot.AuditEvent) error { return nil }) }},
		{"AuditForFinding", func() error { _, err := s.AuditForFinding(ctx, findingName("cancel")); return err }},
	}
	for _, c := range calls {
		wantCanceled(t, c.name, c.call())
	}
}
