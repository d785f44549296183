package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// seedCard publishes a seed finding (also known to the SCC API, with its
// log entries in the Logging fake) and returns its card.
func (h *harness) seedCard(key, channel string) slackfake.Message {
	h.t.Helper()
	raw := seed(h.t, key)
	if err := h.fakes.scc.AddNotification(raw); err != nil {
		h.t.Fatal(err)
	}
	f, _ := sccfake.SeedFinding(key)
	h.fakes.logging.AddEntries(loggingfake.SeedEntries(key, f.GetEventTime().AsTime())...)
	h.fakes.publish(raw)
	cards := h.waitCards(channel, 1)
	return cards[len(cards)-1]
}

// click presses a button of a card as user, and returns the reply that
// lands in the card's thread as the n-th reply.
func (h *harness) click(card slackfake.Message, action, user string, n int) slackfake.Message {
	h.t.Helper()
	ctx := testContext(h.t)
	payload := h.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: user, Channel: card.Channel,
		MessageTS: card.TS, ActionID: action})
	if _, err := h.fakes.slack.SendAndWaitAck(ctx, "interactive", payload); err != nil {
		h.t.Fatalf("click %s not acked: %v", action, err)
	}
	replies, err := h.fakes.slack.WaitThread(ctx, card.Channel, card.TS, n)
	if err != nil {
		h.t.Fatalf("no answer to %s: %v\n%s", action, err, h.fakes.slack.TranscriptAll())
	}
	return replies[n-1]
}

func texts(t *testing.T, m slackfake.Message) string {
	return strings.Join(mrkdwnTexts(t, m), "\n")
}

func wantAll(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q\n%s", what, w, got)
		}
	}
}

func TestE2EButtonsOnEachSeedCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	// A second finding on the GKE seed's pod, to be found as related.
	sibling := sccfake.WithFindingID(sccfake.WithEventTime(seed(t, sccfake.SeedGKECompiler),
		time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)), "5151515151515151515151515151515a")
	if err := h.fakes.scc.AddNotification(sibling); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		seed, channel string
		related       []string
		logs          []string
		attack        []string
		playbook      []string
	}{
		{sccfake.SeedGKECompiler, "#secops-gke",
			[]string{"1 related finding in 1 category on", "Launch Code Compiler Tool In Container* — 1, worst Low", "(same pod)"},
			[]string{"*Container logs", "Open in Logs Explorer", "gcc"},
			[]string{"T1027.004 Obfuscated Files or Information: Compile After Delivery", "© 2025 The MITRE Corporation"},
			[]string{"kubectl cp", "checkout-7d9f8b6c5-x2x9q", "gcloud container clusters get-credentials"}},
		{sccfake.SeedCloudRunCompiler, "#secops",
			[]string{"No other findings on"},
			[]string{"Open in Logs Explorer"},
			[]string{"T1027.004"},
			[]string{"checkout-api"}},
		{sccfake.SeedCloudRunMaliciousBinary, "#secops-urgent",
			[]string{"No other findings on"},
			[]string{"Open in Logs Explorer"},
			[]string{"T1105 Ingress Tool Transfer", "T1106 Native API"},
			[]string{"image-resizer", "virustotal.com"}},
	}
	for _, c := range cases {
		t.Run(c.seed, func(t *testing.T) {
			card := h.seedCard(c.seed, c.channel)
			rel := texts(t, h.click(card, "finding.related", "U0ALICE", 1))
			wantAll(t, "related answer", rel, append(c.related, "<@U0ALICE> asked for *Related findings*")...)
			wantAll(t, "logs answer", texts(t, h.click(card, "finding.logs", "U0BOB", 2)), append(c.logs, "<@U0BOB> asked for *Logs*")...)
			wantAll(t, "ATT&CK answer", texts(t, h.click(card, "finding.attack", "U0ALICE", 3)), c.attack...)
			wantAll(t, "playbook answer", texts(t, h.click(card, "finding.playbook", "U0ALICE", 4)), c.playbook...)
		})
	}
}

// The exact filters Cloud Logging receives for the GKE seed: each value
// quoted, the window explicit.
func TestE2ELogsFiltersAreExact(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	h.click(card, "finding.logs", "U0ALICE", 1)
	got := h.fakes.logging.Filters()
	want := []string{
		"resource.type=\"k8s_container\"\nresource.labels.project_id=\"demo-prod\"\nresource.labels.location=\"us-central1\"\nresource.labels.cluster_name=\"prod-cluster\"\nresource.labels.namespace_name=\"payments\"\nresource.labels.pod_name=\"checkout-7d9f8b6c5-x2x9q\"\ntimestamp>=\"2026-11-20T09:15:30.123Z\"\ntimestamp<=\"2026-11-20T11:15:30.123Z\"",
	}
	for _, w := range want {
		if !containsString(got, w) {
			t.Errorf("Logging did not receive\n%s\ngot:\n%s", w, strings.Join(got, "\n----\n"))
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hostilePod is a pod and namespace name chosen to break out of a filter.
const (
	hostileNamespace = "pay\"ments\\"
	hostilePod       = "x\" OR resource.type=\"gce_instance\"\nlogName:\"y"
)

// withHostilePod rewrites a seed so its pod and namespace are hostile.
func withHostilePod(t *testing.T, raw []byte) []byte {
	t.Helper()
	var msg map[string]any
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatal(err)
	}
	finding := msg["finding"].(map[string]any)
	pod := finding["kubernetes"].(map[string]any)["pods"].([]any)[0].(map[string]any)
	pod["ns"], pod["name"] = hostileNamespace, hostilePod
	props := finding["sourceProperties"].(map[string]any)
	props["Pod_Namespace"], props["Pod_Name"] = hostileNamespace, hostilePod
	out, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestE2EHostileNamesCannotChangeLogFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	h.fakes.publish(withHostilePod(t, seed(t, sccfake.SeedGKECompiler)))
	card := h.waitCards("#secops-gke", 1)[0]
	h.click(card, "finding.logs", "U0ALICE", 1)
	filters := h.fakes.logging.Filters()
	// The newline is dropped and every quote and backslash escaped: the
	// hostile names stay inside their literals.
	want := "resource.type=\"k8s_container\"\nresource.labels.project_id=\"demo-prod\"\nresource.labels.location=\"us-central1\"\nresource.labels.cluster_name=\"prod-cluster\"\n" +
		`resource.labels.namespace_name="pay\"ments\\"` + "\n" +
		`resource.labels.pod_name="x\" OR resource.type=\"gce_instance\"logName:\"y"` + "\n" +
		"timestamp>=\"2026-11-20T09:15:30.123Z\"\ntimestamp<=\"2026-11-20T11:15:30.123Z\""
	if !containsString(filters, want) {
		t.Errorf("Logging did not receive\n%s\ngot:\n%s", want, strings.Join(filters, "\n----\n"))
	}
	for _, f := range filters {
		parsed, err := loggingfake.ParseFilter(f)
		if err != nil {
			t.Errorf("a hostile finding produced a filter Logging cannot parse: %v\n%s", err, f)
			continue
		}
		if n, lines := len(parsed.Restrictions()), strings.Count(f, "\n")+1; n != lines {
			t.Errorf("filter has %d restrictions on %d lines: a value added a clause\n%s", n, lines, f)
		}
	}
}

func TestE2ESecondClickWhileRunningDoesNotQueryAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	h.fakes.logging.SetLatency(2 * time.Second)
	ctx := testContext(t)
	for i, user := range []string{"U0ALICE", "U0BOB"} {
		p := h.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: user, Channel: card.Channel, MessageTS: card.TS, ActionID: "finding.logs"})
		if _, err := h.fakes.slack.SendAndWaitAck(ctx, "interactive", p); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// Bob clicks once Alice's run shows on the card, as a person
			// would; the two clicks are served by different workers, so
			// without this Bob's could start first.
			if _, err := h.fakes.slack.WaitEdits(ctx, card.Channel, card.TS, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	eph, err := h.fakes.slack.WaitEphemerals(ctx, card.Channel, "U0BOB", 1)
	if err != nil {
		t.Fatal(err)
	}
	var blocks any
	_ = json.Unmarshal(eph[0].Blocks, &blocks)
	raw, _ := json.Marshal(blocks)
	wantAll(t, "second clicker's answer", eph[0].Text+string(raw), "already running", `\u003c@U0ALICE\u003e`)
	if _, err := h.fakes.slack.WaitThread(ctx, card.Channel, card.TS, 1); err != nil {
		t.Fatal(err)
	}
	queries := len(h.fakes.logging.Filters())
	// Slow work shows on the card, and the card is put back when it ends.
	edited, err := h.fakes.slack.WaitEdits(ctx, card.Channel, card.TS, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(edited.History[len(edited.History)-1].Blocks), "Logs running, asked by") ||
		strings.Contains(string(edited.Blocks), "running") {
		t.Errorf("the card did not show the running work and then drop it:\n%s", h.fakes.slack.Transcript(card.Channel))
	}
	if n := len(h.fakes.slack.Thread(card.Channel, card.TS)); n != 1 {
		t.Errorf("%d answers in the thread, want 1", n)
	}
	if queries == 0 || queries > 4 {
		t.Errorf("Logging received %d queries; one run of the playbook's queries was expected", queries)
	}
}

func TestE2EPermissionDeniedIsExplained(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	h.fakes.logging.FailNext(codes.PermissionDenied, 10)
	h.fakes.scc.FailNext("ListFindings", codes.PermissionDenied, 10)
	logs := texts(t, h.click(card, "finding.logs", "U0ALICE", 1))
	wantAll(t, "logs answer", logs, "roles/logging.viewer", "demo-prod")
	rel := texts(t, h.click(card, "finding.related", "U0ALICE", 2))
	wantAll(t, "related answer", rel, "Related findings failed", "roles/securitycenter.findingsViewer")
	for _, bad := range []string{"rpc error", "goroutine", "PermissionDenied desc"} {
		if strings.Contains(logs+rel, bad) {
			t.Errorf("answer shows internals (%q)", bad)
		}
	}
}
