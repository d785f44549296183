package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// RequestStore is what RunRequests tests: the response-action requests and
// the audit log. The contract, beyond the method docs:
//
//   - A request round-trips exactly (every field, nanoseconds, hostile
//     text); a finding has at most one open (pending or running) request
//     per action.
//   - TransitionRequest is an atomic compare-and-set: of any number of
//     concurrent callers moving a request out of a state, exactly one wins.
//     It enforces the moves of bot.RequestState and never changes a
//     request's id, finding, action, requester or request time.
//   - The audit log is append-only and reads back oldest first, events at
//     the same instant in the order they were appended.
//   - Everything survives closing and reopening the store; a cancelled
//     context makes every method fail with an error wrapping
//     context.Canceled.
type RequestStore interface {
	// PutFinding stores a finding; requests reference stored findings.
	PutFinding(ctx context.Context, f bot.Finding) error

	// CreateRequest stores a new pending request, or returns the finding's
	// open request for the same action with created false.
	CreateRequest(ctx context.Context, r bot.ActionRequest) (stored bot.ActionRequest, created bool, err error)
	// Request returns the request with the id, or ENotFound.
	Request(ctx context.Context, id string) (bot.ActionRequest, error)
	// TransitionRequest moves the request to to if it is in a from state.
	TransitionRequest(ctx context.Context, id string, from []bot.RequestState, to bot.RequestState,
		update func(*bot.ActionRequest)) (bot.ActionRequest, bool, error)
	// ExpiredRequests returns pending requests expiring at or before now.
	ExpiredRequests(ctx context.Context, now time.Time) ([]bot.ActionRequest, error)
	// StaleRunning returns running requests decided before before.
	StaleRunning(ctx context.Context, before time.Time) ([]bot.ActionRequest, error)
	// SetRequestMessage records where the request is shown.
	SetRequestMessage(ctx context.Context, id string, ref bot.MessageRef) error
	// RequestsForFinding returns the finding's requests, oldest first.
	RequestsForFinding(ctx context.Context, finding string) ([]bot.ActionRequest, error)

	// AppendAudit appends an event; a zero At means now.
	AppendAudit(ctx context.Context, ev bot.AuditEvent) error
	// Audit calls fn for each event at or after since, oldest first.
	Audit(ctx context.Context, since time.Time, fn func(bot.AuditEvent) error) error
	// AuditForFinding returns the finding's events, oldest first.
	AuditForFinding(ctx context.Context, finding string) ([]bot.AuditEvent, error)
}

// RequestOpenFunc is OpenFunc for a RequestStore.
type RequestOpenFunc = func(t *testing.T) (s RequestStore, reopen func() RequestStore)

// RunRequests runs the request and audit suite against the stores open
// returns. Each subtest opens its own empty store.
func RunRequests(t *testing.T, open func(t *testing.T) (s RequestStore, reopen func() RequestStore)) {
	t.Run("RequestRoundTrip", func(t *testing.T) { testRequestRoundTrip(t, open) })
	t.Run("RequestCreateErrors", func(t *testing.T) { testRequestCreateErrors(t, open) })
	t.Run("RequestOpenPerAction", func(t *testing.T) { testRequestOpenPerAction(t, open) })
	t.Run("RequestTransitions", func(t *testing.T) { testRequestTransitions(t, open) })
	t.Run("RequestTransitionRace", func(t *testing.T) { testRequestTransitionRace(t, open) })
	t.Run("RequestCreateRace", func(t *testing.T) { testRequestCreateRace(t, open) })
	t.Run("RequestExpiredAndStale", func(t *testing.T) { testRequestExpiredAndStale(t, open) })
	t.Run("RequestMessage", func(t *testing.T) { testRequestMessage(t, open) })
	t.Run("AuditLog", func(t *testing.T) { testAuditLog(t, open) })
	t.Run("AuditPaging", func(t *testing.T) { testAuditPaging(t, open) })
	t.Run("AuditForFinding", func(t *testing.T) { testAuditForFinding(t, open) })
	t.Run("RequestsSurviveReopen", func(t *testing.T) { testRequestsSurviveReopen(t, open) })
	t.Run("RequestsCancelledContext", func(t *testing.T) { testRequestsCancelledContext(t, open) })
}

// pendingRequest is a new request for the stored finding with short id
// findingID, requested at at(0), expiring 30 minutes later.
func pendingRequest(id, findingID, action string) bot.ActionRequest {
	return bot.ActionRequest{
		ID: id, Finding: findingName(findingID), Action: action, Reason: "contain it",
		RequestedBy: "U0REQUESTER", RequestedAt: at(0), ExpiresAt: at(30 * time.Minute),
		State: bot.RequestPending,
	}
}

// fullRequest sets every field of bot.ActionRequest, most of them to
// hostile text; checkAllSet proves it stays complete.
func fullRequest(id, findingID string) bot.ActionRequest {
	return bot.ActionRequest{
		ID: id, Finding: findingName(findingID), Action: bot.ActionIsolatePod,
		Reason: "reason " + sqlInjection + nulBytes + quoting + markup + control + unicodeText,
		DryRun: true, RequestedBy: "U0REQ" + sqlInjection,
		RequestedAt: baseTime, ExpiresAt: at(30*time.Minute + time.Nanosecond).In(time.FixedZone("CEST", 2*3600)),
		State:     bot.RequestPending,
		DecidedBy: "W0DECIDER" + unicodeText, DecidedAt: at(time.Second), FinishedAt: at(time.Minute),
		Result: bot.ActionResult{
			Summary: "Pod default/web isolated " + markup,
			Details: []string{"network policy " + sqlInjection, nulBytes, "", unicodeText},
			DryRun:  true,
			Links:   []bot.ResultLink{{Label: "Manifest " + markup, URL: "gs://b/evidence/x/" + unicodeText}},
		},
		Error:   "error " + control,
		Message: bot.MessageRef{Channel: "C0THREAD", TS: "1773500966.000200"},
	}
}

// putRequestFindings stores simple findings with the short ids.
func putRequestFindings(t *testing.T, s RequestStore, ids ...string) {
	t.Helper()
	for _, id := range ids {
		must(t, "PutFinding "+id, s.PutFinding(t.Context(), simpleFinding(id, baseTime)))
	}
}

// mustCreateRequest creates r, which must be new.
func mustCreateRequest(t *testing.T, s RequestStore, r bot.ActionRequest) bot.ActionRequest {
	t.Helper()
	got, created, err := s.CreateRequest(t.Context(), r)
	must(t, "CreateRequest "+r.ID, err)
	if !created {
		t.Fatalf("CreateRequest(%s) joined open request %s, want a new one", r.ID, got.ID)
	}
	return got
}

// wantRequest compares a stored request with the one expected; times
// compare by instant.
func wantRequest(t *testing.T, what string, got, want bot.ActionRequest) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// testRequestRoundTrip stores a request with every field set and reads it
// back by id and by finding.
func testRequestRoundTrip(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	putRequestFindings(t, s, "rt")
	want := fullRequest("r-full", "rt")
	checkAllSet(t, want)
	wantRequest(t, "CreateRequest result", mustCreateRequest(t, s, want), want)
	got, err := s.Request(ctx, want.ID)
	must(t, "Request", err)
	wantRequest(t, "Request", got, want)
	if !got.ExpiresAt.Equal(want.ExpiresAt) || got.ExpiresAt.Nanosecond() != 1+535897932 {
		t.Errorf("ExpiresAt = %v, want %v to the nanosecond", got.ExpiresAt, want.ExpiresAt)
	}
	all, err := s.RequestsForFinding(ctx, want.Finding)
	must(t, "RequestsForFinding", err)
	if diff := cmp.Diff([]bot.ActionRequest{want}, all, cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("RequestsForFinding (-want +got):\n%s", diff)
	}
	zero := pendingRequest("r-zero", "rt", bot.ActionMute)
	zero.Reason, zero.RequestedBy, zero.ExpiresAt = "", "", time.Time{}
	mustCreateRequest(t, s, zero)
	got, err = s.Request(ctx, zero.ID)
	must(t, "Request zero", err)
	wantRequest(t, "Request with zero fields", got, zero)
	if none, err := s.RequestsForFinding(ctx, findingName("none")); err != nil || len(none) != 0 {
		t.Errorf("RequestsForFinding of a finding without requests = %v, %v; want none", none, err)
	}
}

// testRequestCreateErrors checks the codes of bad creates and lookups.
func testRequestCreateErrors(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	putRequestFindings(t, s, "err")
	mustCreateRequest(t, s, pendingRequest("r1", "err", bot.ActionMute))
	running := pendingRequest("r-running", "err", bot.ActionResolve)
	running.State = bot.RequestRunning
	noID := pendingRequest("", "err", bot.ActionResolve)
	noAction := pendingRequest("r2", "err", "")
	for _, tc := range []struct {
		name string
		r    bot.ActionRequest
		code string
	}{
		{"unknown finding", pendingRequest("r3", "missing", bot.ActionMute), bot.ENotFound},
		{"id in use", pendingRequest("r1", "err", bot.ActionIsolatePod), bot.EConflict},
		{"no id", noID, bot.EInvalid},
		{"no action", noAction, bot.EInvalid},
		{"not pending", running, bot.EInvalid},
	} {
		_, _, err := s.CreateRequest(ctx, tc.r)
		wantCode(t, "CreateRequest "+tc.name, err, tc.code)
	}
	_, err := s.Request(ctx, "nope")
	wantCode(t, "Request unknown id", err, bot.ENotFound)
	_, _, err = s.TransitionRequest(ctx, "nope", []bot.RequestState{bot.RequestPending}, bot.RequestRunning, nil)
	wantCode(t, "TransitionRequest unknown id", err, bot.ENotFound)
	err = s.SetRequestMessage(ctx, "nope", bot.MessageRef{Channel: "C", TS: "1.0"})
	wantCode(t, "SetRequestMessage unknown id", err, bot.ENotFound)
	err = s.SetRequestMessage(ctx, "r1", bot.MessageRef{Channel: "C"})
	wantCode(t, "SetRequestMessage without ts", err, bot.EInvalid)
	wantCode(t, "AppendAudit without event", s.AppendAudit(ctx, bot.AuditEvent{Request: "r1"}), bot.EInvalid)
}

// testRequestOpenPerAction checks that a second request for an action
// with an open request joins it, whoever asks, until it is final.
func testRequestOpenPerAction(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	putRequestFindings(t, s, "open", "other")
	first := mustCreateRequest(t, s, pendingRequest("r1", "open", bot.ActionIsolatePod))
	again := pendingRequest("r2", "open", bot.ActionIsolatePod)
	again.RequestedBy = "U0SOMEONEELSE"
	got, created, err := s.CreateRequest(ctx, again)
	must(t, "CreateRequest again", err)
	if created {
		t.Errorf("second open request for the same action was created, want it to join %s", first.ID)
	}
	wantRequest(t, "CreateRequest of a duplicate", got, first)
	mustCreateRequest(t, s, pendingRequest("r3", "open", bot.ActionDeletePod))
	mustCreateRequest(t, s, pendingRequest("r4", "other", bot.ActionIsolatePod))

	mustMoveRequest(t, s, "r1", bot.RequestPending, bot.RequestRunning)
	if got, created, err := s.CreateRequest(ctx, again); err != nil || created || got.ID != "r1" {
		t.Errorf("CreateRequest while r1 runs = %s, %v, %v; want r1, not created", got.ID, created, err)
	}
	mustMoveRequest(t, s, "r1", bot.RequestRunning, bot.RequestDone)
	mustCreateRequest(t, s, again)
	if _, err := s.Request(ctx, "r2"); err != nil {
		t.Errorf("Request r2 after r1 finished: %v", err)
	}
}

// mustMoveRequest transitions a request that must be in from.
func mustMoveRequest(t *testing.T, s RequestStore, id string, from, to bot.RequestState) bot.ActionRequest {
	t.Helper()
	r, ok, err := s.TransitionRequest(t.Context(), id, []bot.RequestState{from}, to, nil)
	must(t, fmt.Sprintf("TransitionRequest %s %s→%s", id, from, to), err)
	if !ok {
		t.Fatalf("TransitionRequest %s %s→%s lost; request is %s", id, from, to, r.State)
	}
	return r
}

// testRequestTransitionRace has 50 goroutines approve the same request at
// once: exactly one may win, and every loser must see it running.
func testRequestTransitionRace(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	putRequestFindings(t, s, "race")
	mustCreateRequest(t, s, pendingRequest("r-race", "race", bot.ActionIsolatePod))
	var mu sync.Mutex
	var winners []string
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			who := fmt.Sprintf("U%03d", i)
			r, ok, err := s.TransitionRequest(t.Context(), "r-race", []bot.RequestState{bot.RequestPending},
				bot.RequestRunning, func(r *bot.ActionRequest) { r.DecidedBy = who })
			if err != nil {
				t.Errorf("approver %d: %v", i, err)
				return
			}
			if !ok && r.State != bot.RequestRunning {
				t.Errorf("approver %d lost and saw state %s, want running", i, r.State)
			}
			if ok {
				mu.Lock()
				winners = append(winners, who)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d approvers won the transition (%v), want exactly 1", len(winners), winners)
	}
	got, err := s.Request(t.Context(), "r-race")
	must(t, "Request", err)
	if got.State != bot.RequestRunning || got.DecidedBy != winners[0] {
		t.Errorf("after the race: state %s decided by %q, want running by the winner %q", got.State, got.DecidedBy, winners[0])
	}
}

// testRequestCreateRace has 50 goroutines request the same action on the
// same finding at once: one request is created, all get it.
func testRequestCreateRace(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	putRequestFindings(t, s, "create-race")
	ids := make([]string, writers)
	created := make([]bool, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			r, ok, err := s.CreateRequest(t.Context(), pendingRequest(fmt.Sprint("r-", i), "create-race", bot.ActionMute))
			if err != nil {
				t.Errorf("requester %d: %v", i, err)
			}
			ids[i], created[i] = r.ID, ok
		})
	}
	wg.Wait()
	n := 0
	for i := range writers {
		if created[i] {
			n++
		}
		if ids[i] != ids[0] {
			t.Errorf("requester %d got request %q, requester 0 %q; want the same", i, ids[i], ids[0])
		}
	}
	if n != 1 {
		t.Errorf("%d requests created, want 1", n)
	}
}
