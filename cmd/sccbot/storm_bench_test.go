package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// Storm parameters from the issue: 10,000 findings over 60 s across 50
// pods into one channel, against Slack's per-channel pacing and 429s.
const (
	stormFindings = 10000
	stormSeconds  = 60
	stormPods     = 50
)

var stormCategories = []string{
	"Execution: Added Binary Executed", "Reverse Shell",
	"Defense Evasion: Launch Code Compiler Tool In Container", "Execution: Malicious Script Executed",
}

// stormFinding is the i-th finding of the storm: one of 4 categories and 2
// images (8 group keys), on one of 50 pods, mostly Low with a High one
// now and then (which breaks out of its group once).
func stormFinding(t testing.TB, i int, at time.Time) []byte {
	raw := sccfake.WithFindingID(seedTB(t, sccfake.SeedGKECompiler), fmt.Sprintf("s%031x", i))
	raw = sccfake.WithEventTime(raw, at)
	var msg map[string]any
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatal(err)
	}
	f := msg["finding"].(map[string]any)
	f["category"] = stormCategories[i%len(stormCategories)]
	f["severity"] = "LOW"
	if i%997 == 0 {
		f["severity"] = "HIGH"
	}
	image := fmt.Sprintf("us-docker.pkg.dev/demo-prod/apps/checkout:%d", (i/4)%2)
	f["containers"].([]any)[0].(map[string]any)["uri"] = image
	pod := fmt.Sprintf("checkout-%02d", i%stormPods)
	f["kubernetes"].(map[string]any)["pods"].([]any)[0].(map[string]any)["name"] = pod
	props := f["sourceProperties"].(map[string]any)
	props["Pod_Name"], props["Container_Image_Uri"] = pod, image
	out, _ := json.Marshal(msg)
	return out
}

func seedTB(t testing.TB, key string) []byte {
	raw, ok := sccfake.SeedJSON(key)
	if !ok {
		t.Fatalf("no seed %q", key)
	}
	return raw
}

var stormID = regexp.MustCompile(`s[0-9a-f]{31}`)

// BenchmarkStorm runs the built bot (its own process, so its memory is
// measured alone) through the storm, then waits until every finding is on
// a card or listed in a thread. It reports how long the first card took,
// how many messages and updates Slack received, 429s, and the bot's peak
// resident memory.
func BenchmarkStorm(b *testing.B) {
	for range b.N {
		runStorm(b)
	}
}

func runStorm(b *testing.B) {
	ctx := context.Background()
	f, err := startStormFakes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer f.close()
	cmd, stderr := startStormBot(b, f)
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if err := f.slack.WaitConnected(ctx); err != nil {
		b.Fatal(err)
	}
	payloads := make([][]byte, stormFindings)
	start := time.Now()
	for i := range payloads {
		payloads[i] = stormFinding(b, i, start.Add(time.Duration(i)*stormSeconds*time.Second/stormFindings))
	}
	firstCard := make(chan time.Duration, 1)
	go func() {
		if _, err := f.slack.WaitMessages(ctx, "C0STORM0001", 1); err == nil {
			firstCard <- time.Since(start)
			// Then Slack turns a few posts away, on top of its own pacing.
			f.slack.RateLimitNext("chat.postMessage", 5, time.Second)
		}
	}()
	start = time.Now()
	publishStorm(f, payloads)
	drained := waitAccounted(b, f, start, stderr)
	reportStorm(b, f, cmd.Process.Pid, <-firstCard, drained)
	_ = cmd.Process.Signal(syscall.SIGTERM)
}

func startStormFakes(ctx context.Context) (*fakes, error) {
	f, err := startFakes(ctx, testSubscription)
	if err != nil {
		return nil, err
	}
	f.slack.Close()
	f.slack = slackfake.New(slackfake.WithPingInterval(5*time.Second), slackfake.WithPostRate(time.Second, 3))
	f.slack.AddChannel("C0STORM0001", "storm")
	return f, nil
}

func startStormBot(b *testing.B, f *fakes) (*exec.Cmd, *bytes.Buffer) {
	bin := buildBinary(&testing.T{})
	dir := b.TempDir()
	cfg := fmt.Sprintf("slack:\n  default_channel: C0STORM0001\nsources:\n  pubsub:\n    subscription: %s\n    max_outstanding: 1000\n"+
		"store:\n  path: %s\nops:\n  listen: \"off\"\nlog:\n  level: warn\n", testSubscription, filepath.Join(dir, "sccbot.db"))
	path := filepath.Join(dir, "sccbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", path)
	cmd.Env = environ(f.env())
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return cmd, stderr
}

// publishStorm publishes the payloads evenly over stormSeconds.
func publishStorm(f *fakes, payloads [][]byte) {
	const tick = 50 * time.Millisecond
	per := len(payloads) * int(tick) / int(stormSeconds*time.Second)
	next := time.Now()
	for i := 0; i < len(payloads); i += per {
		for _, p := range payloads[i:min(i+per, len(payloads))] {
			f.publish(p)
		}
		next = next.Add(tick)
		time.Sleep(time.Until(next))
	}
}

// waitAccounted waits until every finding is on a card or in a thread,
// checking that no finding has two cards.
func waitAccounted(b *testing.B, f *fakes, start time.Time, stderr *bytes.Buffer) time.Duration {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		seen, dupes := accounted(f)
		if len(dupes) > 0 {
			b.Fatalf("findings with more than one card: %v", dupes[:min(5, len(dupes))])
		}
		if len(seen) == stormFindings {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			b.Fatalf("after 10 minutes %d of %d findings are on Slack\n%s", len(seen), stormFindings, stderr.String())
		}
		time.Sleep(time.Second)
	}
}

// accounted reads what Slack holds: the findings named on cards (by their
// message key) and in the threads' lists.
func accounted(f *fakes) (map[string]bool, []string) {
	seen := map[string]bool{}
	cards := map[string]int{}
	var dupes []string
	for _, m := range f.slack.AllMessages() {
		if m.ThreadTS == "" {
			for _, id := range stormID.FindAllString(string(m.Metadata), -1) {
				if cards[id]++; cards[id] == 2 {
					dupes = append(dupes, id)
				}
				seen[id] = true
			}
			continue
		}
		for _, id := range stormID.FindAllString(string(m.Blocks), -1) {
			seen[id] = true
		}
	}
	return seen, dupes
}

func reportStorm(b *testing.B, f *fakes, pid int, first, drained time.Duration) {
	var cards, threads int
	for _, m := range f.slack.AllMessages() {
		if m.ThreadTS == "" {
			cards++
		} else {
			threads++
		}
	}
	st := f.slack.Stats()
	b.ReportMetric(first.Seconds(), "first-card-s")
	b.ReportMetric(drained.Seconds(), "all-on-slack-s")
	b.ReportMetric(float64(cards), "cards")
	b.ReportMetric(float64(threads), "thread-msgs")
	b.ReportMetric(float64(st.Calls["chat.update"]), "card-updates")
	b.ReportMetric(float64(st.RateLimited["chat.postMessage"]), "429s")
	b.ReportMetric(peakRSSMB(pid), "peak-rss-MB")
}

// peakRSSMB reads the process's peak resident set (VmHWM) from /proc.
func peakRSSMB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}
