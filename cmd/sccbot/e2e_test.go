package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/config"
)

// These tests run the whole bot in-process against the fakes, through the
// real slack-go, Pub/Sub and SCC clients: what Slack and Google would see.

const testSubscription = "projects/demo-sec/subscriptions/scc-findings"

// testConfig routes like the demo: GKE to one channel, urgent Cloud Run to
// another, the rest to the default. Only Pub/Sub feeds it. Grouping is off
// unless extra configures it: most tests follow single findings.
func testConfig(t *testing.T, storePath string, extra string) *config.Config {
	t.Helper()
	if !strings.Contains(extra, "grouping:") {
		extra += "\ngrouping:\n  window: 0s\n"
	}
	yaml := fmt.Sprintf(`
slack:
  default_channel: C0SECOPS00
routes:
  - name: gke
    channel: C0SECOPSGKE
    match: {product: [gke]}
  - name: cloud-run-urgent
    channel: C0SECOPSURG
    match: {product: [cloud_run], min_severity: HIGH}
sources:
  pubsub:
    subscription: %s
store:
  path: %s
ops:
  listen: "off"
%s`, testSubscription, storePath, extra)
	cfg, err := config.Load([]byte(yaml))
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	return cfg
}

type harness struct {
	t     *testing.T
	fakes *fakes
	reg   *prometheus.Registry
	stop  func()
	// databaseURL is SCCBOT_DATABASE_URL for a postgres store.
	databaseURL string
	app         *app // the running bot
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := testContext(t)
	f, err := startFakes(ctx, testSubscription)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	// Operators configure channel IDs; the names make transcripts readable.
	f.slack.AddChannel("C0SECOPS00", "secops")
	f.slack.AddChannel("C0SECOPSGKE", "secops-gke")
	f.slack.AddChannel("C0SECOPSURG", "secops-urgent")
	return &harness{t: t, fakes: f}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// start runs the bot with cfg until stop is called or the test ends.
func (h *harness) start(cfg *config.Config, opts ...appOption) {
	h.t.Helper()
	h.reg = prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(testWriter{h.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e := h.fakes.env()
	e.databaseURL = h.databaseURL
	a, err := newApp(testContext(h.t), cfg, e, log, h.reg, opts...)
	if err != nil {
		h.t.Fatal(err)
	}
	h.app = a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	h.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("app.Run = %v", err)
		}
	}
	h.t.Cleanup(h.stop)
	if err := h.fakes.slack.WaitConnected(testContext(h.t)); err != nil {
		h.t.Fatal(err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func seed(t *testing.T, key string) []byte {
	t.Helper()
	raw, ok := sccfake.SeedJSON(key)
	if !ok {
		t.Fatalf("no seed %q", key)
	}
	return raw
}

// waitAcked waits until Pub/Sub saw the message acked: the bot is done with it.
func (h *harness) waitAcked(id string) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := h.fakes.pubsub.Message(id); m != nil && m.Acks > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("message %s was never acked", id)
}

func (h *harness) waitCards(channel string, n int) []slackfake.Message {
	h.t.Helper()
	msgs, err := h.fakes.slack.WaitMessages(testContext(h.t), h.fakes.slack.ChannelID(channel), n)
	if err != nil {
		h.t.Fatalf("%v\n%s", err, h.fakes.slack.TranscriptAll())
	}
	return msgs
}

func (h *harness) cards(channel string) []slackfake.Message {
	return h.fakes.slack.Messages(h.fakes.slack.ChannelID(channel))
}

func TestE2ESeedCardsPostedOnceAcrossRedeliveryAndRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedCardsOnce(t, h, testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
}

// seedCardsOnce publishes the three seeds, redelivers, restarts the bot
// and redelivers again: each finding has one card.
func seedCardsOnce(t *testing.T, h *harness, cfg *config.Config) {
	h.start(cfg)

	gke := seed(t, sccfake.SeedGKECompiler)
	runCompiler := seed(t, sccfake.SeedCloudRunCompiler)
	runBinary := seed(t, sccfake.SeedCloudRunMaliciousBinary)
	for _, raw := range [][]byte{gke, runCompiler, runBinary} {
		h.fakes.publish(raw)
	}
	checkCard(t, h.waitCards("#secops-gke", 1)[0], []string{
		"Low · Defense Evasion: Launch Code Compiler Tool In Container",
		"Cluster*\\n`prod-cluster` (us-central1)", "`payments` / `checkout-7d9f8b6c5-x2x9q`",
		"/usr/bin/gcc", "T1027.004", "virustotal.com/gui/file/",
	})
	checkCard(t, h.waitCards("#secops-urgent", 1)[0], []string{
		"Critical · Execution: Built in Malicious Binary Executed", "Service*\\n`image-resizer` (europe-west1)",
		"`image-resizer-00007-kmb`", "/app/bin/updater", "T1105", "T1106",
	})
	checkCard(t, h.waitCards("#secops", 1)[0], []string{"Launch Code Compiler Tool In Container", "`checkout-api`"})

	// Pub/Sub redelivers: no second card.
	h.waitAcked(h.fakes.publish(gke))
	// A restart, then a redelivery of another: still no second card.
	h.stop()
	h.start(cfg)
	h.waitAcked(h.fakes.publish(runBinary))
	// The restarted bot still posts new findings.
	fresh := sccfake.WithFindingID(gke, "0000000000000000000000000000beef")
	h.fakes.publish(fresh)
	h.waitCards("#secops-gke", 2)
	for ch, want := range map[string]int{"#secops-gke": 2, "#secops-urgent": 1, "#secops": 1} {
		if got := len(h.cards(ch)); got != want {
			t.Errorf("%s has %d cards, want %d\n%s", ch, got, want, h.fakes.slack.Transcript(h.fakes.slack.ChannelID(ch)))
		}
	}
}

func checkCard(t *testing.T, m slackfake.Message, wants []string) {
	t.Helper()
	blocks := string(m.Blocks)
	for _, w := range wants {
		if !strings.Contains(blocks, w) {
			t.Errorf("card lacks %q\nblocks: %s", w, blocks)
		}
	}
}

func TestE2ECardArrivesOnceAfterRateLimiting(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	h.fakes.slack.RateLimitNext("chat.postMessage", 3, time.Second)
	h.waitAcked(h.fakes.publish(seed(t, sccfake.SeedCloudRunMaliciousBinary)))
	if n := len(h.cards("#secops-urgent")); n != 1 {
		t.Errorf("%d cards after three 429s, want exactly 1", n)
	}
	if n := h.fakes.slack.Stats().RateLimited["chat.postMessage"]; n != 3 {
		t.Errorf("Slack answered 429 %d times, want 3", n)
	}
	if n := counterSum(h.reg, "sccbot_slack_rate_limited_total"); n != 3 {
		t.Errorf("sccbot_slack_rate_limited_total = %v, want 3", n)
	}
}

func TestE2ECardSurvivesServerErrorsWithoutDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	h.fakes.slack.FailNext("chat.postMessage", 1, 503)
	h.fakes.slack.FailNextAfterStore("chat.postMessage", 1, 500)
	h.waitAcked(h.fakes.publish(seed(t, sccfake.SeedGKECompiler)))
	if n := len(h.cards("#secops-gke")); n != 1 {
		t.Errorf("%d cards after a 503 and an ambiguous 500, want exactly 1", n)
	}
}

// liveMarkup is anything Slack would act on: <!channel>, <@U1>, <url|text>.
var liveMarkup = regexp.MustCompile(`<[^>]*>`)

func TestE2EHostileFindingIsEscapedAndAccepted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	h.waitAcked(h.fakes.publish(sccfake.Hostile()))
	var all []slackfake.Message
	for _, ch := range h.fakes.slack.Channels() {
		all = append(all, h.fakes.slack.Messages(ch)...)
	}
	if len(all) != 1 {
		t.Fatalf("%d messages for one hostile finding, want 1 (Slack's limits accepted it)", len(all))
	}
	for _, text := range mrkdwnTexts(t, all[0]) {
		for _, m := range liveMarkup.FindAllString(text, -1) {
			if !strings.HasPrefix(m, "<https://console.cloud.google.com/") && !strings.HasPrefix(m, "<https://attack.mitre.org/") &&
				!strings.HasPrefix(m, "<https://www.virustotal.com/") {
				t.Errorf("live markup %q in %q", m, text)
			}
		}
	}
	texts := strings.Join(mrkdwnTexts(t, all[0]), "\n")
	for _, want := range []string{"&lt;!channel&gt;", "&lt;https://evil.example|x&gt;", "truncated: showing the first", "characters"} {
		if !strings.Contains(texts, want) {
			t.Errorf("hostile card lacks %q\n%s", want, texts)
		}
	}
}

// mrkdwnTexts returns every text in a message's blocks.
func mrkdwnTexts(t *testing.T, m slackfake.Message) []string {
	t.Helper()
	var blocks any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(blocks)
	return append(out, m.Text)
}

func TestE2EMalformedMessageIsRecordedAndTheNextIsPosted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	store := filepath.Join(t.TempDir(), "sccbot.db")
	h.start(testConfig(t, store, ""))
	bad := h.fakes.publish([]byte("this is not a notification"))
	h.fakes.publish(seed(t, sccfake.SeedGKECompiler))
	h.waitCards("#secops-gke", 1)
	h.waitAcked(bad)
	if n := counterSum(h.reg, "sccbot_messages_malformed_total"); n != 1 {
		t.Errorf("sccbot_messages_malformed_total = %v, want 1", n)
	}
	h.stop()
	db, err := sqlite.Open(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rejected, err := db.Rejected(context.Background(), 10)
	if err != nil || len(rejected) != 1 || string(rejected[0].Payload) != "this is not a notification" {
		t.Errorf("rejected = %+v, %v; want the malformed message kept", rejected, err)
	}
}

func TestE2EPollSourcePostsFindingsFromTheAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	raw := sccfake.WithEventTime(seed(t, sccfake.SeedCloudRunMaliciousBinary), time.Now().Add(-5*time.Minute))
	if err := h.fakes.scc.AddNotification(raw); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), "")
	cfg.Sources = config.Sources{Poll: &config.Poll{Parent: "organizations/123456789012/sources/-/locations/global",
		Filter: `state="ACTIVE"`, Interval: config.Duration(time.Minute), Lookback: config.Duration(time.Hour)}}
	h.start(cfg)
	h.waitCards("#secops-urgent", 1)
}
