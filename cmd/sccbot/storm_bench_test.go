package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// A storm as the issue describes it: a crash-looping deployment in three
// projects (one channel each), a spread of categories and pods with names
// of 40 to 60 characters, and one finding in ten HIGH or CRITICAL on a
// workload of its own.
var stormCategories = []string{
	"Execution: Added Binary Executed", "Reverse Shell", "Execution: Added Library Loaded",
	"Defense Evasion: Launch Code Compiler Tool In Container", "Execution: Malicious Script Executed",
	"Execution: Built in Malicious Binary Executed",
}

var stormChannels = []string{"C0STORM0000", "C0STORM0001", "C0STORM0002"}

// stormShape is one storm: how many findings over how long.
type stormShape struct {
	findings int
	seconds  int
	seed     uint64
}

// stormFinding is the i-th finding of a storm and whether it is severe.
func stormFinding(t testing.TB, rng *rand.Rand, i int, at time.Time) ([]byte, bool) {
	raw := sccfake.WithFindingID(seedTB(t, sccfake.SeedGKECompiler), stormFindingID(i))
	raw = sccfake.WithEventTime(raw, at)
	var msg map[string]any
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatal(err)
	}
	f := msg["finding"].(map[string]any)
	project := fmt.Sprintf("storm-p%d", i%len(stormChannels))
	cluster := "prod-cluster"
	severe := rng.IntN(10) == 0
	f["severity"] = []string{"LOW", "MEDIUM"}[rng.IntN(2)]
	if severe {
		f["severity"] = []string{"HIGH", "CRITICAL"}[rng.IntN(2)]
		cluster = fmt.Sprintf("workload-%d", i) // a workload of its own
	}
	f["category"] = stormCategories[rng.IntN(len(stormCategories))]
	resource := fmt.Sprintf("//container.googleapis.com/projects/%s/locations/us-central1/clusters/%s", project, cluster)
	f["resourceName"] = resource
	res := msg["resource"].(map[string]any)
	res["name"], res["displayName"] = resource, cluster
	res["gcpMetadata"].(map[string]any)["projectDisplayName"] = project
	image := fmt.Sprintf("us-docker.pkg.dev/%s/apps/checkout:%d", project, rng.IntN(2))
	f["containers"].([]any)[0].(map[string]any)["uri"] = image
	pod := stormPodName(rng)
	f["kubernetes"].(map[string]any)["pods"].([]any)[0].(map[string]any)["name"] = pod
	props := f["sourceProperties"].(map[string]any)
	props["Pod_Name"], props["Container_Image_Uri"] = pod, image
	out, _ := json.Marshal(msg)
	return out, severe
}

// stormPodName is a crash-looping deployment's pod name of 40 to 60
// characters, now and then with characters that need escaping.
func stormPodName(rng *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-"
	n := 40 + rng.IntN(21)
	b := []byte("checkout-payments-")
	for len(b) < n {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	if rng.IntN(20) == 0 {
		copy(b[n-4:], "<&>`")
	}
	return string(b)
}

func stormFindingID(i int) string { return fmt.Sprintf("s%031x", i) }

func seedTB(t testing.TB, key string) []byte {
	raw, ok := sccfake.SeedJSON(key)
	if !ok {
		t.Fatalf("no seed %q", key)
	}
	return raw
}

var stormID = regexp.MustCompile(`s[0-9a-f]{31}`)

// BenchmarkStorm runs the built bot (its own process, so its memory is
// measured alone) through storms of the shape, then waits until
// every finding has its card or a line in a listing. It reports when each
// finding was first named on Slack (in any message of its channel) after
// its publish, when each severe one was first named in a top-level
// message, the messages, 429s and the bot's peak memory; it fails on a
// finding lost or carded or listed twice.
func BenchmarkStorm(b *testing.B) {
	for _, s := range []stormShape{{findings: 10000, seconds: 60, seed: 1}, {findings: 2000, seconds: 10, seed: 2}} {
		b.Run(fmt.Sprintf("%din%ds", s.findings, s.seconds), func(b *testing.B) {
			for n := range b.N {
				s.seed += uint64(n) * 7919
				runStorm(b, s)
			}
		})
	}
}

func runStorm(b *testing.B, s stormShape) {
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
	rng := rand.New(rand.NewPCG(s.seed, 42))
	payloads := make([][]byte, s.findings)
	severe := map[string]bool{}
	start := time.Now()
	for i := range payloads {
		var sev bool
		payloads[i], sev = stormFinding(b, rng, i, start.Add(time.Duration(i)*time.Duration(s.seconds)*time.Second/time.Duration(s.findings)))
		if sev {
			severe[stormFindingID(i)] = true
		}
	}
	published := publishStorm(f, payloads, s.seconds)
	drained := waitAccounted(b, f, published, stderr)
	reportStorm(b, f, cmd.Process.Pid, published, severe, drained)
	if p := os.Getenv("STORM_LOG"); p != "" {
		_ = os.WriteFile(p, stderr.Bytes(), 0o600)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
}

func startStormFakes(ctx context.Context) (*fakes, error) {
	f, err := startFakes(ctx, testSubscription)
	if err != nil {
		return nil, err
	}
	f.slack.Close()
	f.slack = slackfake.New(slackfake.WithPingInterval(5*time.Second), slackfake.WithPostRate(time.Second, 3),
		slackfake.WithUpdateRate(1200*time.Millisecond, 10))
	for i, ch := range stormChannels {
		f.slack.AddChannel(ch, fmt.Sprintf("storm-%d", i))
	}
	return f, nil
}

func startStormBot(b *testing.B, f *fakes) (*exec.Cmd, *bytes.Buffer) {
	bin := buildBinary(b)
	dir := b.TempDir()
	cfg := fmt.Sprintf(`%ssources:
  pubsub:
    subscription: %s
    max_outstanding: 1000
store:
  path: %s
ops:
  listen: "%s"
log:
  level: %s
`, stormRoutes(), testSubscription, filepath.Join(dir, "sccbot.db"), cmp.Or(os.Getenv("STORM_OPS"), "off"), cmp.Or(os.Getenv("STORM_LOG_LEVEL"), "warn"))
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

// stormRoutes is the configuration's slack and routes sections for the
// storm's three channels, one project each.
func stormRoutes() string {
	return fmt.Sprintf(`slack:
  default_channel: %s
routes:
  - name: p1
    channel: %s
    match: {project: [storm-p1]}
  - name: p2
    channel: %s
    match: {project: [storm-p2]}
`, stormChannels[0], stormChannels[1], stormChannels[2])
}

// publishStorm publishes the payloads evenly over seconds and returns when
// each finding id was published.
func publishStorm(f *fakes, payloads [][]byte, seconds int) map[string]time.Time {
	const tick = 50 * time.Millisecond
	per := max(1, len(payloads)*int(tick)/(seconds*int(time.Second)))
	at := make(map[string]time.Time, len(payloads))
	next := time.Now()
	for i := 0; i < len(payloads); i += per {
		for j := i; j < min(i+per, len(payloads)); j++ {
			f.publish(payloads[j])
			at[stormFindingID(j)] = time.Now()
		}
		next = next.Add(tick)
		time.Sleep(time.Until(next))
	}
	return at
}

// waitAccounted waits until every finding has its card or its line in a
// listing, failing at once on a finding shown twice.
func waitAccounted(b *testing.B, f *fakes, published map[string]time.Time, stderr *bytes.Buffer) time.Duration {
	start := time.Now()
	deadline := start.Add(15 * time.Minute)
	for {
		acc := account(f.slack.AllMessages())
		if len(acc.twice) > 0 {
			for _, m := range f.slack.AllMessages() {
				if strings.Contains(string(m.Blocks)+string(m.Metadata), acc.twice[0]) {
					b.Logf("%s %s thread=%s key=%s", m.Channel, m.TS, m.ThreadTS, metadataKey(m.Metadata))
				}
			}
			b.Fatalf("findings shown twice (card or listing): %v", acc.twice[:min(5, len(acc.twice))])
		}
		if len(acc.shown) == len(published) {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			b.Fatalf("after 15 minutes %d of %d findings have a card or a listing line\n%s", len(acc.shown), len(published), tail(stderr.String(), 4000))
		}
		time.Sleep(time.Second)
	}
}

// accounting is what Slack shows of a storm.
type accounting struct {
	shown    map[string]bool      // on a card or in a listing
	twice    []string             // on two cards, two listings, or both
	named    map[string]time.Time // first message of any kind naming it
	topLevel map[string]time.Time // first top-level message naming it
	bursts   int
}

// account reads every message: a card names its finding in its metadata
// key; a listing (key list/...) names its members in its blocks; any
// message that shows a finding's id names it.
func account(msgs []slackfake.Message) accounting {
	acc := accounting{shown: map[string]bool{}, named: map[string]time.Time{}, topLevel: map[string]time.Time{}}
	slices.SortFunc(msgs, func(a, b slackfake.Message) int { return a.PostedAt.Compare(b.PostedAt) })
	for _, m := range msgs {
		key := metadataKey(m.Metadata)
		ids := stormID.FindAllString(html.UnescapeString(string(m.Blocks)), -1)
		if strings.HasPrefix(key, "burst/") {
			acc.bursts++
		}
		for _, id := range uniq(ids) {
			if _, ok := acc.named[id]; !ok {
				acc.named[id] = m.PostedAt
			}
			if _, ok := acc.topLevel[id]; !ok && !m.IsReply() {
				acc.topLevel[id] = m.PostedAt
			}
		}
		var shows []string
		switch {
		case strings.HasPrefix(key, "card/"):
			shows = stormID.FindAllString(key, 1)
		case strings.HasPrefix(key, "list/"):
			shows = ids
		}
		for _, id := range shows {
			if acc.shown[id] {
				acc.twice = append(acc.twice, id)
			}
			acc.shown[id] = true
		}
	}
	return acc
}

func metadataKey(raw json.RawMessage) string {
	var md struct {
		Payload struct {
			Key string `json:"key"`
		} `json:"event_payload"`
	}
	_ = json.Unmarshal(raw, &md)
	return md.Payload.Key
}

func uniq(ss []string) []string {
	slices.Sort(ss)
	return slices.Compact(ss)
}

func reportStorm(b *testing.B, f *fakes, pid int, published map[string]time.Time, severe map[string]bool, drained time.Duration) {
	msgs := f.slack.AllMessages()
	acc := account(msgs)
	var named, severeTop []time.Duration
	for id, at := range published {
		t, ok := acc.named[id]
		if !ok {
			b.Errorf("finding %s never named", id)
			continue
		}
		named = append(named, t.Sub(at))
		if severe[id] {
			top, ok := acc.topLevel[id]
			if !ok {
				b.Errorf("severe finding %s never named in a top-level message", id)
				continue
			}
			severeTop = append(severeTop, top.Sub(at))
		}
	}
	var top, replies int
	for _, m := range msgs {
		if m.IsReply() {
			replies++
		} else {
			top++
		}
	}
	if os.Getenv("STORM_TIMELINE") != "" {
		first := time.Now()
		for _, at := range published {
			if at.Before(first) {
				first = at
			}
		}
		for _, m := range msgs {
			k := metadataKey(m.Metadata)
			if i := strings.Index(k, "/"); i > 0 {
				k = k[:i]
			}
			b.Logf("%6.2fs %s reply=%v %s ids=%d", m.PostedAt.Sub(first).Seconds(), m.Channel, m.IsReply(), k, len(uniq(stormID.FindAllString(string(m.Blocks), -1))))
		}
	}
	st := f.slack.Stats()
	b.ReportMetric(quantile(named, 0.5).Seconds(), "named-p50-s")
	b.ReportMetric(quantile(named, 0.99).Seconds(), "named-p99-s")
	b.ReportMetric(quantile(severeTop, 0.5).Seconds(), "severe-top-p50-s")
	b.ReportMetric(quantile(severeTop, 0.99).Seconds(), "severe-top-p99-s")
	b.ReportMetric(drained.Seconds(), "all-carded-or-listed-s")
	b.ReportMetric(float64(top), "top-level-msgs")
	b.ReportMetric(float64(replies), "thread-msgs")
	b.ReportMetric(float64(acc.bursts), "bursts")
	b.ReportMetric(float64(st.Calls["chat.update"]), "card-updates")
	b.ReportMetric(float64(st.RateLimited["chat.postMessage"]+st.RateLimited["chat.update"]), "429s")
	b.ReportMetric(float64(len(published)-len(acc.named)), "lost")
	b.ReportMetric(peakRSSMB(pid), "peak-rss-MB")
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
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
