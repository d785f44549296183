package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/bot/sqlite"
)

// seedCopy publishes the seed as a new finding with the given id and
// returns its card (the n-th card in the channel) and its name.
func (h *respondHarness) seedCopy(key, channel, id string, n int) (slackfake.Message, string) {
	h.t.Helper()
	raw := sccfake.WithFindingID(seed(h.t, key), id)
	if err := h.fakes.scc.AddNotification(raw); err != nil {
		h.t.Fatal(err)
	}
	h.fakes.publish(raw)
	cards := h.waitCards(channel, n)
	f, _ := sccfake.SeedFinding(key)
	name := f.GetName()
	return cards[n-1], name[:strings.LastIndex(name, "/")+1] + id
}

// openResolve clicks Resolve on the card and returns the dialog's view.
func (h *respondHarness) openResolve(card slackfake.Message, user string) slackfake.View {
	h.t.Helper()
	n := len(h.fakes.slack.Views())
	h.press(card, "finding.resolve", user)
	views, err := h.fakes.slack.WaitViews(testContext(h.t), n+1)
	if err != nil {
		h.t.Fatalf("Resolve opened no dialog: %v", err)
	}
	return views[n]
}

// submitResolve submits the resolve dialog and returns the ack's payload
// (empty unless the dialog refused the submission).
func (h *respondHarness) submitResolve(view slackfake.View, user, verdict, note string) string {
	h.t.Helper()
	sub := h.fakes.slack.ViewSubmissionPayload(slackfake.ViewSubmission{UserID: user, ViewID: view.ID,
		Values: map[string]map[string]string{"verdict": {"verdict": verdict}, "note": {"note": note}}})
	ack, err := h.fakes.slack.SendAndWaitAck(testContext(h.t), "interactive", sub)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(ack.Payload)
}

// waitVerdictMarks waits until SCC's copy of the finding carries the
// verdict marks and returns them.
func (h *respondHarness) waitVerdictMarks(name string, v bot.Verdict) map[string]string {
	h.t.Helper()
	var marks map[string]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		f, _ := h.fakes.scc.Finding(name)
		if marks = f.GetSecurityMarks().GetMarks(); marks[bot.MarkVerdict] == string(v) {
			return marks
		}
	}
	h.t.Fatalf("finding %s marks %v never carried verdict %s", name, marks, v)
	return nil
}

// Each of the five verdicts, given in the Resolve dialog: the finding goes
// INACTIVE in SCC with both marks, the card shows the verdict, and
// /finding list verdict=false_positive lists exactly the false positive.
func TestE2EVerdictEachOnResolve(t *testing.T) {
	t.Parallel()
	h := newRespondHarness(t, false)
	ids := map[bot.Verdict]string{}
	for i, v := range bot.Verdicts() {
		id := fmt.Sprintf("7e57%028d", i+1)
		ids[v] = id
		card, name := h.seedCopy(sccfake.SeedGKECompiler, "#secops-gke", id, i+1)
		view := h.openResolve(card, alice)
		wantAll(t, "resolve dialog", string(view.View), "resolve.request", "static_select", "true_positive", "false_positive",
			"benign", "duplicate", `"test"`)
		if strings.Contains(string(view.View), "initial_option") {
			t.Errorf("the verdict has a default: %s", view.View)
		}
		if ack := h.submitResolve(view, alice, "", "no verdict"); !strings.Contains(ack, `"response_action":"errors"`) {
			t.Errorf("a submission without a verdict was accepted: %s", ack)
		}
		if ack := h.submitResolve(view, alice, string(v), "checked the image by hand"); ack != "" && ack != "{}" && ack != "null" {
			t.Fatalf("resolve refused: %s", ack)
		}
		done := h.reply(card, "✅")
		wantAll(t, "resolve outcome", texts(t, done), "requested by <@U0ALICE> as", strings.ToLower(v.Label()), "INACTIVE")
		h.edited(card, "Resolved as *"+strings.ToLower(v.Label())+"* by <@U0ALICE>: checked the image by hand")
		marks := h.waitVerdictMarks(name, v)
		if marks[bot.MarkVerdictBy] != alice {
			t.Errorf("%s mark = %q, want %s", bot.MarkVerdictBy, marks[bot.MarkVerdictBy], alice)
		}
		if f, _ := h.fakes.scc.Finding(name); f.GetState() != securitycenterpb.Finding_INACTIVE {
			t.Errorf("%s: SCC state %v, want INACTIVE", v, f.GetState())
		}
		h.waitAudit(name, "verdict U0ALICE resolve", 1)
	}
	listed := h.slash("list verdict=false_positive", alice, "C0SECOPSGKE")
	all := listed.Text + texts(t, slackfake.Message{Blocks: listed.Blocks})
	wantAll(t, "list verdict=false_positive", all, "1 finding match", ids[bot.VerdictFalsePositive])
	for v, id := range ids {
		if v != bot.VerdictFalsePositive && strings.Contains(all, id) {
			t.Errorf("list verdict=false_positive lists the %s finding %s:\n%s", v, id, all)
		}
	}
}

// A hostile note is text everywhere: on the card, in the thread, in the
// audit export and in the /finding answer; a 10 kB note is refused by the
// dialog and by the command, never cut into something else.
func TestE2EVerdictHostileNote(t *testing.T) {
	t.Parallel()
	h := newRespondHarness(t, false)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	name := findingName(t, sccfake.SeedGKECompiler)
	id := name[strings.LastIndex(name, "/")+1:]
	hostile := "<!channel> *bold* `tick` <http://evil.example|click> \u202eexe.gnp"

	view := h.openResolve(card, alice)
	if ack := h.submitResolve(view, alice, "benign", strings.Repeat("A", 10_000)); !strings.Contains(ack, `"note"`) {
		t.Errorf("a 10 kB note was accepted: %.200s", ack)
	}
	if ack := h.submitResolve(view, alice, "benign", hostile); strings.Contains(ack, "errors") {
		t.Fatalf("resolve refused: %s", ack)
	}
	done := h.reply(card, "✅")
	updated := h.edited(card, "Resolved as *benign or expected*")
	for what, m := range map[string]slackfake.Message{"thread": done, "card": updated} {
		// The mrkdwn as Slack reads it (decoded from the JSON, where < would
		// be \u003c anyway), and the message's fallback text.
		raw := texts(t, m) + "\n" + m.Text
		for _, live := range []string{"<!channel>", "<http://evil", "\u202e", "`tick`"} {
			if strings.Contains(raw, live) {
				t.Errorf("the %s carries %q live: %s", what, live, raw)
			}
		}
		wantAll(t, what, texts(t, m), "&lt;!channel&gt;", "evil.example")
	}
	h.waitVerdictMarks(name, bot.VerdictBenign)
	h.waitAudit(name, "verdict U0ALICE resolve", 1)
	detail := auditDetail(t, h.db, name, bot.AuditVerdict)
	if !strings.HasPrefix(detail, "benign: <!channel> *bold*") {
		t.Errorf("audit detail %q: want the verdict and the note exactly, JSON-escaped by the export", detail)
	}

	long := h.slash("resolve "+id+" verdict=test "+strings.Repeat("B", 5000), alice, card.Channel)
	wantAll(t, "a 5000-byte command", long.Text, "the most /finding takes")
	typed := h.slash("resolve "+id+" verdict=false_positive "+hostile, alice, card.Channel)
	if raw := typed.Text + texts(t, slackfake.Message{Blocks: typed.Blocks}); strings.Contains(raw, "<!channel>") {
		t.Errorf("/finding resolve answered with live markup: %s", raw)
	}
	h.waitVerdictMarks(name, bot.VerdictFalsePositive)
	h.edited(card, "Resolved as *false positive* by <@U0ALICE>: @channel")
}

// auditDetail is the detail of the finding's last audit event of the kind,
// read back from `sccbot audit`'s JSON lines.
func auditDetail(t *testing.T, dbPath, finding, event string) string {
	t.Helper()
	ctx := testContext(t)
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	detail := ""
	for _, l := range auditLines(ctx, t, db) {
		if l.Finding == finding && l.Event == event {
			detail = l.Detail
		}
	}
	return detail
}

// The mute rule proposed from a finding is shown first, created only
// after an approver (not the requester, under the two-person rule) says
// yes, and matches that finding and not an unrelated one.
func TestE2EMuteRuleNeedsApprovalAndMatchesItsFinding(t *testing.T) {
	t.Parallel()
	h := newMuteRuleHarness(t)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	name := findingName(t, sccfake.SeedGKECompiler)
	id := name[strings.LastIndex(name, "/")+1:]
	h.seedCard(sccfake.SeedCloudRunCompiler, "#secops") // the unrelated finding
	otherName := findingName(t, sccfake.SeedCloudRunCompiler)
	f, _ := h.app.store.Finding(testContext(t), name)
	rule := scc.MuteRuleFor(f)

	shown := h.slash("mute-rule "+id, alice, card.Channel)
	wantAll(t, "proposal", shown.Text+texts(t, slackfake.Message{Blocks: shown.Blocks}), "not created", "dynamic",
		rule.Parent, "category = ", "/finding mute-rule "+id)
	if n := len(h.muteConfigs(rule.Parent)); n != 0 {
		t.Fatalf("%d mute configs after the proposal; want none", n)
	}
	h.slash("mute-rule "+id+" CI compiles in this cluster", alice, card.Channel)
	req := h.reply(card, "CI compiles in this cluster")
	wantAll(t, "request", texts(t, req), "mute rule", "filter:", "two-person rule")
	h.press(req, "approval.approve", alice)
	wantAll(t, "requester approving", h.told(card.Channel, alice, 3), "two-person")
	if n := len(h.muteConfigs(rule.Parent)); n != 0 {
		t.Fatalf("the requester's own approval created %d mute configs", n)
	}
	h.press(req, "approval.approve", bob)
	done := h.edited(req, "✅")
	created := rule.Parent + "/muteConfigs/" + rule.ID
	wantAll(t, "outcome", texts(t, done), created)
	if cs := h.muteConfigs(rule.Parent); len(cs) != 1 || cs[0].GetType() != securitycenterpb.MuteConfig_DYNAMIC {
		t.Fatalf("mute configs %v, want the one dynamic rule", cs)
	}
	if ok, err := h.fakes.scc.MuteRuleMatches(created, name); err != nil || !ok {
		t.Errorf("the rule does not match the finding it came from: %v, %v", ok, err)
	}
	if ok, err := h.fakes.scc.MuteRuleMatches(created, otherName); err != nil || ok {
		t.Errorf("the rule matches an unrelated finding: %v, %v", ok, err)
	}
	wantAudit(t, h.audit(name), "requested U0ALICE mute_rule", "refused U0ALICE mute_rule", "approved U0BOB mute_rule",
		"started sccbot mute_rule", "succeeded sccbot mute_rule")
}

// newMuteRuleHarness is the respond harness with mute under a two-person
// rule, which mute_rule follows (it has no rule of its own).
func newMuteRuleHarness(t *testing.T) *respondHarness {
	t.Helper()
	h := newHarness(t)
	h.fakes.slack.SetUserGroup("S0LEADS", alice, bob)
	h.fakes.slack.AddUser(bob, "bob@example.com", "bob")
	db := t.TempDir() + "/sccbot.db"
	h.start(testConfig(t, db, `
responses:
  actions:
    mute: {approvers: [S0LEADS], two_person: true}
`))
	return &respondHarness{harness: h, db: db}
}

func (h *respondHarness) muteConfigs(parent string) []*securitycenterpb.MuteConfig {
	h.t.Helper()
	res, err := h.fakes.scc.ListMuteConfigs(testContext(h.t), &securitycenterpb.ListMuteConfigsRequest{Parent: parent})
	if err != nil {
		h.t.Fatal(err)
	}
	return res.GetMuteConfigs()
}
