package gke

import (
	"context"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
)

// discardStore is an evidence bucket that counts and forgets, so that a
// memory measurement sees the collection path only (exec stream, hashing,
// the cut); bot/evidence's BenchmarkCreate1GiB measures the upload.
type discardStore struct{}

func (discardStore) Create(_ context.Context, name, ct string, r io.Reader) (bot.EvidenceObject, error) {
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return bot.EvidenceObject{}, &bot.SourceError{Err: err}
	}
	return bot.EvidenceObject{Name: name, URL: "gs://bench/" + name, ContentType: ct, Size: n}, nil
}

func (s discardStore) CreateBytes(ctx context.Context, name, ct string, b []byte) (bot.EvidenceObject, error) {
	return s.Create(ctx, name, ct, strings.NewReader(string(b)))
}

func (discardStore) Bucket(context.Context) (bot.EvidenceBucket, error) {
	return bot.EvidenceBucket{Name: "bench"}, nil
}

func (discardStore) URL(name string) string { return "gs://bench/" + name }

// BenchmarkCollect1GiBCutAtLimit has the container serve a 1 GiB binary
// through the real exec stream (client-go's WebSocket executor against
// gkefake) and collect_evidence cut it at the default 256 MiB, and
// reports how far the live heap rose (fake API server included).
//
//	go test -run '^$' -bench Collect1GiB -benchtime 1x ./playbooks/gke
func BenchmarkCollect1GiBCutAtLimit(b *testing.B) {
	kube := gkefake.NewKubeAPI(testToken)
	defer kube.Close()
	gkefake.Seed(kube, nil)
	kube.SetFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, gkefake.SeedBinaryPath,
		gkefake.PatternFile("one gibibyte", 1<<30))
	resp := New(fixedConfig{kube}, Options{})
	ev := playbooks.NewEvidence(discardStore{}, map[bot.Product]bot.EvidenceCollector{bot.ProductGKE: resp},
		playbooks.EvidenceOptions{})
	f := evidenceFinding(gkefake.SeedBinaryPath)
	b.SetBytes(playbooks.DefaultBinaryLimit)
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := make(chan struct{})
		peak := peakHeap(stop)
		res, err := ev.Execute(context.Background(), f, bot.ActionCollectEvidence, false)
		close(stop)
		if err != nil {
			b.Fatal(err)
		}
		if !strings.Contains(res.Summary, "cut at 256.0 MiB") {
			b.Fatalf("summary = %q", res.Summary)
		}
		b.ReportMetric((float64(<-peak)-float64(before.HeapAlloc))/(1<<20), "peak-heap-rise-MiB")
	}
}

// fixedConfig reaches the fake API server directly, without the
// container API.
type fixedConfig struct{ kube *gkefake.KubeAPI }

func (c fixedConfig) Config(context.Context, bot.Target) (*rest.Config, error) {
	return &rest.Config{Host: c.kube.URL(), BearerToken: c.kube.Token(),
		TLSClientConfig: rest.TLSClientConfig{CAData: c.kube.CAPEM()}}, nil
}

// peakHeap samples the live heap until stop is closed and returns the
// highest value seen.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}
