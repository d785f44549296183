package playbooks

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// fakeGroups is a Groups with fixed members; a group in fail errors.
type fakeGroups struct {
	mu      sync.Mutex
	members map[string][]string
	fail    map[string]error
	calls   map[string]int
}

func (g *fakeGroups) Members(_ context.Context, id string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.calls == nil {
		g.calls = map[string]int{}
	}
	g.calls[id]++
	if err := g.fail[id]; err != nil {
		return nil, err
	}
	return g.members[id], nil
}

func (g *fakeGroups) callsTo(id string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[id]
}

var errSlackDown = errors.New("usergroups.users.list: invalid_auth")

// testPolicy is the policy the table tests share:
//   - isolate_pod: requested by S0SEC members or U0LEAD, approved by S0SEC
//     or U0LEAD, two-person;
//   - delete_pod: anyone requests, S0SEC approves, requester may approve;
//   - mute: anyone, no approval;
//   - page_owner: approvals by S0DOWN, whose lookup fails, and S0SEC;
//   - resolve: approval with no approvers named.
func testPolicy() (*Policy, *fakeGroups) {
	groups := &fakeGroups{
		members: map[string][]string{"S0SEC": {"U0ALICE", "U0BOB"}, "S0EMPTY": nil},
		fail:    map[string]error{"S0DOWN": errSlackDown},
	}
	return NewPolicy(map[string]Rule{
		bot.ActionIsolatePod: {Requesters: []string{"S0SEC", "U0LEAD"}, Approvers: []string{"S0SEC", "U0LEAD"},
			Approval: true, TwoPerson: true},
		bot.ActionDeletePod:  {Approvers: []string{"S0SEC"}, Approval: true},
		bot.ActionMute:       {},
		bot.ActionPageOwner:  {Requesters: []string{"S0DOWN", "S0SEC"}, Approvers: []string{"S0DOWN", "S0SEC"}, Approval: true},
		bot.ActionResolve:    {Approval: true},
		bot.ActionCordonNode: {Requesters: []string{"S0DOWN"}},
	}, groups), groups
}

// checkAnswer compares a policy answer: denied must contain wantDenied
// (empty: allowed), and err must be set exactly when wantErr.
func checkAnswer(t *testing.T, name, denied string, err error, wantDenied string, wantErr bool) {
	t.Helper()
	if (err != nil) != wantErr {
		t.Errorf("%s: err = %v, want error: %v", name, err, wantErr)
	}
	if wantErr && denied != "" {
		t.Errorf("%s: denied %q together with an error; a fault is not a reason", name, denied)
	}
	switch {
	case wantDenied == "" && denied != "":
		t.Errorf("%s: denied %q, want allowed", name, denied)
	case wantDenied != "" && !strings.Contains(denied, wantDenied):
		t.Errorf("%s: denied %q, want a reason containing %q", name, denied, wantDenied)
	}
}

func TestCanRequest(t *testing.T) {
	p, _ := testPolicy()
	for _, tc := range []struct {
		name, user, action string
		denied             string
		err                bool
	}{
		{"unknown action", "U0ALICE", bot.ActionCloudRunRollback, "cloudrun_rollback is not enabled", false},
		{"anyone may request", "U0STRANGER", bot.ActionDeletePod, "", false},
		{"rule without requesters", "U0STRANGER", bot.ActionMute, "", false},
		{"listed user", "U0LEAD", bot.ActionIsolatePod, "", false},
		{"group member", "U0BOB", bot.ActionIsolatePod, "", false},
		{"outsider", "U0STRANGER", bot.ActionIsolatePod, "only members of S0SEC or U0LEAD may request isolate_pod", false},
		{"no user", "", bot.ActionMute, "no user", false},
		{"one group down, member of another", "U0ALICE", bot.ActionPageOwner, "", false},
		{"one group down, member of none", "U0STRANGER", bot.ActionPageOwner, "", true},
		{"only group down", "U0ALICE", bot.ActionCordonNode, "", true},
		{"group ids are not user ids", "S0SEC", bot.ActionIsolatePod, "only members of", false},
	} {
		denied, err := p.CanRequest(t.Context(), tc.user, tc.action)
		checkAnswer(t, tc.name, denied, err, tc.denied, tc.err)
	}
}

func TestCanApprove(t *testing.T) {
	p, _ := testPolicy()
	req := func(action, by string) bot.ActionRequest {
		return bot.ActionRequest{ID: "r1", Action: action, RequestedBy: by, State: bot.RequestPending}
	}
	for _, tc := range []struct {
		name, user string
		req        bot.ActionRequest
		denied     string
		err        bool
	}{
		{"approver by group", "U0BOB", req(bot.ActionIsolatePod, "U0ALICE"), "", false},
		{"approver by id", "U0LEAD", req(bot.ActionIsolatePod, "U0ALICE"), "", false},
		{"non-approver", "U0STRANGER", req(bot.ActionIsolatePod, "U0ALICE"), "only members of S0SEC or U0LEAD may approve isolate_pod", false},
		{"own request, two-person", "U0ALICE", req(bot.ActionIsolatePod, "U0ALICE"), "under the two-person rule someone else must approve it", false},
		{"own request by id, two-person", "U0LEAD", req(bot.ActionIsolatePod, "U0LEAD"), "two-person rule", false},
		{"own request, no two-person rule", "U0ALICE", req(bot.ActionDeletePod, "U0ALICE"), "", false},
		{"non-member, no two-person rule", "U0LEAD", req(bot.ActionDeletePod, "U0ALICE"), "only members of S0SEC may approve delete_pod", false},
		{"lookup fails, member elsewhere", "U0BOB", req(bot.ActionPageOwner, "U0ALICE"), "", false},
		{"lookup fails, member nowhere", "U0STRANGER", req(bot.ActionPageOwner, "U0ALICE"), "", true},
		{"no approvers named", "U0ALICE", req(bot.ActionResolve, "U0BOB"), "no one may approve resolve", false},
		{"no rule any more", "U0ALICE", req(bot.ActionCloudRunRollback, "U0BOB"), "no longer enabled", false},
		{"no approval needed: requesters may", "U0STRANGER", req(bot.ActionMute, "U0BOB"), "", false},
		{"no user", "", req(bot.ActionIsolatePod, "U0ALICE"), "no user", false},
	} {
		denied, err := p.CanApprove(t.Context(), tc.user, tc.req)
		checkAnswer(t, tc.name, denied, err, tc.denied, tc.err)
	}
}

func TestCanDeny(t *testing.T) {
	p, _ := testPolicy()
	req := func(action, by string) bot.ActionRequest {
		return bot.ActionRequest{ID: "r1", Action: action, RequestedBy: by, State: bot.RequestPending}
	}
	for _, tc := range []struct {
		name, user string
		req        bot.ActionRequest
		denied     string
		err        bool
	}{
		{"approver", "U0BOB", req(bot.ActionIsolatePod, "U0ALICE"), "", false},
		{"requester withdraws, though no approver", "U0STRANGER", req(bot.ActionDeletePod, "U0STRANGER"), "", false},
		{"outsider", "U0STRANGER", req(bot.ActionIsolatePod, "U0ALICE"), "only the requester or members of S0SEC or U0LEAD may deny isolate_pod", false},
		{"lookup fails", "U0STRANGER", req(bot.ActionPageOwner, "U0ALICE"), "", true},
		{"no rule any more: requester", "U0ALICE", req(bot.ActionCloudRunRollback, "U0ALICE"), "", false},
		{"no rule any more: others", "U0BOB", req(bot.ActionCloudRunRollback, "U0ALICE"), "only the requester may withdraw", false},
		{"no user", "", req(bot.ActionIsolatePod, ""), "no user", false},
	} {
		denied, err := p.CanDeny(t.Context(), tc.user, tc.req)
		checkAnswer(t, tc.name, denied, err, tc.denied, tc.err)
	}
}

// TestPolicyLookups checks that user ids are matched without a lookup and
// that a nil Groups fails closed.
func TestPolicyLookups(t *testing.T) {
	p, groups := testPolicy()
	if denied, err := p.CanRequest(t.Context(), "U0LEAD", bot.ActionIsolatePod); denied != "" || err != nil {
		t.Fatalf("CanRequest(U0LEAD) = %q, %v", denied, err)
	}
	if n := groups.callsTo("S0SEC"); n != 0 {
		t.Errorf("a listed user cost %d group lookups, want 0", n)
	}
	noGroups := NewPolicy(map[string]Rule{bot.ActionMute: {Requesters: []string{"S0SEC"}}}, nil)
	denied, err := noGroups.CanRequest(t.Context(), "U0ALICE", bot.ActionMute)
	checkAnswer(t, "group rule without Groups", denied, err, "", true)
}

func TestNewPolicyDefaultsAndCopies(t *testing.T) {
	approvers := []string{"S0SEC"}
	rules := map[string]Rule{bot.ActionMute: {Approvers: approvers, Approval: true}, bot.ActionResolve: {Expiry: time.Hour}}
	p := NewPolicy(rules, &fakeGroups{})
	approvers[0] = "U0EVIL"
	rules[bot.ActionDeletePod] = Rule{}
	mute, ok := p.Rule(bot.ActionMute)
	if !ok || mute.Expiry != DefaultExpiry || mute.Approvers[0] != "S0SEC" {
		t.Errorf("Rule(mute) = %+v, %v; want the default expiry and the approvers as given", mute, ok)
	}
	mute.Approvers[0] = "U0EVIL"
	if again, _ := p.Rule(bot.ActionMute); again.Approvers[0] != "S0SEC" {
		t.Errorf("changing a returned rule changed the policy: %v", again.Approvers)
	}
	if r, _ := p.Rule(bot.ActionResolve); r.Expiry != time.Hour {
		t.Errorf("Rule(resolve).Expiry = %v, want 1h", r.Expiry)
	}
	if _, ok := p.Rule(bot.ActionDeletePod); ok {
		t.Error("a rule added to the map after NewPolicy is in the policy")
	}
}

func TestRuleValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule Rule
		want []string
	}{
		{"good", Rule{Requesters: []string{"U01", "W02"}, Approvers: []string{"S0SEC"}, Approval: true, TwoPerson: true}, nil},
		{"no approval", Rule{}, nil},
		{"handles are not ids", Rule{Requesters: []string{"@secops"}, Approvers: []string{"u0lower", "S0SEC"}, Approval: true},
			[]string{`"@secops" is not a Slack user id`, `"u0lower" is not`}},
		{"approval without approvers", Rule{Approval: true}, []string{"no approvers"}},
		{"two-person without approval", Rule{TwoPerson: true}, []string{"two-person rule needs approval"}},
		{"negative expiry", Rule{Expiry: -time.Minute}, []string{"expiry -1m0s is negative"}},
	} {
		err := tc.rule.Validate("isolate_pod")
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%s: Validate = %v, want nil", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: Validate = nil, want %q", tc.name, tc.want)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) || !strings.Contains(err.Error(), "isolate_pod: ") {
				t.Errorf("%s: Validate = %q, want it to name the action and contain %q", tc.name, err, w)
			}
		}
	}
}
