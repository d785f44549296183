package playbooks

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// TestEscalateApprovedRunsOnceAndIsShown: an escalation allowed to act
// without approval runs at once, on the bot's behalf, publishes its
// creation (nobody's click shows it) and is not doubled by a retry.
func TestEscalateApprovedRunsOnceAndIsShown(t *testing.T) {
	h := newHarness(t, nil, nil)
	req, err := h.runner.Escalate(t.Context(), h.finding, bot.ActionIsolatePod, "nobody acknowledged it", true)
	if err != nil || req.State != bot.RequestDone || req.RequestedBy != System || req.DecidedBy != System {
		t.Fatalf("Escalate = %+v, %v; want done, asked and decided by %s", req, err, System)
	}
	h.wantRuns(execution{Action: bot.ActionIsolatePod})
	if diff := cmp.Diff([]string{"req-1 pending", "req-1 running", "req-1 done"}, h.changed()); diff != "" {
		t.Errorf("published changes (-want +got):\n%s", diff)
	}
	h.wantTrail(
		step{bot.AuditRequested, "req-1", System, "nobody acknowledged it"},
		step{bot.AuditApproved, "req-1", System, "escalation policy: no approval required"},
		step{bot.AuditStarted, "req-1", System, ""},
		step{bot.AuditSucceeded, "req-1", System, "Pod checkout-7d4b isolated"},
	)
}

// TestEscalateUnderApprovalWaits: without approved, the action's rule
// holds the request for its approvers, and a second escalation joins it.
func TestEscalateUnderApprovalWaits(t *testing.T) {
	h := newHarness(t, nil, nil)
	first, err := h.runner.Escalate(t.Context(), h.finding, bot.ActionIsolatePod, "nobody acknowledged it", false)
	if err != nil || first.State != bot.RequestPending {
		t.Fatalf("Escalate = %+v, %v; want a pending request", first, err)
	}
	again, err := h.runner.Escalate(t.Context(), h.finding, bot.ActionIsolatePod, "still nobody", false)
	if err != nil || again.ID != first.ID {
		t.Fatalf("second Escalate = %+v, %v; want the open request %s joined", again, err, first.ID)
	}
	h.wantRuns()
	if _, msg, err := h.runner.Approve(t.Context(), first.ID, bob); err != nil || msg != "" {
		t.Fatalf("approval by bob: %q, %v", msg, err)
	}
	h.wantRuns(execution{Action: bot.ActionIsolatePod})
}

// TestEscalateNeedsTheActionEnabled: an escalation cannot do what the
// operator did not enable.
func TestEscalateNeedsTheActionEnabled(t *testing.T) {
	h := newHarness(t, nil, nil)
	_, err := h.runner.Escalate(t.Context(), h.finding, bot.ActionPageOwner, "x", true)
	if err == nil || !strings.Contains(bot.ErrorMessage(err), "not enabled") {
		t.Fatalf("Escalate of a disabled action: %v", err)
	}
	h.wantRuns()
}
