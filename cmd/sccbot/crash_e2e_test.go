package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	pubsubpb "cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

// crashSubscription has Pub/Sub's shortest ack deadline, so that what a
// killed bot held is redelivered to its successor within seconds.
const crashSubscription = "projects/demo-sec/subscriptions/sccbot-crash"

// TestE2EKilledBotPostsEachFindingOnce kills the built bot with SIGKILL
// while 200 findings are being posted, restarts it on the same store, and
// checks that every finding has exactly one card: once at an arbitrary
// moment (after 40 cards), once at the worst one, with a card stored on
// Slack whose answer the bot never received.
func TestE2EKilledBotPostsEachFindingOnce(t *testing.T) {
	for _, tc := range []struct {
		name         string
		betweenPosts bool
	}{{"after40cards", false}, {"betweenPostAndRecord", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testKilledBot(t, tc.betweenPosts)
		})
	}
}

func testKilledBot(t *testing.T, betweenPostAndRecord bool) {
	ctx := crashContext(t)
	f, err := startFakes(ctx, testSubscription)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	f.slack.AddChannel("C0SECOPS00", "secops")
	if err := crashSubscriptionOn(ctx, f); err != nil {
		t.Fatal(err)
	}
	cfg := writeCrashConfig(t, "grouping:\n  window: 0s\n")
	const total = 200
	for i := range total {
		f.publish(sccfake.WithFindingID(seed(t, sccfake.SeedGKECompiler), fmt.Sprintf("k%031x", i)))
	}
	first, stderr := startBot(t, cfg, f)
	if _, err := waitCardCount(ctx, f, 40); err != nil {
		t.Fatalf("40 cards never came: %v\n%s", err, stderr)
	}
	if betweenPostAndRecord {
		release := f.slack.HoldAnswers("chat.postMessage")
		if err := f.slack.WaitHeld(ctx, "chat.postMessage", 1); err != nil {
			t.Fatalf("no post was held: %v", err)
		}
		kill(t, first)
		release()
	} else {
		kill(t, first)
	}
	before := len(cardKeys(f))
	second, stderr := startBot(t, cfg, f)
	if _, err := waitCardCount(ctx, f, total); err != nil {
		t.Fatalf("after the restart %d of %d findings have a card (%d before it): %v\n%s", len(cardKeys(f)), total, before, err, stderr)
	}
	stop(t, second, stderr)
	counts := cardKeys(f)
	for key, n := range counts {
		if n != 1 {
			t.Errorf("%s has %d cards", key, n)
		}
	}
	if len(counts) != total {
		t.Errorf("%d findings have a card, want %d", len(counts), total)
	}
	t.Logf("%d cards before the kill, %d findings with one card each after the restart", before, len(counts))
}

// crashContext bounds a crash test. Pub/Sub redelivers what the killed bot
// held only when the ack deadlines its client had extended run out, which
// can take a minute or two.
func crashContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// crashSubscriptionOn creates the test's subscription on the fakes' topic.
func crashSubscriptionOn(ctx context.Context, f *fakes) error {
	client, err := pubsub.NewClient(ctx, "demo-sec", googleOptions(f.pubsub.Addr)...)
	if err != nil {
		return err
	}
	defer client.Close()
	_, err = client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: crashSubscription, Topic: f.topic, AckDeadlineSeconds: 10})
	return err
}

func writeCrashConfig(t *testing.T, grouping string) string {
	dir := t.TempDir()
	cfg := fmt.Sprintf(`slack:
  default_channel: C0SECOPS00
  post_interval: 100ms
  post_burst: 5
%ssources:
  pubsub:
    subscription: %s
store:
  path: %s
ops:
  listen: "off"
`, grouping, crashSubscription, filepath.Join(dir, "sccbot.db"))
	path := filepath.Join(dir, "sccbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startBot runs the built binary against the fakes.
func startBot(t *testing.T, cfg string, f *fakes) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(buildBinary(t), "run", "--config", cfg)
	cmd.Env = environ(f.env())
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, stderr
}

func kill(t *testing.T, cmd *exec.Cmd) {
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

func stop(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer) {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("sccbot exited with %v after SIGTERM\n%s", err, stderr)
	}
}

// cardKeys counts the cards on Slack by their metadata key.
func cardKeys(f *fakes) map[string]int { return keysWith(f, "card/") }

// keysWith counts the messages on Slack whose metadata key has prefix, by
// key.
func keysWith(f *fakes, prefix string) map[string]int {
	out := map[string]int{}
	for _, m := range f.slack.AllMessages() {
		if key := metadataKey(m.Metadata); strings.HasPrefix(key, prefix) {
			out[key]++
		}
	}
	return out
}

// waitCardCount waits until n findings have a card.
func waitCardCount(ctx context.Context, f *fakes, n int) (int, error) {
	for {
		got := len(cardKeys(f))
		if got >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestE2EKilledBotListsEachFindingOnce kills the built bot while a storm
// of one group is being listed, with a listing on Slack whose answer the
// bot never received, restarts it and checks every finding is shown once:
// on the group's card or on one line of one listing.
func TestE2EKilledBotListsEachFindingOnce(t *testing.T) {
	t.Parallel()
	ctx := crashContext(t)
	f, err := startFakes(ctx, testSubscription)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	f.slack.AddChannel("C0SECOPS00", "secops")
	if err := crashSubscriptionOn(ctx, f); err != nil {
		t.Fatal(err)
	}
	cfg := writeCrashConfig(t, "grouping:\n  window: 10m\n")
	const total = 200
	start := time.Now().Add(-time.Minute)
	for i := range total {
		raw := sccfake.WithFindingID(seed(t, sccfake.SeedGKECompiler), fmt.Sprintf("k%031x", i))
		f.publish(sccfake.WithEventTime(raw, start.Add(time.Duration(i)*time.Millisecond)))
	}
	first, stderr := startBot(t, cfg, f)
	if _, err := waitCardCount(ctx, f, 1); err != nil {
		t.Fatalf("the group's card never came: %v\n%s", err, stderr)
	}
	release := f.slack.HoldAnswers("chat.postMessage")
	if err := f.slack.WaitHeld(ctx, "chat.postMessage", 1); err != nil {
		t.Fatalf("no listing was held: %v", err)
	}
	kill(t, first)
	release()
	held := shownOnce(f)
	before := f.slack.Stats()
	second, stderr := startBot(t, cfg, f)
	// The successor must show the rest, and must first have looked in the
	// thread for the listing whose answer never came (and be connected,
	// so that it has its signal handlers when it is stopped).
	for ctx.Err() == nil {
		st := f.slack.Stats()
		if len(shownOnce(f).once) >= total && st.Calls["conversations.replies"] > before.Calls["conversations.replies"] && st.Dials > before.Dials {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop(t, second, stderr)
	got := shownOnce(f)
	var missing []string
	for i := range total {
		if id := fmt.Sprintf("k%031x", i); !got.once[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Logf("never shown: %v", missing)
		for _, line := range strings.Split(stderr.String(), "\n") {
			if !strings.Contains(line, `"severity":"INFO"`) {
				t.Log(line)
			}
		}
		for _, m := range f.slack.AllMessages() {
			if strings.Contains(string(m.Blocks)+string(m.Metadata), missing[0]) {
				t.Logf("seen in %s %s thread=%s key=%s", m.Channel, m.TS, m.ThreadTS, metadataKey(m.Metadata))
			}
		}
	}
	if len(got.once) != total || len(got.twice) > 0 {
		t.Fatalf("%d findings shown once and %d more than once (%v), want all %d once; before the restart %d were shown\n%s",
			len(got.once), len(got.twice), got.twice, total, len(held.once), stderr)
	}
}

var crashID = regexp.MustCompile(`k[0-9a-f]{31}`)

type shown struct {
	once  map[string]bool
	twice []string
}

// shownOnce reads which findings are on a card or in a listing.
func shownOnce(f *fakes) shown {
	s := shown{once: map[string]bool{}}
	for _, m := range f.slack.AllMessages() {
		key := metadataKey(m.Metadata)
		var ids []string
		switch {
		case strings.HasPrefix(key, "card/"):
			ids = crashID.FindAllString(key, 1)
		case strings.HasPrefix(key, "list/"):
			ids = crashID.FindAllString(string(m.Blocks), -1)
		}
		for _, id := range ids {
			if s.once[id] {
				s.twice = append(s.twice, id)
			}
			s.once[id] = true
		}
	}
	return s
}
