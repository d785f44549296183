package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/mitre"
	"github.com/sccbot/sccbot/bot/scc"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/handlers"
)

// renderingPoster does the Slack adapter's CPU work (render to Block Kit
// and serialise it) without a network, so the benchmark measures the
// bot's own ingest path.
type renderingPoster struct{ n atomic.Int64 }

func (p *renderingPoster) Post(_ context.Context, channel string, m bot.Message) (bot.MessageRef, error) {
	blocks, text := slackbot.Render(m)
	if _, err := json.Marshal(map[string]any{"channel": channel, "text": text, "blocks": blocks}); err != nil {
		return bot.MessageRef{}, err
	}
	return bot.MessageRef{Channel: channel, TS: fmt.Sprintf("1700000000.%06d", p.n.Add(1))}, nil
}

func (p *renderingPoster) Reply(ctx context.Context, parent bot.MessageRef, m bot.Message) (bot.MessageRef, error) {
	return p.Post(ctx, parent.Channel, m)
}

func newBenchIntake(b *testing.B) *handlers.Intake {
	b.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	attack, err := mitre.Load()
	if err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(&testing.T{}, "unused.db", "")
	cards := handlers.NewCards(store, nil, attack, nil)
	return handlers.NewIntake(store, &renderingPoster{}, router(cfg), cards, handlers.IntakeOptions{})
}

// payloads returns n distinct notifications of the seed findings.
func payloads(b *testing.B, n int) [][]byte {
	b.Helper()
	keys := []string{sccfake.SeedGKECompiler, sccfake.SeedCloudRunCompiler, sccfake.SeedCloudRunMaliciousBinary}
	out := make([][]byte, n)
	for i := range out {
		raw, _ := sccfake.SeedJSON(keys[i%len(keys)])
		out[i] = sccfake.WithFindingID(raw, fmt.Sprintf("%032x", i))
	}
	return out
}

// BenchmarkIngestPath is the whole path of a new finding inside the bot:
// decode the Pub/Sub payload, dedupe and record it in SQLite, route,
// build the card, render and serialise it. Target: thousands of findings
// a second on one core (run with -cpu 1).
func BenchmarkIngestPath(b *testing.B) {
	in := newBenchIntake(b)
	msgs := payloads(b, b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f, err := scc.DecodeNotification(msgs[i])
		if err != nil {
			b.Fatal(err)
		}
		if err := in.Handle(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "findings/s")
}

// BenchmarkIngestDuplicate is a redelivered notification: decode and the
// dedupe lookup.
func BenchmarkIngestDuplicate(b *testing.B) {
	in := newBenchIntake(b)
	raw, _ := sccfake.SeedJSON(sccfake.SeedGKECompiler)
	ctx := context.Background()
	f, _ := scc.DecodeNotification(raw)
	if err := in.Handle(ctx, f); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f, err := scc.DecodeNotification(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := in.Handle(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "findings/s")
}

// BenchmarkPubSubToCard is the latency from publishing a notification to
// its card being stored by the fake Slack, through pstest, the real
// Pub/Sub subscriber, the store, the outbox and slack-go. Target: under 1s.
// Pacing is relaxed so the benchmark measures the pipeline, not Slack's
// one-message-a-second rule.
func BenchmarkPubSubToCard(b *testing.B) {
	t := &testing.T{}
	h := &harness{t: t}
	ctx := context.Background()
	f, err := startFakes(ctx, testSubscription)
	if err != nil {
		b.Fatal(err)
	}
	defer f.close()
	h.fakes = f
	f.slack.AddChannel("C0SECOPSGKE", "secops-gke")
	cfg := testConfig(t, filepath.Join(b.TempDir(), "sccbot.db"), "")
	cfg.Slack.PostBurst = 1000
	h.start(cfg)
	defer h.stop()
	msgs := payloads(b, 3*b.N)
	var latencies []time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		f.publish(msgs[3*i]) // a GKE finding
		if _, err := f.slack.WaitMessages(ctx, "C0SECOPSGKE", i+1); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
	b.ReportMetric(ms(latencies[len(latencies)*99/100]), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
