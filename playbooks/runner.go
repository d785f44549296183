package playbooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// RequestStore is what the Runner keeps requests and the audit log in.
// *sqlite.DB implements it; storetest.RunRequests is its contract.
type RequestStore interface {
	// CreateRequest stores a new pending request, or returns the finding's
	// open request for the same action with created false.
	CreateRequest(ctx context.Context, r bot.ActionRequest) (stored bot.ActionRequest, created bool, err error)
	// Request returns the request with the id, or ENotFound.
	Request(ctx context.Context, id string) (bot.ActionRequest, error)
	// TransitionRequest atomically moves the request to to if it is in a
	// from state (ok true), else returns it as it is (ok false).
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
	// AppendAudit appends an event to the audit log.
	AppendAudit(ctx context.Context, ev bot.AuditEvent) error
	// Finding returns the stored finding, which an approved request acts on.
	Finding(ctx context.Context, name string) (bot.Finding, error)
}

// Marker sets SCC security marks on a finding; bot/scc's Client does.
type Marker interface {
	SetMarks(ctx context.Context, findingName string, marks map[string]string) error
}

// RunnerOptions are the Runner's optional settings; zero values get
// defaults.
type RunnerOptions struct {
	// Marks records outcomes on the findings as SCC security marks; nil
	// sets none.
	Marks Marker
	// Logger receives the audit lines and faults (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// NewID makes request ids (default: 16 random bytes, hex).
	NewID func() string
	// ExecTimeout bounds one execution (default 5m). A request running
	// for longer than this (plus a minute's grace) was lost to a restart.
	ExecTimeout time.Duration
	// SweepEvery is how often Run expires requests (default 30s).
	SweepEvery time.Duration
	// Zone is the time zone of the times in messages (default UTC).
	Zone *time.Location
	// Replicas, when several replicas share the store, records which
	// replica runs each request, so that the sweep shows a request whose
	// replica died as interrupted at once instead of after ExecTimeout.
	// Nil for one replica.
	Replicas *ReplicaOptions
}

// Actors the runner records for what it does itself.
const (
	// System is the actor of what sccbot does itself (expiry, execution,
	// results, approval of actions that need none).
	System = "sccbot"
)

// Security mark keys and outcomes set on a finding after an action.
const (
	MarkAction  = "sccbot_action"
	MarkOutcome = "sccbot_outcome"
	MarkRequest = "sccbot_request"

	OutcomeDone   = "done"
	OutcomeFailed = "failed"
	OutcomeDryRun = "dry_run"
)

// Runner carries response actions through request, approval and execution:
// it applies the Policy, runs each approved action exactly once however
// often it is approved (the store's compare-and-set on the request state
// decides who runs it), and writes every step to the audit log and the
// log. It is safe for concurrent use.
//
// Every method that changes a request returns (request, message, error)
// in the style of Policy: message is for the user when nothing new
// happened (refused, already decided, a duplicate, expired); error is a
// system fault.
type Runner struct {
	store       RequestStore
	policy      *Policy
	responders  map[string]bot.Responder
	marks       Marker
	log         *slog.Logger
	now         func() time.Time
	newID       func() string
	execTimeout time.Duration
	sweepEvery  time.Duration
	feed        *RequestFeed
	zone        *time.Location
	replicas    *ReplicaOptions

	drain drainer
	// mu guards executing: the requests this process is running, which
	// the stale sweep must not mistake for ones lost to a restart.
	mu        sync.Mutex
	executing map[string]bool
}

// NewRunner returns a runner. responders are indexed by the actions they
// list; when two list the same action the first is used and the clash is
// logged.
func NewRunner(store RequestStore, policy *Policy, responders []bot.Responder, opts RunnerOptions) *Runner {
	marks := opts.Marks
	r := &Runner{
		store: store, policy: policy, marks: marks, responders: map[string]bot.Responder{},
		log: opts.Logger, now: opts.Now, newID: opts.NewID,
		execTimeout: opts.ExecTimeout, sweepEvery: opts.SweepEvery, feed: newRequestFeed(), zone: opts.Zone,
		replicas:  opts.Replicas,
		executing: map[string]bool{},
	}
	r.setDefaults()
	for _, resp := range responders {
		for _, action := range resp.Actions() {
			if _, dup := r.responders[action]; dup {
				r.log.Error("two responders carry out one action; using the first", "action", action)
				continue
			}
			r.responders[action] = resp
		}
	}
	return r
}

// setDefaults fills in the options left zero.
func (r *Runner) setDefaults() {
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.zone == nil {
		r.zone = time.UTC
	}
	if r.newID == nil {
		r.newID = randomID
	}
	if r.execTimeout <= 0 {
		r.execTimeout = 5 * time.Minute
	}
	if r.sweepEvery <= 0 {
		r.sweepEvery = 30 * time.Second
	}
}

// randomID is 16 random bytes in hex: unguessable, so a forged button
// value cannot name someone else's request.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand crashes the program instead)
	return hex.EncodeToString(b)
}

// Preview says what action would touch on f, for the request dialog.
func (r *Runner) Preview(f bot.Finding, action string) ([]string, error) {
	resp, ok := r.responders[action]
	if !ok {
		return nil, bot.Errorf(bot.EInvalid, "no responder carries out %s", action)
	}
	lines, err := resp.Preview(f, action)
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", action, err)
	}
	return lines, nil
}

// Request asks for action on f on behalf of userID. It checks the policy
// (a refusal is audited and returned as the message), that a responder
// can act on f (else the error), and joins the finding's open request for
// the action if there is one (returned with a message saying so: a
// double click or a redelivered envelope requests nothing twice).
// Otherwise it creates a pending request and audits it; when the action's
// rule needs no approval it runs it at once, before returning.
func (r *Runner) Request(ctx context.Context, f bot.Finding, action, userID, reason string) (bot.ActionRequest, string, error) {
	if !r.drain.start() {
		return bot.ActionRequest{}, msgShuttingDown, nil
	}
	defer r.drain.done()
	ev := bot.AuditEvent{Finding: f.Name, Action: action, Actor: userID}
	denied, err := r.policy.CanRequest(ctx, userID, action)
	if msg := r.refuse(ctx, ev, "request "+action, denied, err); msg != "" {
		return bot.ActionRequest{}, msg, nil
	}
	if _, err := r.Preview(f, action); err != nil {
		ev.Event, ev.Detail = bot.AuditRefused, bot.ErrorMessage(err)
		r.audit(ctx, ev)
		return bot.ActionRequest{}, "", err
	}
	rule, _ := r.policy.Rule(action)
	if rule.RequireEvidence {
		ok, err := r.HasEvidence(ctx, f.Name)
		if err != nil {
			return bot.ActionRequest{}, "", err
		}
		if !ok {
			ev.Event, ev.Detail = bot.AuditRefused, MsgNeedsEvidence
			r.audit(ctx, ev)
			return bot.ActionRequest{}, MsgNeedsEvidence, nil
		}
	}
	req, created, err := r.create(ctx, f.Name, action, userID, reason, rule)
	if err != nil {
		return bot.ActionRequest{}, "", err
	}
	if !created {
		return req, r.alreadyRequested(req), nil
	}
	r.audit(ctx, eventFor(req, bot.AuditRequested, userID, requestDetail(req)))
	if rule.Approval {
		return req, "", nil
	}
	return r.execute(ctx, req, f, System, "no approval required")
}

// MsgNeedsEvidence refuses an action whose rule requires evidence first.
const MsgNeedsEvidence = "the response policy requires evidence before this action (require_evidence), and none " +
	"was collected for this finding yet: collect evidence first, then ask again"

// HasEvidence reports whether evidence was collected for the finding: a
// collect_evidence request that finished well and was not a dry run.
func (r *Runner) HasEvidence(ctx context.Context, finding string) (bool, error) {
	reqs, err := r.store.RequestsForFinding(ctx, finding)
	if err != nil {
		return false, fmt.Errorf("check the evidence of %s: %w", finding, err)
	}
	for _, q := range reqs {
		if q.Action == bot.ActionCollectEvidence && q.State == bot.RequestDone && !q.DryRun {
			return true, nil
		}
	}
	return false, nil
}

// create stores a new pending request, or returns the open one. An open
// request already past its expiry (the sweep has not reached it yet) is
// expired first, so that it does not swallow the new request.
func (r *Runner) create(ctx context.Context, finding, action, userID, reason string, rule Rule) (bot.ActionRequest, bool, error) {
	now := r.now()
	req := bot.ActionRequest{
		ID: r.newID(), Finding: finding, Action: action, Reason: reason, DryRun: rule.DryRun,
		RequestedBy: userID, RequestedAt: now, ExpiresAt: now.Add(rule.Expiry), State: bot.RequestPending,
	}
	got, created, err := r.store.CreateRequest(ctx, req)
	if err == nil && !created && got.State == bot.RequestPending && !now.Before(got.ExpiresAt) {
		if _, err = r.expire(ctx, got); err == nil {
			got, created, err = r.store.CreateRequest(ctx, req)
		}
	}
	if err != nil {
		return bot.ActionRequest{}, false, fmt.Errorf("request %s on %s: %w", action, finding, err)
	}
	return got, created, nil
}

// Approve approves request id on behalf of userID and, if this call is the
// one that moves it from pending to running, runs the action (bounded by
// ExecTimeout, and not cancelled with ctx: an action is never abandoned
// half done) and returns the finished request. A request already decided,
// running, expired or past its expiry is returned as it is with a message
// saying so; nothing runs twice. The finding the action acts on is
// reloaded from the store, never taken from the click.
func (r *Runner) Approve(ctx context.Context, id, userID string) (bot.ActionRequest, string, error) {
	if !r.drain.start() {
		return bot.ActionRequest{}, msgShuttingDown, nil
	}
	defer r.drain.done()
	req, msg, err := r.load(ctx, id)
	if err != nil || msg != "" {
		return req, msg, err
	}
	denied, err := r.policy.CanApprove(ctx, userID, req)
	if msg := r.refuse(ctx, eventFor(req, "", userID, ""), "approve "+req.Action, denied, err); msg != "" {
		return req, msg, nil
	}
	f, err := r.store.Finding(ctx, req.Finding)
	if err != nil {
		return req, "", fmt.Errorf("approve request %s: %w", id, err)
	}
	return r.execute(ctx, req, f, userID, "")
}

// Deny denies (or, for the requester, withdraws) pending request id.
func (r *Runner) Deny(ctx context.Context, id, userID, reason string) (bot.ActionRequest, string, error) {
	if !r.drain.start() {
		return bot.ActionRequest{}, msgShuttingDown, nil
	}
	defer r.drain.done()
	req, msg, err := r.load(ctx, id)
	if err != nil || msg != "" {
		return req, msg, err
	}
	denied, err := r.policy.CanDeny(ctx, userID, req)
	if msg := r.refuse(ctx, eventFor(req, "", userID, ""), "deny "+req.Action, denied, err); msg != "" {
		return req, msg, nil
	}
	now := r.now()
	got, ok, err := r.store.TransitionRequest(ctx, id, []bot.RequestState{bot.RequestPending}, bot.RequestDenied,
		func(q *bot.ActionRequest) { q.DecidedBy, q.DecidedAt = userID, now })
	if err != nil {
		return req, "", fmt.Errorf("deny request %s: %w", id, err)
	}
	if !ok {
		return got, r.already(got), nil
	}
	detail := reason
	if userID == req.RequestedBy {
		detail = joinDetail("withdrawn by the requester", reason)
	}
	r.audit(ctx, eventFor(got, bot.AuditDenied, userID, detail))
	r.changed(ctx, got)
	return got, "", nil
}

// load reads a request for a decision. A request that can no longer be
// decided comes back with a message: already decided, running, or past
// its expiry (which load records, as the sweep would have).
func (r *Runner) load(ctx context.Context, id string) (bot.ActionRequest, string, error) {
	req, err := r.store.Request(ctx, id)
	if err != nil {
		return bot.ActionRequest{}, "", fmt.Errorf("load request %s: %w", id, err)
	}
	if req.State != bot.RequestPending {
		return req, r.already(req), nil
	}
	if r.now().Before(req.ExpiresAt) {
		return req, "", nil
	}
	got, err := r.expire(ctx, req)
	if err != nil {
		return req, "", err
	}
	return got, r.already(got), nil
}

// SetMessage records where request id is shown (its reply in the card's
// thread), so that later updates edit that message.
func (r *Runner) SetMessage(ctx context.Context, id string, ref bot.MessageRef) error {
	if err := r.store.SetRequestMessage(ctx, id, ref); err != nil {
		return fmt.Errorf("record message of request %s: %w", id, err)
	}
	return nil
}

// Feed is where the runner publishes every state change of a request
// (not the creation of a pending one, which its requester shows), in
// order: the one place that shows requests reads it.
func (r *Runner) Feed() *RequestFeed { return r.feed }

// Requests returns the finding's requests, oldest first, for its card.
func (r *Runner) Requests(ctx context.Context, finding string) ([]bot.ActionRequest, error) {
	rs, err := r.store.RequestsForFinding(ctx, finding)
	if err != nil {
		return nil, fmt.Errorf("list requests of %s: %w", finding, err)
	}
	return rs, nil
}
