package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/postgres/pgtest"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

var repID = regexp.MustCompile(`rep[0-9a-f]{29}`)

// BenchmarkReplicaPublishToCard is the time from a Pub/Sub publish to the
// finding's card stored by the fake Slack with three replicas of the
// built binary on one PostgreSQL: b.N findings published at a steady 5/s,
// each taken by whichever replica Pub/Sub hands it to, claimed in the
// database and posted. As in BenchmarkPubSubToCard the channel's pace is
// relaxed (the replicas still take it from the store before each post),
// so that it measures the pipeline, not Slack's one post a second. Set
// REPLICA_LOG=DIR to keep the replicas' logs. Run with -benchtime Nx.
func BenchmarkReplicaPublishToCard(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	f, err := startFakes(ctx, testSubscription)
	if err != nil {
		b.Fatal(err)
	}
	defer f.close()
	f.slack.AddChannel("C0SECOPS00", "secops")
	cfg := pgReplicaConfig(b, "  post_interval: 100ms\n  post_burst: 50\n", "")
	url := pgtest.Database(b)
	var procs []*replicaProc
	for i := range 3 {
		procs = append(procs, startReplica(ctx, b, cfg, fmt.Sprintf("replica-%d", i+1), url, f))
	}
	defer func() {
		if dir := os.Getenv("REPLICA_LOG"); dir != "" {
			for _, p := range procs {
				_ = os.WriteFile(filepath.Join(dir, p.id+".log"), []byte(p.stderr.String()), 0o600)
			}
		}
	}()
	if err := f.slack.WaitOpenConns(ctx, 3); err != nil {
		b.Fatal(err)
	}
	published := map[string]time.Time{}
	b.ResetTimer()
	tick := time.NewTicker(200 * time.Millisecond)
	for i := range b.N {
		<-tick.C
		id := fmt.Sprintf("rep%029x", i)
		f.publish(sccfake.WithFindingID(seedTB(b, sccfake.SeedGKECompiler), id))
		published[id] = time.Now()
	}
	tick.Stop()
	latencies := waitCardsPosted(ctx, b, f, published)
	b.StopTimer()
	b.ReportMetric(ms(quantile(latencies, 0.5)), "p50-ms")
	b.ReportMetric(ms(quantile(latencies, 0.99)), "p99-ms")
}

// waitCardsPosted waits until every published finding has a card and
// returns each one's time from publish to the card.
func waitCardsPosted(ctx context.Context, b *testing.B, f *fakes, published map[string]time.Time) []time.Duration {
	for {
		posted := map[string]time.Time{}
		for _, m := range f.slack.AllMessages() {
			key := metadataKey(m.Metadata)
			if id := repID.FindString(key); id != "" && strings.HasPrefix(key, "card/") {
				if _, dup := posted[id]; dup {
					b.Fatalf("%s has two cards", id)
				}
				posted[id] = m.PostedAt
			}
		}
		if len(posted) == len(published) {
			out := make([]time.Duration, 0, len(posted))
			for id, at := range posted {
				out = append(out, at.Sub(published[id]))
			}
			return out
		}
		select {
		case <-ctx.Done():
			b.Fatalf("%d of %d findings have a card", len(posted), len(published))
		case <-time.After(50 * time.Millisecond):
		}
	}
}
