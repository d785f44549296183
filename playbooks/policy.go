package playbooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// DefaultExpiry is how long a request waits for approval when its rule
// does not say.
const DefaultExpiry = 30 * time.Minute

// Rule is the policy for one response action: who may request it, who may
// approve it, and how. A principal is a Slack user id (U…, W…) or a user
// group id (S…); ids, never handles, because handles can be renamed.
//
// The zero Rule lets anyone request the action and runs it at once; the
// configuration decides the defaults people see, this type only what they
// mean.
type Rule struct {
	// Requesters may request the action; empty means anyone.
	Requesters []string
	// Approvers may approve (and deny) requests. Required when Approval is
	// set: with none, nobody can approve and every request expires.
	Approvers []string
	// Approval makes a request wait for an approver; without it the action
	// runs as soon as it is requested.
	Approval bool
	// TwoPerson forbids the requester to approve their own request.
	TwoPerson bool
	// Expiry is how long a request waits for approval; zero means
	// DefaultExpiry.
	Expiry time.Duration
	// DryRun runs the action as a dry run: everything but the change.
	DryRun bool
	// RequireEvidence refuses a request until evidence was collected for
	// the finding (a collect_evidence request that is done, not a dry run).
	RequireEvidence bool
}

// Validate reports every problem of the rule for action, each on its own
// line, or nil. The configuration calls it at load, so that a typo cannot
// silently lock everyone out (or let everyone in).
func (r Rule) Validate(action string) error {
	var errs []error
	for _, p := range append(slices.Clone(r.Requesters), r.Approvers...) {
		if !validPrincipal(p) {
			errs = append(errs, fmt.Errorf("%s: %q is not a Slack user id (U…, W…) or user group id (S…)", action, p))
		}
	}
	if r.Approval && len(r.Approvers) == 0 {
		errs = append(errs, fmt.Errorf("%s: approval is required but no approvers are named", action))
	}
	if r.TwoPerson && !r.Approval {
		errs = append(errs, fmt.Errorf("%s: the two-person rule needs approval", action))
	}
	if r.Expiry < 0 {
		errs = append(errs, fmt.Errorf("%s: expiry %v is negative", action, r.Expiry))
	}
	return errors.Join(errs...)
}

// validPrincipal reports whether p looks like a Slack user or group id.
func validPrincipal(p string) bool {
	if len(p) < 2 || !strings.ContainsRune("UWS", rune(p[0])) {
		return false
	}
	for _, c := range p[1:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isGroup reports whether the principal names a user group.
func isGroup(p string) bool { return strings.HasPrefix(p, "S") }

// Groups resolves user group membership. The Slack adapter implements it
// with usergroups.users.list; wrap it in a GroupCache unless it caches by
// itself. An error means membership is unknown, and the policy then
// answers no.
type Groups interface {
	// Members returns the user ids in the group.
	Members(ctx context.Context, groupID string) ([]string, error)
}

// Policy decides who may request, approve and deny response actions. Its
// methods return a denial as a user-facing reason (plain text that names
// users and groups by id, for the chat adapter to render as mentions) and
// a system fault as an error; an error always means no.
type Policy struct {
	rules  map[string]Rule
	groups Groups
}

// NewPolicy returns the policy with a rule per action id. An action
// without a rule may not be requested at all. groups may be nil when no
// rule names a group (a rule that does is then always refused, with an
// error).
func NewPolicy(rules map[string]Rule, groups Groups) *Policy {
	p := &Policy{rules: make(map[string]Rule, len(rules)), groups: groups}
	for action, r := range rules {
		r.Requesters, r.Approvers = slices.Clone(r.Requesters), slices.Clone(r.Approvers)
		if r.Expiry == 0 {
			r.Expiry = DefaultExpiry
		}
		p.rules[action] = r
	}
	return p
}

// Rule returns the rule for action, defaults applied, and whether there is
// one.
func (p *Policy) Rule(action string) (Rule, bool) {
	r, ok := p.rules[action]
	r.Requesters, r.Approvers = slices.Clone(r.Requesters), slices.Clone(r.Approvers)
	return r, ok
}

// CanRequest says whether userID may request action. denied is empty when
// they may; err is a system fault (membership could not be checked) and
// means no.
func (p *Policy) CanRequest(ctx context.Context, userID, action string) (denied string, err error) {
	r, ok := p.rules[action]
	if !ok {
		return fmt.Sprintf("%s is not enabled: the response policy has no rule for it", action), nil
	}
	if userID == "" {
		return "the request has no user", nil
	}
	if len(r.Requesters) == 0 {
		return "", nil
	}
	return p.require(ctx, userID, r.Requesters, "request "+action)
}

// CanApprove says whether userID may approve req. Under the two-person
// rule the requester may not. For an action that needs no approval (its
// rule changed after the request), whoever may request it may approve it.
func (p *Policy) CanApprove(ctx context.Context, userID string, req bot.ActionRequest) (denied string, err error) {
	r, ok := p.rules[req.Action]
	switch {
	case !ok:
		return fmt.Sprintf("%s is no longer enabled: the response policy has no rule for it", req.Action), nil
	case userID == "":
		return "the approval has no user", nil
	case !r.Approval:
		return p.CanRequest(ctx, userID, req.Action)
	case r.TwoPerson && userID == req.RequestedBy:
		return fmt.Sprintf("you requested this %s; under the two-person rule someone else must approve it", req.Action), nil
	case len(r.Approvers) == 0:
		return fmt.Sprintf("no one may approve %s: the response policy names no approvers", req.Action), nil
	}
	return p.require(ctx, userID, r.Approvers, "approve "+req.Action)
}

// CanDeny says whether userID may deny req: an approver may, and so may
// the requester, withdrawing their own request.
func (p *Policy) CanDeny(ctx context.Context, userID string, req bot.ActionRequest) (denied string, err error) {
	if userID == "" {
		return "the denial has no user", nil
	}
	if userID == req.RequestedBy {
		return "", nil
	}
	r, ok := p.rules[req.Action]
	if !ok || len(r.Approvers) == 0 {
		return fmt.Sprintf("only the requester may withdraw this %s", req.Action), nil
	}
	denied, err = p.require(ctx, userID, r.Approvers, "deny "+req.Action)
	if denied != "" {
		denied = fmt.Sprintf("only the requester or %s may deny %s", describe(r.Approvers), req.Action)
	}
	return denied, err
}

// require allows userID if it is one of the principals or in one of their
// groups; what is the phrase for the denial ("approve isolate_pod").
func (p *Policy) require(ctx context.Context, userID string, principals []string, what string) (string, error) {
	ok, err := p.member(ctx, userID, principals)
	if ok {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("check who may %s: %w", what, err)
	}
	return fmt.Sprintf("only %s may %s", describe(principals), what), nil
}

// member reports whether userID is one of the principals. User ids are
// compared first, with no lookup; then groups in order. A failed lookup
// does not stop the search (another group may vouch for the user), but
// when none does, the failure is returned: the answer is not known, so
// it is no.
func (p *Policy) member(ctx context.Context, userID string, principals []string) (bool, error) {
	if slices.ContainsFunc(principals, func(pr string) bool { return !isGroup(pr) && pr == userID }) {
		return true, nil
	}
	var errs []error
	for _, g := range principals {
		if !isGroup(g) {
			continue
		}
		if p.groups == nil {
			errs = append(errs, fmt.Errorf("members of %s: no user group lookup is configured", g))
			continue
		}
		members, err := p.groups.Members(ctx, g)
		if err != nil {
			errs = append(errs, fmt.Errorf("members of %s: %w", g, err))
			continue
		}
		if slices.Contains(members, userID) {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}

// describe names principals for a denial: "members of S0SECOPS or U0LEAD".
// No chat markup: the adapter turns the ids into mentions.
func describe(principals []string) string {
	parts := make([]string, len(principals))
	for i, pr := range principals {
		if isGroup(pr) {
			parts[i] = "members of " + pr
		} else {
			parts[i] = pr
		}
	}
	return strings.Join(parts, " or ")
}
