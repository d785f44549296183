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
	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/intake"
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

func newBenchIntake(b *testing.B) *intake.Intake {
	b.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	return benchIntake(b, store)
}

// benchIntake is the intake on store, posting to a renderingPoster.
func benchIntake(b *testing.B, store store) *intake.Intake {
	b.Helper()
	attack, err := mitre.Load()
	if err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(&testing.T{}, "unused.db", "")
	cards := handlers.NewCards(store, nil, handlers.CardsOptions{Attack: attack})
	return intake.NewIntake(store, &renderingPoster{}, router(cfg), cards, intake.Options{})
}

// payloads returns n distinct notifications of the seed findings.
func payloads(tb testing.TB, n int) [][]byte {
	tb.Helper()
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
func BenchmarkIngestPath(b *testing.B) { benchIngestPath(b, newBenchIntake(b)) }

func benchIngestPath(b *testing.B, in *intake.Intake) {
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

// BenchmarkIngestPathConcurrent is BenchmarkIngestPath with 16 findings
// in flight at once, as the Pub/Sub subscriber delivers them (run with
// -cpu 1: one core, 16 goroutines).
func BenchmarkIngestPathConcurrent(b *testing.B) { benchIngestConcurrent(b, newBenchIntake(b)) }

func benchIngestConcurrent(b *testing.B, in *intake.Intake) {
	msgs := payloads(b, b.N)
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f, err := scc.DecodeNotification(msgs[next.Add(1)-1])
			if err == nil {
				err = in.Handle(context.Background(), f)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "findings/s")
}

// BenchmarkIngestDuplicate is a redelivered notification: decode and the
// dedupe lookup.
func BenchmarkIngestDuplicate(b *testing.B) { benchIngestDuplicate(b, newBenchIntake(b)) }

func benchIngestDuplicate(b *testing.B, in *intake.Intake) {
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

// BenchmarkButtonAckSlowBackends is the ack budget through the whole bot:
// 200 button clicks in flight (Related findings and Logs on 100 cards)
// while SCC and Cloud Logging take 2s to answer each call. Budget: p99 of
// the ack under 50ms (Slack allows 3s). "burst" sends the 200 clicks at
// once, the worst case; "spread" sends them over one second, so that all
// 200 are in flight together as they would be on a busy day.
func BenchmarkButtonAckSlowBackends(b *testing.B) {
	b.Run("burst", func(b *testing.B) { benchButtonAck(b, 0) })
	b.Run("spread", func(b *testing.B) { benchButtonAck(b, 5*time.Millisecond) })
}

func benchButtonAck(b *testing.B, gap time.Duration) {
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
	const cards = 100
	for _, raw := range payloads(b, 3*cards) {
		f.publish(raw)
	}
	posted, err := f.slack.WaitMessages(ctx, "C0SECOPSGKE", cards)
	if err != nil {
		b.Fatal(err)
	}
	f.scc.SetLatency("ListFindings", 2*time.Second)
	f.logging.SetLatency(2 * time.Second)
	var latencies []time.Duration
	b.ResetTimer()
	for i := range b.N {
		latencies = append(latencies, clickRound(b, f, posted, gap)...)
		b.StopTimer()
		waitThreads(b, f, posted, i+1)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
	b.ReportMetric(ms(latencies[len(latencies)*99/100]), "p99-ms")
	b.ReportMetric(ms(latencies[len(latencies)-1]), "max-ms")
}

// clickRound clicks Related findings and Logs on every card and returns the
// ack latency of each click.
func clickRound(b *testing.B, f *fakes, cards []slackfake.Message, gap time.Duration) []time.Duration {
	ctx := context.Background()
	var ids []string
	for _, c := range cards {
		for _, action := range []string{handlers.ActionRelated, handlers.ActionLogs} {
			p := f.slack.BlockActionPayload(slackfake.BlockAction{UserID: "U0ALICE", Channel: c.Channel, MessageTS: c.TS, ActionID: action})
			id, err := f.slack.Send(ctx, "interactive", p)
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, id)
			time.Sleep(gap)
		}
	}
	out := make([]time.Duration, 0, len(ids))
	for _, id := range ids {
		ack, err := f.slack.WaitAck(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, ack.Latency)
	}
	return out
}

// waitThreads waits for both answers of this round on every card, so
// rounds don't overlap.
func waitThreads(b *testing.B, f *fakes, cards []slackfake.Message, round int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, c := range cards {
		if _, err := f.slack.WaitThread(ctx, c.Channel, c.TS, 2*round); err != nil {
			b.Fatal(err)
		}
	}
}
