package slack

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/handlers"
)

// slowBackend answers every interaction through a Slack call that takes two
// seconds, standing in for SCC, Logging or Kubernetes on a bad day.
type slowBackend struct {
	api *goslack.Client
	wg  sync.WaitGroup
}

func (s *slowBackend) Serve(ctx context.Context, r handlers.Request) error {
	defer s.wg.Done()
	_, err := s.api.PostEphemeralContext(ctx, r.Channel, r.UserID, goslack.MsgOptionText("working on it", false))
	return err
}

// BenchmarkEnvelopeAck measures how long Slack waits for an ack while 200
// interactions are in flight and every backend call takes 2s. Budget: p99
// under 50ms (Slack allows 3s). The 200 envelopes arrive in one burst, the
// worst case: the last one waits for the socket to read the others.
func BenchmarkEnvelopeAck(b *testing.B) {
	benchAck(b, "interactive", func(fake *slackfake.Server) map[string]any {
		return fake.BlockActionPayload(slackfake.BlockAction{ActionID: "finding.related", Channel: "C0SECOPS01", Value: "x"})
	})
}

// BenchmarkSlashCommandAck is the same for /finding commands, whose
// payloads are small: the ack never waits for the answer.
func BenchmarkSlashCommandAck(b *testing.B) {
	benchAck(b, "slash_commands", func(fake *slackfake.Server) map[string]any {
		return fake.SlashCommandPayload(slackfake.SlashCommand{Text: "related 7c2b9d4e", Channel: "C0SECOPS01"})
	})
}

func benchAck(b *testing.B, kind string, payload func(*slackfake.Server) map[string]any) {
	const inFlight = 200
	fake := slackfake.New(slackfake.WithPingInterval(time.Second))
	defer fake.Close()
	fake.SetLatency("chat.postEphemeral", 2*time.Second)
	api := goslack.New(fake.BotToken(), goslack.OptionAPIURL(fake.URL()), goslack.OptionAppLevelToken(fake.AppToken()))
	backend := &slowBackend{api: api}
	bot := NewBot(api, backend, BotOptions{Workers: inFlight, QueueSize: 2 * inFlight})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := fake.WaitConnected(ctx); err != nil {
		b.Fatal(err)
	}
	payloads := make([]map[string]any, inFlight)
	for i := range payloads {
		payloads[i] = payload(fake)
	}
	var latencies []time.Duration
	b.ResetTimer()
	for range b.N {
		latencies = append(latencies, ackRound(b, fake, backend, kind, payloads)...)
	}
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}

// ackRound sends a burst of interactions, collects every ack's latency and
// waits for the slow backend to finish them all.
func ackRound(b *testing.B, fake *slackfake.Server, backend *slowBackend, kind string, payloads []map[string]any) []time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	backend.wg.Add(len(payloads))
	ids := make([]string, 0, len(payloads))
	for _, p := range payloads {
		id, err := fake.Send(ctx, kind, p)
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	out := make([]time.Duration, 0, len(ids))
	for _, id := range ids {
		ack, err := fake.WaitAck(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, ack.Latency)
	}
	backend.wg.Wait()
	return out
}
