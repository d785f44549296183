package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/bot/sqlite"
)

// The response policy of these tests: containment is requested by
// S0RESPOND and approved by a second person from S0LEADS; paging and
// resolving need no approval; muting needs a lead.
const respondPolicy = `
responses:
  actions:
    isolate_pod: {requesters: [S0RESPOND], approvers: [S0LEADS], two_person: true}
    delete_pod: {requesters: [S0RESPOND], approvers: [S0LEADS], two_person: true%s}
    cordon_node: {requesters: [S0RESPOND], approvers: [S0LEADS], two_person: true}
    cloudrun_rollback: {requesters: [S0RESPOND], approvers: [S0LEADS], two_person: true}
    cloudrun_cancel_execution: {requesters: [S0RESPOND], approvers: [S0LEADS], two_person: true}
    page_owner: {approval: none}
    mute: {approvers: [S0LEADS]}
    resolve: {approval: none}
`

// People: alice responds and leads, bob leads, mallory is in neither group.
const (
	alice   = "U0ALICE"
	bob     = "U0BOB"
	mallory = "U0MALLORY"
)

type respondHarness struct {
	*harness
	db string
}

// newRespondHarness starts the bot with the response policy; dryRunDelete
// puts delete_pod in dry-run.
func newRespondHarness(t *testing.T, dryRunDelete bool, opts ...appOption) *respondHarness {
	t.Helper()
	h := newHarness(t)
	h.fakes.slack.SetUserGroup("S0RESPOND", alice)
	h.fakes.slack.SetUserGroup("S0LEADS", alice, bob)
	h.fakes.slack.AddUser(bob, "bob@example.com", "bob")
	h.fakes.slack.AddUser(mallory, "mallory@example.com", "mallory")
	extra := ""
	if dryRunDelete {
		extra = ", dry_run: true"
	}
	db := filepath.Join(t.TempDir(), "sccbot.db")
	h.start(testConfig(t, db, strings.Replace(respondPolicy, "%s", extra, 1)), opts...)
	return &respondHarness{harness: h, db: db}
}

// press clicks a button of a message as user and waits for the ack.
func (h *respondHarness) press(msg slackfake.Message, action, user string) string {
	h.t.Helper()
	p := h.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: user, Channel: msg.Channel,
		MessageTS: msg.TS, ActionID: action})
	ack, err := h.fakes.slack.SendAndWaitAck(testContext(h.t), "interactive", p)
	if err != nil {
		h.t.Fatalf("press %s: %v", action, err)
	}
	return ack.EnvelopeID
}

// contain requests a containment action from the card's dialog and
// returns the request's message in the thread.
func (h *respondHarness) contain(card slackfake.Message, action, user, reason string) slackfake.Message {
	h.t.Helper()
	return h.containFrom(card, card, action, user, reason)
}

// containFrom clicks Contain… on the message clicked (a card, or a reply
// in its thread) and returns the request's message in the card's thread.
func (h *respondHarness) containFrom(clicked, card slackfake.Message, action, user, reason string) slackfake.Message {
	h.t.Helper()
	ctx := testContext(h.t)
	n := len(h.fakes.slack.Views())
	h.press(clicked, "finding.contain", user)
	views, err := h.fakes.slack.WaitViews(ctx, n+1)
	if err != nil {
		h.t.Fatalf("no Contain dialog: %v", err)
	}
	wantAll(h.t, "contain dialog", string(views[n].View), action)
	sub := h.fakes.slack.ViewSubmissionPayload(slackfake.ViewSubmission{UserID: user, ViewID: views[n].ID,
		Values: map[string]map[string]string{"action": {"action": action}, "reason": {"reason": reason}}})
	if _, err := h.fakes.slack.SendAndWaitAck(ctx, "interactive", sub); err != nil {
		h.t.Fatal(err)
	}
	return h.reply(card, reason)
}

// reply waits for a reply in the card's thread whose text has want. A
// request's outcome is an edit of its message, so edits count.
func (h *respondHarness) reply(card slackfake.Message, want string) slackfake.Message {
	h.t.Helper()
	return h.replyAfter(card, 0, want)
}

// edited waits until the message's text has want.
func (h *respondHarness) edited(msg slackfake.Message, want string) slackfake.Message {
	h.t.Helper()
	ctx := testContext(h.t)
	for n := 1; ; n++ {
		m, err := h.fakes.slack.WaitEdits(ctx, msg.Channel, msg.TS, n)
		if err != nil {
			cur, _ := h.fakes.slack.MessageAt(msg.Channel, msg.TS)
			h.t.Fatalf("message never showed %q: %v\n%s", want, err, texts(h.t, cur))
		}
		if strings.Contains(texts(h.t, m), want) {
			return m
		}
		n = m.Edits
	}
}

// told waits for the n-th ephemeral answer to user and returns its text.
func (h *respondHarness) told(channel, user string, n int) string {
	h.t.Helper()
	eph, err := h.fakes.slack.WaitEphemerals(testContext(h.t), channel, user, n)
	if err != nil {
		h.t.Fatalf("no answer to %s: %v", user, err)
	}
	return eph[n-1].Text
}

// audit exports the audit log as `sccbot audit` does and returns the
// finding's events as "event actor action".
func (h *respondHarness) audit(finding string) []string {
	h.t.Helper()
	ctx := testContext(h.t)
	db, err := sqlite.Open(ctx, h.db)
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, l := range auditLines(ctx, h.t, db) {
		if l.ID == 0 || l.At.IsZero() || l.Event == "" || l.Actor == "" {
			h.t.Errorf("audit line lacks id, time, event or actor: %+v", l)
		}
		if l.Finding == finding {
			out = append(out, l.Event+" "+l.Actor+" "+l.Action)
		}
	}
	return out
}

// auditLines exports the store's audit log as `sccbot audit` does and
// reads the JSON lines back.
func auditLines(ctx context.Context, t *testing.T, db auditLog) []auditLine {
	t.Helper()
	var buf bytes.Buffer
	if err := exportAudit(ctx, db, time.Time{}, &buf); err != nil {
		t.Fatal(err)
	}
	var out []auditLine
	for dec := json.NewDecoder(&buf); dec.More(); {
		var l auditLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("audit export is not JSON lines: %v", err)
		}
		out = append(out, l)
	}
	return out
}

func wantAudit(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("audit log:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// kubeWrites are the mutating calls the Kubernetes fake received.
func kubeWrites(h *respondHarness) []string {
	var out []string
	for _, c := range h.fakes.kube.Calls() {
		if c.Method != "GET" {
			out = append(out, c.Method+" "+c.Path+queryOf(c.Query))
		}
	}
	return out
}

func queryOf(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}
