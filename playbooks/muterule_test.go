package playbooks

import (
	"context"
	"strings"
	"testing"

	"github.com/sccbot/sccbot/bot"
)

type fakeMuteRules struct{ created []bot.MuteRule }

func (f *fakeMuteRules) CreateMuteRule(_ context.Context, r bot.MuteRule) (string, error) {
	f.created = append(f.created, r)
	return r.Parent + "/muteConfigs/" + r.ID, nil
}

func proposeForTest(f bot.Finding) bot.MuteRule {
	if f.Category == "" {
		return bot.MuteRule{}
	}
	return bot.MuteRule{ID: "sccbot-x-1", Parent: "organizations/1/locations/global", Type: bot.MuteRuleDynamic,
		Filter: `category = "` + f.Category + `"`, Description: "from " + f.ShortID()}
}

func TestMuteRuleNeedsApprovalLikeMute(t *testing.T) {
	h := newHarness(t, nil, nil)
	rules := &fakeMuteRules{}
	two := Rule{Approvers: []string{"S0SEC"}, Approval: true, TwoPerson: true}
	r := runnerFor(h, map[string]Rule{bot.ActionMuteRule: two}, NewMuteRuleResponder(rules, proposeForTest))

	lines, err := r.Preview(h.finding, bot.ActionMuteRule)
	if err != nil {
		t.Fatal(err)
	}
	shown := strings.Join(lines, "\n")
	for _, want := range []string{"dynamic", "organizations/1/locations/global", `filter: category = "Execution: Added Binary Executed"`} {
		if !strings.Contains(shown, want) {
			t.Errorf("preview %q lacks %q", shown, want)
		}
	}
	req, msg, err := r.Request(t.Context(), h.finding, bot.ActionMuteRule, alice, "CI compiles here")
	if err != nil || msg != "" || req.State != bot.RequestPending {
		t.Fatalf("Request = %+v, %q, %v; want pending", req, msg, err)
	}
	if _, msg, _ := r.Approve(t.Context(), req.ID, alice); !strings.Contains(msg, "two-person") {
		t.Errorf("the requester approving got %q; want the two-person refusal", msg)
	}
	if len(rules.created) != 0 {
		t.Fatalf("a mute rule was created before an approver approved: %+v", rules.created)
	}
	done, msg, err := r.Approve(t.Context(), req.ID, bob)
	if err != nil || msg != "" || done.State != bot.RequestDone {
		t.Fatalf("Approve = %+v, %q, %v; want done", done, msg, err)
	}
	if len(rules.created) != 1 || rules.created[0].ID != "sccbot-x-1" {
		t.Errorf("created %+v, want the proposed rule once", rules.created)
	}
	if !strings.Contains(done.Result.Summary, "organizations/1/locations/global/muteConfigs/sccbot-x-1") {
		t.Errorf("outcome %q does not name the created mute config", done.Result.Summary)
	}
}

func TestMuteRuleRefusedWithoutASafeFilter(t *testing.T) {
	h := newHarness(t, nil, nil)
	rules := &fakeMuteRules{}
	r := runnerFor(h, map[string]Rule{bot.ActionMuteRule: {}}, NewMuteRuleResponder(rules, proposeForTest))
	f := h.finding
	f.Category = ""
	if _, _, err := r.Request(t.Context(), f, bot.ActionMuteRule, alice, "x"); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("Request error %v, want EInvalid", err)
	}
	if len(rules.created) != 0 {
		t.Error("a rule was created without a filter")
	}
}
