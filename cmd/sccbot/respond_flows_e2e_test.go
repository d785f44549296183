package main

import (
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
)

var (
	podPath    = "/api/v1/namespaces/" + gkefake.SeedNamespace + "/pods/" + gkefake.SeedPod
	policyPath = "/apis/networking.k8s.io/v1/namespaces/" + gkefake.SeedNamespace + "/networkpolicies"
	// Cloud Run's rollback: read, move traffic, wait, delete, wait.
	rollbackCalls = []string{"GetService", "ListRevisions", "UpdateService", "GetOperation", "DeleteRevision", "GetOperation"}
)

func kubeCalls(h *respondHarness) []string {
	var out []string
	for _, c := range h.fakes.kube.Calls() {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

func findingName(t *testing.T, key string) string {
	t.Helper()
	f, _ := sccfake.SeedFinding(key)
	if f == nil {
		t.Fatalf("no seed %q", key)
	}
	return f.GetName()
}

// For each seed: a request, a non-approver refused, the requester's own
// approval refused, a second approver's approval carried out once, and
// the thread, the card, the finding's marks and the audit log all say so.
func TestE2EContainEachSeed(t *testing.T) {
	t.Parallel()
	h := newRespondHarness(t, false)
	cases := []struct {
		seed, channel, action string
		calls                 func() []string
		want                  []string
	}{
		{sccfake.SeedGKECompiler, "#secops-gke", "isolate_pod", func() []string { return kubeCalls(h) },
			[]string{"GET " + podPath, "PATCH " + podPath, "POST " + policyPath}},
		{sccfake.SeedCloudRunCompiler, "#secops", "cloudrun_rollback", h.fakes.run.Calls, rollbackCalls},
		{sccfake.SeedCloudRunMaliciousBinary, "#secops-urgent", "cloudrun_rollback", h.fakes.run.Calls, rollbackCalls},
	}
	for _, c := range cases {
		t.Run(c.seed, func(t *testing.T) {
			h.fakes.kube.ResetCalls()
			h.fakes.run.ResetCalls()
			card := h.seedCard(c.seed, c.channel)
			req := h.contain(card, c.action, alice, "compiler running in production")
			wantAll(t, "request", texts(t, req), "requested by <@U0ALICE>", "Touches:", "Approval by <!subteam^S0LEADS>",
				"two-person rule: the requester cannot approve")
			h.press(req, "approval.approve", mallory)
			wantAll(t, "answer to a non-approver", h.told(card.Channel, mallory, 1), "only", "may approve "+c.action)
			h.press(req, "approval.approve", alice)
			wantAll(t, "answer to the requester", h.told(card.Channel, alice, 1), "two-person rule")
			if got := c.calls(); len(got) != 0 {
				t.Fatalf("calls before approval: %v", got)
			}
			h.press(req, "approval.approve", bob)
			done := h.edited(req, "✅")
			wantAll(t, "request after approval", texts(t, done), "decided by <@U0BOB>")
			if strings.Contains(string(done.Blocks), "approval.approve") {
				t.Error("Approve is still offered on a finished request")
			}
			h.reply(card, "✅")
			h.edited(card, "✅")
			if diff := cmp.Diff(c.want, c.calls()); diff != "" {
				t.Errorf("calls to the workload's API (-want +got):\n%s", diff)
			}
			name := findingName(t, c.seed)
			h.waitMark(name, "done")
			wantAudit(t, h.audit(name), "requested U0ALICE "+c.action, "refused U0MALLORY "+c.action,
				"refused U0ALICE "+c.action, "approved U0BOB "+c.action, "started sccbot "+c.action, "succeeded sccbot "+c.action)
		})
	}
	if p, ok := h.fakes.kube.Pod(gkefake.SeedNamespace, gkefake.SeedPod); !ok || p.Labels["sccbot.io/quarantine"] == "" {
		t.Errorf("the isolated pod is gone or unlabelled: %v", p.Labels)
	}
	svc, _ := h.fakes.run.Service(runfake.ServiceName(runfake.SeedProject, runfake.SeedLocation, runfake.CheckoutService))
	if tr := svc.GetTraffic(); len(tr) != 1 || tr[0].GetRevision() == "" {
		t.Errorf("checkout-api traffic = %v, want all on one named revision", tr)
	}
}

// A denied request does nothing; a double click and a redelivered
// envelope carry out an approved request once.
func TestE2EDenyDoubleClickAndRedelivery(t *testing.T) {
	t.Parallel()
	h := newRespondHarness(t, false)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	name := findingName(t, sccfake.SeedGKECompiler)

	req := h.contain(card, "isolate_pod", alice, "first look")
	h.press(req, "approval.deny", bob)
	h.edited(req, "🚫")
	h.reply(card, "🚫")
	stale := slackfake.BlockAction{UserID: bob, Channel: req.Channel, MessageTS: req.TS, ActionID: "approval.approve", Value: requestID(t, req)}
	if _, err := h.fakes.slack.SendAndWaitAck(testContext(t), "interactive", h.fakes.slack.BlockActionPayload(stale)); err != nil {
		t.Fatal(err)
	}
	wantAll(t, "approval after denial", h.told(card.Channel, bob, 1), "already denied by U0BOB")
	if w := kubeWrites(h); len(w) != 0 {
		t.Errorf("a denied request changed the cluster: %v", w)
	}

	req = h.contain(card, "delete_pod", alice, "it is compromised")
	p := h.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: bob, Channel: req.Channel, MessageTS: req.TS, ActionID: "approval.approve"})
	ctx := testContext(t)
	first, err := h.fakes.slack.Send(ctx, "interactive", p)
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.fakes.slack.Send(ctx, "interactive", p)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.fakes.slack.Resend(ctx, first, "timeout"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{first, second} {
		if _, err := h.fakes.slack.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	h.edited(req, "✅")
	if got, want := kubeWrites(h), []string{"DELETE " + podPath}; !slices.Equal(got, want) {
		t.Errorf("writes to the cluster = %v, want %v once", got, want)
	}
	wantAudit(t, h.audit(name), "requested U0ALICE isolate_pod", "denied U0BOB isolate_pod",
		"requested U0ALICE delete_pod", "approved U0BOB delete_pod", "started sccbot delete_pod", "succeeded sccbot delete_pod")
}

// A dry run does everything but the change and says so; a failing API
// is reported as a failure, not as done.
func TestE2EDryRunAndFailingBackend(t *testing.T) {
	t.Parallel()
	h := newRespondHarness(t, true)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	name := findingName(t, sccfake.SeedGKECompiler)

	req := h.contain(card, "delete_pod", alice, "rehearsal")
	wantAll(t, "dry-run request", texts(t, req), "dry run: nothing will be changed")
	h.press(req, "approval.approve", bob)
	done := h.edited(req, "✅")
	wantAll(t, "dry-run result", texts(t, done), "Dry run:", "nothing was changed")
	if _, ok := h.fakes.kube.Pod(gkefake.SeedNamespace, gkefake.SeedPod); !ok {
		t.Error("a dry run deleted the pod")
	}
	for _, c := range h.fakes.kube.Calls() {
		if c.Method == "DELETE" && !strings.Contains(c.Body+c.Query, "All") {
			t.Errorf("DELETE without dryRun: %+v", c)
		}
	}
	h.waitMark(name, "dry_run")

	h.fakes.kube.FailNext("PATCH", podPath, 503, 1)
	req = h.contain(card, "isolate_pod", alice, "contain it now")
	h.press(req, "approval.approve", bob)
	failed := h.edited(req, "⚠️")
	wantAll(t, "failed request", texts(t, failed), "failed", "may or may not have been made")
	h.reply(card, "⚠️")
	h.waitMark(name, "failed")
	wantAudit(t, h.audit(name), "requested U0ALICE delete_pod", "approved U0BOB delete_pod", "started sccbot delete_pod",
		"succeeded sccbot delete_pod", "requested U0ALICE isolate_pod", "approved U0BOB isolate_pod",
		"started sccbot isolate_pod", "failed sccbot isolate_pod")
}

// A request nobody approved in time cannot be approved any more.
func TestE2EExpiredRequestIsNotCarriedOut(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	h := newRespondHarness(t, false, withClock(now))
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	req := h.contain(card, "isolate_pod", alice, "contain")
	offset.Store(int64(31 * time.Minute))
	h.press(req, "approval.approve", bob)
	wantAll(t, "late approval", h.told(card.Channel, bob, 1), "expired", "request it again")
	h.edited(req, "⌛")
	if w := kubeWrites(h); len(w) != 0 {
		t.Errorf("an expired request changed the cluster: %v", w)
	}
	wantAudit(t, h.audit(findingName(t, sccfake.SeedGKECompiler)), "requested U0ALICE isolate_pod", "expired sccbot isolate_pod")
}

// waitMark waits until the finding's sccbot_outcome mark is want: the
// runner marks the finding after it has told Slack.
func (h *respondHarness) waitMark(name, want string) {
	h.t.Helper()
	var got string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		f, _ := h.fakes.scc.Finding(name)
		if got = f.GetSecurityMarks().GetMarks()["sccbot_outcome"]; got == want {
			return
		}
	}
	h.t.Errorf("finding mark sccbot_outcome = %q, want %q", got, want)
}

// requestID is the request a message's Approve button names: a click
// from a Slack client still showing the message before it was decided.
func requestID(t *testing.T, m slackfake.Message) string {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == "approval.approve" {
				return e.Value
			}
		}
	}
	t.Fatal("the message has no Approve button")
	return ""
}

// Page owner needs no approval under this policy: it finds the owners,
// pages PagerDuty once (keyed by the finding) and messages the owner who
// is in Slack. Resolving the finding resolves the page.
func TestE2EPageOwnerThenResolve(t *testing.T) {
	t.Parallel()
	h := newRespondHarness(t, false)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	name := findingName(t, sccfake.SeedGKECompiler)

	h.press(card, "finding.page_owner", mallory)
	paged := h.reply(card, "✅")
	wantAll(t, "page outcome", texts(t, paged), "Page the project owner", "requested by <@U0MALLORY>")
	incidents := h.fakes.pagerduty.Incidents()
	if len(incidents) != 1 || incidents[0].Status != "triggered" || incidents[0].DedupKey == "" {
		t.Fatalf("PagerDuty incidents = %+v, want one triggered", incidents)
	}
	wantAll(t, "page outcome", texts(t, paged), "payments-oncall@example.com (finding contacts)", "2 owners paged")
	dm := h.waitDM()
	wantAll(t, "direct message to the owner", texts(t, dm), "Launch Code Compiler Tool In Container")

	h.press(card, "finding.page_owner", bob)
	h.waitAudit(name, "succeeded sccbot page_owner", 2)
	if in := h.fakes.pagerduty.Incidents(); len(in) != 1 || in[0].Triggers != 2 {
		t.Errorf("a second page made %+v; want the same incident triggered again", in)
	}

	h.submitResolve(h.openResolve(card, alice), alice, "true_positive", "")
	h.edited(card, "INACTIVE")
	if f, _ := h.fakes.scc.Finding(name); f.GetState() != securitycenterpb.Finding_INACTIVE {
		t.Errorf("SCC state = %v, want INACTIVE", f.GetState())
	}
	if in := h.fakes.pagerduty.Incidents(); len(in) != 1 || in[0].Status != "resolved" {
		t.Errorf("PagerDuty incident after resolve = %+v, want resolved", in)
	}
}

// The playbook's checklist carries the response buttons, and Contain…
// from the thread answers in the card's thread.
func TestE2EContainFromThePlaybook(t *testing.T) {
	t.Parallel()
	h := newRespondHarness(t, false)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	list := h.click(card, "finding.playbook", alice, 1)
	for _, b := range []string{"finding.contain", "finding.page_owner", "finding.mute", "finding.resolve"} {
		if !strings.Contains(string(list.Blocks), `"`+b+`"`) {
			t.Errorf("checklist lacks the %s button", b)
		}
	}
	req := h.containFrom(list, card, "cordon_node", alice, "node looks tampered with")
	h.press(req, "approval.approve", bob)
	h.edited(req, "✅")
	if got, want := kubeWrites(h), []string{"PATCH /api/v1/nodes/" + gkefake.SeedNode}; !slices.Equal(got, want) {
		t.Errorf("writes to the cluster = %v, want %v", got, want)
	}
}

// waitDM waits for a direct message and returns the first.
func (h *respondHarness) waitDM() slackfake.Message {
	h.t.Helper()
	ctx := testContext(h.t)
	if _, err := h.fakes.slack.WaitCalls(ctx, "conversations.open", 1); err != nil {
		h.t.Fatal(err)
	}
	for n := 1; ; n++ {
		msgs, err := h.fakes.slack.WaitCalls(ctx, "chat.postMessage", n)
		if err != nil {
			h.t.Fatalf("no direct message: %v", err)
		}
		for _, m := range h.fakes.slack.AllMessages() {
			if strings.HasPrefix(m.Channel, "D") {
				return m
			}
		}
		_ = msgs
	}
}

// waitAudit waits until the finding's audit log has event n times.
func (h *respondHarness) waitAudit(name, event string, n int) {
	h.t.Helper()
	var got []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = h.audit(name)
		count := 0
		for _, e := range got {
			if e == event {
				count++
			}
		}
		if count >= n {
			return
		}
	}
	h.t.Fatalf("audit log of %s never had %q %d times: %v", name, event, n, got)
}
