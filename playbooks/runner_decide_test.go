package playbooks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// TestDeny: an outsider cannot deny, an approver can, and then nothing
// runs, however often the buttons are clicked or the envelope redelivered.
func TestDeny(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := t.Context()
	req := h.request(alice)
	_, msg, err := h.runner.Deny(ctx, req.ID, eve, "looks fine")
	wantMessage(t, "denial by an outsider", msg, err, "only the requester or members of S0SEC may deny isolate_pod")
	denied, msg, err := h.runner.Deny(ctx, req.ID, bob, "false positive: a build job")
	wantMessage(t, "denial by an approver", msg, err, "")
	if denied.State != bot.RequestDenied || denied.DecidedBy != bob || denied.DecidedAt.IsZero() {
		t.Errorf("denied request = %+v; want denied by %s", denied, bob)
	}
	_, msg, err = h.runner.Deny(ctx, req.ID, bob, "false positive: a build job")
	wantMessage(t, "redelivered denial", msg, err, "already denied by U0BOB")
	_, msg, err = h.runner.Approve(ctx, req.ID, bob)
	wantMessage(t, "approval after the denial", msg, err, "already denied by U0BOB")
	h.wantRuns()
	if n := len(h.marks.marked()); n != 0 {
		t.Errorf("%d mark calls for a denied request, want 0", n)
	}
	if diff := cmp.Diff([]string{"req-1 denied"}, h.changed()); diff != "" {
		t.Errorf("OnChange calls (-want +got):\n%s", diff)
	}
	h.wantTrail(
		step{bot.AuditRequested, "req-1", alice, "contain it"},
		step{bot.AuditRefused, "req-1", eve, "only the requester or members of S0SEC may deny isolate_pod"},
		step{bot.AuditDenied, "req-1", bob, "false positive: a build job"},
	)
}

// TestWithdraw: the requester may withdraw their own request.
func TestWithdraw(t *testing.T) {
	h := newHarness(t, nil, nil)
	req := h.request(alice)
	got, msg, err := h.runner.Deny(t.Context(), req.ID, alice, "wrong pod")
	wantMessage(t, "withdrawal", msg, err, "")
	if got.State != bot.RequestDenied || got.DecidedBy != alice {
		t.Errorf("withdrawn request = %+v", got)
	}
	h.wantTrail(
		step{bot.AuditRequested, "req-1", alice, "contain it"},
		step{bot.AuditDenied, "req-1", alice, "withdrawn by the requester: wrong pod"},
	)
}

// TestExpiry: the sweep expires a request exactly at its deadline, and an
// approval after that is refused.
func TestExpiry(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := t.Context()
	req := h.request(alice)
	h.clock.Advance(DefaultExpiry - time.Nanosecond)
	if err := h.runner.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.db.Request(ctx, req.ID); got.State != bot.RequestPending {
		t.Fatalf("a nanosecond before expiry the request is %s, want pending", got.State)
	}
	h.clock.Advance(time.Nanosecond)
	if err := h.runner.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := h.db.Request(ctx, req.ID)
	if err != nil || got.State != bot.RequestExpired || got.DecidedBy != System {
		t.Fatalf("at expiry the request is %+v, %v; want expired by sccbot", got, err)
	}
	_, msg, err := h.runner.Approve(ctx, req.ID, bob)
	wantMessage(t, "approval after expiry", msg, err, "this request expired at 2026-03-14 15:39:26 UTC without a decision; request it again")
	if err := h.runner.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	h.wantRuns()
	if diff := cmp.Diff([]string{"req-1 expired"}, h.changed()); diff != "" {
		t.Errorf("OnChange calls (-want +got):\n%s", diff)
	}
	h.wantTrail(
		step{bot.AuditRequested, "req-1", alice, "contain it"},
		step{bot.AuditExpired, "req-1", System, "not approved by 2026-03-14 15:39:26 UTC"},
	)
}

// TestExpiryBeforeSweep: a click after the deadline but before the sweep
// expires the request then and there, and a new request is not swallowed
// by the expired one.
func TestExpiryBeforeSweep(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := t.Context()
	first := h.request(alice)
	h.clock.Advance(time.Hour)
	got, msg, err := h.runner.Approve(ctx, first.ID, bob)
	wantMessage(t, "approval after the deadline", msg, err, "expired")
	if got.State != bot.RequestExpired {
		t.Errorf("request after a late approval is %s, want expired", got.State)
	}
	second := h.request(alice)
	h.clock.Advance(time.Hour)
	third := h.request(bob) // the second expired unswept; this replaces it
	if second.ID == first.ID || third.ID == second.ID {
		t.Errorf("requests %s, %s, %s; want three distinct", first.ID, second.ID, third.ID)
	}
	h.wantRuns()
	h.wantTrail(
		step{bot.AuditRequested, "req-1", alice, "contain it"},
		step{bot.AuditExpired, "req-1", System, "not approved by 2026-03-14 15:39:26 UTC"},
		step{bot.AuditRequested, "req-2", alice, "contain it"},
		step{bot.AuditExpired, "req-2", System, "not approved by 2026-03-14 16:39:26 UTC"},
		step{bot.AuditRequested, "req-3", bob, "contain it"},
	)
}

// TestDryRun: the responder is asked for a dry run, and the request, the
// audit trail and the marks all say it was one.
func TestDryRun(t *testing.T) {
	rules := defaultRules()
	r := rules[bot.ActionIsolatePod]
	r.DryRun, r.Expiry = true, 10*time.Minute
	rules[bot.ActionIsolatePod] = r
	h := newHarness(t, rules, nil)
	req := h.request(alice)
	if !req.DryRun || !req.ExpiresAt.Equal(h.clock.Now().Add(10*time.Minute)) {
		t.Errorf("new request = %+v; want a dry run expiring in 10m", req)
	}
	done, msg, err := h.runner.Approve(t.Context(), req.ID, bob)
	wantMessage(t, "approval", msg, err, "")
	if done.State != bot.RequestDone || !done.Result.DryRun {
		t.Errorf("dry run request = %+v; want done with a dry-run result", done)
	}
	h.wantRuns(execution{bot.ActionIsolatePod, true})
	if diff := cmp.Diff([]markCall{isolated("req-1", OutcomeDryRun)}, h.marks.marked()); diff != "" {
		t.Errorf("security marks (-want +got):\n%s", diff)
	}
	h.wantTrail(
		step{bot.AuditRequested, "req-1", alice, "dry run: contain it"},
		step{bot.AuditApproved, "req-1", bob, ""},
		step{bot.AuditStarted, "req-1", System, "dry run"},
		step{bot.AuditSucceeded, "req-1", System, "Pod checkout-7d4b isolated"},
	)
}

// TestFailingResponder: a failing backend fails the request with the
// error users may see, never the internal detail, and says so in the
// audit log and the marks.
func TestFailingResponder(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"classified", bot.WrapError(bot.EPermission, "sccbot may not create network policies in cluster c1",
			errors.New("rpc error: code = PermissionDenied desc = secret-internal-detail")),
			"sccbot may not create network policies in cluster c1"},
		{"unclassified", errors.New("dial tcp 10.0.0.1:443: secret-internal-detail"),
			"Internal error. The details are in sccbot's log."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			h.resp.err = tc.err
			req := h.request(alice)
			failed, msg, err := h.runner.Approve(t.Context(), req.ID, bob)
			wantMessage(t, "approval", msg, err, "")
			if failed.State != bot.RequestFailed || failed.Error != tc.want || failed.FinishedAt.IsZero() ||
				!cmp.Equal(failed.Result.Details, []string{"step 1 done"}) {
				t.Errorf("request = %+v; want failed with %q and the partial result", failed, tc.want)
			}
			h.wantRuns(execution{bot.ActionIsolatePod, false})
			if diff := cmp.Diff([]markCall{isolated("req-1", OutcomeFailed)}, h.marks.marked()); diff != "" {
				t.Errorf("security marks (-want +got):\n%s", diff)
			}
			h.wantTrail(
				step{bot.AuditRequested, "req-1", alice, "contain it"},
				step{bot.AuditApproved, "req-1", bob, ""},
				step{bot.AuditStarted, "req-1", System, ""},
				step{bot.AuditFailed, "req-1", System, tc.want},
			)
			if !strings.Contains(h.logs.String(), "secret-internal-detail") {
				t.Error("the internal error is not in the log; operators need it")
			}
			_, msg, err = h.runner.Approve(t.Context(), req.ID, bob)
			wantMessage(t, "approval of a failed request", msg, err, "already failed at")
		})
	}
}

// TestResponderTimeoutAndPanic: a responder that outlives ExecTimeout, or
// panics, fails the request instead of leaving it running.
func TestResponderTimeoutAndPanic(t *testing.T) {
	for _, tc := range []struct {
		name    string
		set     func(*fakeResponder)
		timeout time.Duration
		want    string
	}{
		// The execution deadline is real time: 1ns passes at once.
		{"timeout", func(r *fakeResponder) { r.untilCtx = true }, time.Nanosecond,
			"isolate_pod did not finish within 1ns; check the workload before trying again"},
		{"panic", func(r *fakeResponder) { r.panic = true }, 5 * time.Minute,
			"Internal error. The details are in sccbot's log."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			tc.set(h.resp)
			h.runner.execTimeout = tc.timeout
			req := h.request(alice)
			got, msg, err := h.runner.Approve(t.Context(), req.ID, bob)
			if err != nil || msg != "" || got.State != bot.RequestFailed || got.Error != tc.want {
				t.Errorf("Approve = %s with %q, %q, %v; want failed with %q", got.State, got.Error, msg, err, tc.want)
			}
			h.wantTrail(
				step{bot.AuditRequested, "req-1", alice, "contain it"},
				step{bot.AuditApproved, "req-1", bob, ""},
				step{bot.AuditStarted, "req-1", System, ""},
				step{bot.AuditFailed, "req-1", System, tc.want},
			)
		})
	}
}

// TestNoApprovalRule: an action whose rule needs no approval runs on
// request, decided by sccbot, once.
func TestNoApprovalRule(t *testing.T) {
	h := newHarness(t, nil, nil)
	got, msg, err := h.runner.Request(t.Context(), h.finding, bot.ActionMute, eve, "expected activity")
	wantMessage(t, "request", msg, err, "")
	if got.State != bot.RequestDone || got.DecidedBy != System || got.RequestedBy != eve {
		t.Errorf("request = %+v; want done, decided by sccbot, requested by %s", got, eve)
	}
	h.wantRuns(execution{bot.ActionMute, false})
	h.wantTrail(
		step{bot.AuditRequested, "req-1", eve, "expected activity"},
		step{bot.AuditApproved, "req-1", System, "no approval required"},
		step{bot.AuditStarted, "req-1", System, ""},
		step{bot.AuditSucceeded, "req-1", System, "Pod checkout-7d4b isolated"},
	)
}

// TestDuplicateRequest: a redelivered request, or someone else's, joins
// the open one; nothing is requested or audited twice.
func TestDuplicateRequest(t *testing.T) {
	h := newHarness(t, nil, nil)
	first := h.request(alice)
	for _, user := range []string{alice, bob} {
		got, msg, err := h.runner.Request(t.Context(), h.finding, bot.ActionIsolatePod, user, "again")
		wantMessage(t, "request by "+user, msg, err, "isolate_pod was already requested by U0ALICE at 2026-03-14 15:09:26 UTC")
		if got.ID != first.ID || got.State != bot.RequestPending {
			t.Errorf("duplicate request returned %+v, want %s pending", got, first.ID)
		}
	}
	h.wantTrail(step{bot.AuditRequested, "req-1", alice, "contain it"})
}

// TestRequestRefusals: who may not request, and what a lookup failure or
// a finding the responder cannot act on does.
func TestRequestRefusals(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := t.Context()
	_, msg, err := h.runner.Request(ctx, h.finding, bot.ActionIsolatePod, eve, "x")
	wantMessage(t, "outsider", msg, err, "only members of S0SEC may request isolate_pod")
	_, msg, err = h.runner.Request(ctx, h.finding, bot.ActionCordonNode, alice, "x")
	wantMessage(t, "action without a rule", msg, err, "cordon_node is not enabled")
	noPod := h.finding
	noPod.Target.Pod = ""
	_, _, err = h.runner.Request(ctx, noPod, bot.ActionIsolatePod, alice, "x")
	if bot.ErrorCode(err) != bot.EInvalid || bot.ErrorMessage(err) != "the finding names no pod" {
		t.Errorf("request the responder cannot carry out: error %v, want the preview's EInvalid", err)
	}
	h.groups.mu.Lock()
	h.groups.fail = map[string]error{"S0SEC": errSlackDown}
	h.groups.mu.Unlock()
	_, msg, err = h.runner.Request(ctx, h.finding, bot.ActionIsolatePod, alice, "x")
	wantMessage(t, "lookup failure", msg, err, "cannot verify who may request isolate_pod right now")
	if rs, _ := h.db.RequestsForFinding(ctx, h.finding.Name); len(rs) != 0 {
		t.Errorf("refused requests were stored: %+v", rs)
	}
	h.wantRuns()
	h.wantTrail(
		step{bot.AuditRefused, "", eve, "only members of S0SEC may request isolate_pod"},
		step{bot.AuditRefused, "", alice, "cordon_node is not enabled: the response policy has no rule for it"},
		step{bot.AuditRefused, "", alice, "the finding names no pod"},
		step{bot.AuditRefused, "", alice, "cannot verify who may request isolate_pod right now; try again in a minute"},
	)
}

// TestApprovalLookupFails: when group membership cannot be checked, the
// answer is no, the request stays pending, and it can be approved later.
func TestApprovalLookupFails(t *testing.T) {
	h := newHarness(t, nil, nil)
	req := h.request(alice)
	h.groups.mu.Lock()
	h.groups.fail = map[string]error{"S0SEC": errSlackDown}
	h.groups.mu.Unlock()
	got, msg, err := h.runner.Approve(t.Context(), req.ID, bob)
	wantMessage(t, "approval while Slack fails", msg, err, "cannot verify who may approve isolate_pod right now")
	if got.State != bot.RequestPending {
		t.Errorf("request after a failed check is %s, want pending", got.State)
	}
	h.groups.mu.Lock()
	h.groups.fail = nil
	h.groups.mu.Unlock()
	if got, msg, err = h.runner.Approve(t.Context(), req.ID, bob); err != nil || msg != "" || got.State != bot.RequestDone {
		t.Errorf("approval once Slack answers = %s, %q, %v; want done", got.State, msg, err)
	}
	if !strings.Contains(h.logs.String(), "invalid_auth") {
		t.Error("the lookup failure is not in the log")
	}
	h.wantRuns(execution{bot.ActionIsolatePod, false})
}

// TestApproveUnknown: an id nobody issued is an error, not a refusal.
func TestApproveUnknown(t *testing.T) {
	h := newHarness(t, nil, nil)
	for name, call := range map[string]func() error{
		"Approve": func() error { _, _, err := h.runner.Approve(t.Context(), "forged", bob); return err },
		"Deny":    func() error { _, _, err := h.runner.Deny(t.Context(), "forged", bob, ""); return err },
	} {
		if err := call(); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("%s of an unknown id: %v, want ENotFound", name, err)
		}
	}
}
