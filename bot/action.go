package bot

import (
	"context"
	"time"
)

// Response actions a responder can request. They are the playbooks'
// action ids, and a stable interface: policies in configuration name them.
const (
	ActionIsolatePod              = "isolate_pod"
	ActionDeletePod               = "delete_pod"
	ActionCordonNode              = "cordon_node"
	ActionCloudRunRollback        = "cloudrun_rollback"
	ActionCloudRunCancelExecution = "cloudrun_cancel_execution"
	ActionPageOwner               = "page_owner"
	ActionMute                    = "mute"
	ActionResolve                 = "resolve"
	// ActionMuteRule creates an SCC mute rule proposed from a finding; it
	// follows the mute policy unless configured on its own.
	ActionMuteRule = "mute_rule"
)

// RequestState is where an action request is in its life.
type RequestState string

// Request states. A request moves pending → running → done|failed, or
// pending → denied|expired; nothing else. running is entered exactly once,
// which is what makes an action run once however often it is approved.
const (
	RequestPending RequestState = "pending"
	RequestRunning RequestState = "running"
	RequestDone    RequestState = "done"
	RequestFailed  RequestState = "failed"
	RequestDenied  RequestState = "denied"
	RequestExpired RequestState = "expired"
)

// Final reports whether the state is an end state.
func (s RequestState) Final() bool {
	switch s {
	case RequestDone, RequestFailed, RequestDenied, RequestExpired:
		return true
	}
	return false
}

// ActionRequest is a person's request to run a response action on a
// finding, and what became of it.
type ActionRequest struct {
	// ID is an opaque random id; approval buttons carry it.
	ID      string
	Finding string
	Action  string
	Reason  string
	// DryRun requests do everything but the change.
	DryRun bool

	RequestedBy string
	RequestedAt time.Time
	ExpiresAt   time.Time

	State RequestState
	// DecidedBy approved or denied it, at DecidedAt.
	DecidedBy string
	DecidedAt time.Time
	// FinishedAt is when it reached done or failed.
	FinishedAt time.Time
	Result     ActionResult
	// Error is the user-safe reason a failed request failed.
	Error string

	// Message is where the request is shown (a reply in the card's thread).
	Message MessageRef
}

// ActionResult says what an action did.
type ActionResult struct {
	// Summary is one line: "Pod payments/checkout-x isolated".
	Summary string
	// Details list what was touched, step by step.
	Details []string
	DryRun  bool
	// Links are places the result points to (the evidence objects, a
	// VirusTotal report), shown with the outcome.
	Links []ResultLink `json:",omitempty"`
}

// ResultLink is a labelled link in an action's result. URL may be a
// gs:// location, which chat shows as text.
type ResultLink struct {
	Label string
	URL   string
}

// AuditEvent is one line of the audit log: every request, decision,
// expiry, execution and result.
type AuditEvent struct {
	ID      int64
	At      time.Time
	Event   string // requested, refused, approved, denied, expired, started, succeeded, failed
	Request string
	Finding string
	Action  string
	// Actor is the chat user id, or "sccbot" for what the bot did itself.
	Actor  string
	Detail string
}

// Audit event names.
const (
	AuditRequested = "requested"
	AuditRefused   = "refused"
	AuditApproved  = "approved"
	AuditDenied    = "denied"
	AuditExpired   = "expired"
	AuditStarted   = "started"
	AuditSucceeded = "succeeded"
	AuditFailed    = "failed"
	// AuditVerdict records the verdict a resolve gave (its detail is the
	// verdict's value, then the note).
	AuditVerdict = "verdict"
)

// Responder carries out response actions on a finding's workload. Each
// adapter (GKE, Cloud Run, PagerDuty, SCC) implements it for its actions.
type Responder interface {
	// Actions lists the action ids it carries out.
	Actions() []string
	// Preview says, from the finding alone and without calling anything
	// (it runs before a dialog opens), what the action will touch.
	Preview(f Finding, action string) ([]string, error)
	// Execute carries the action out. With dryRun it does everything but
	// the change (a server-side dry run where the API has one) and says
	// so in the result. It is idempotent: running it again on a workload
	// already in the target state succeeds and says so.
	Execute(ctx context.Context, f Finding, action string, dryRun bool) (ActionResult, error)
}

// Owner is a person or group responsible for a project.
type Owner struct {
	Email string
	// Source says where the owner was found: "finding contacts",
	// "essential contacts", "IAM owner".
	Source string
}
