package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// PaceStore is the store side of the outbox's shared pace (the methods
// bot/slack's PaceStore names): token buckets that every replica takes
// from, and the pauses a 429's Retry-After imposes on all of them.
//
// The contract: the arithmetic is internal/pace's, computed with the now
// the caller passes (never the store's clock), to the microsecond. A take
// is atomic: takers racing on one key, from any number of connections and
// processes, get distinct slots. A pause never shortens an earlier one.
type PaceStore interface {
	TakePace(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error)
	PausePace(ctx context.Context, key string, until time.Time) error
	PaceUntil(ctx context.Context, key string) (time.Time, error)
}

// PaceOpenFunc opens an empty store for one subtest (closed by
// t.Cleanup). replica opens another handle on the same data, as another
// replica would (its own connections), also closed by t.Cleanup.
type PaceOpenFunc = func(t *testing.T) (s PaceStore, replica func() PaceStore)

// RunPace runs the pace contract against the stores open returns.
func RunPace(t *testing.T, open PaceOpenFunc) {
	t.Run("PaceArithmetic", func(t *testing.T) { testPaceArithmetic(t, open) })
	t.Run("PacePause", func(t *testing.T) { testPacePause(t, open) })
	t.Run("PacePauseAcrossReplicas", func(t *testing.T) { testPacePauseAcrossReplicas(t, open) })
	t.Run("PaceConcurrentTakes", func(t *testing.T) { testPaceConcurrentTakes(t, open) })
	t.Run("PaceCancelledContext", func(t *testing.T) { testPaceCancelledContext(t, open) })
}

// paceT0 has nanoseconds on purpose: the store keeps microseconds, and a
// wait must still come out exact to the microsecond.
var paceT0 = time.Date(2026, 12, 6, 8, 0, 0, 123, time.UTC)

// takes takes n tokens of key at now and returns the waits.
func takes(t *testing.T, s PaceStore, key string, n int, now time.Time, interval time.Duration, burst int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for range n {
		w, err := s.TakePace(context.Background(), key, interval, burst, now)
		must(t, "TakePace", err)
		out = append(out, w)
	}
	return out
}

// sameWaits compares waits to the microsecond the store keeps.
func sameWaits(t *testing.T, what string, got, want []time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: waits = %v, want %v", what, got, want)
	}
	for i := range want {
		if d := got[i] - want[i]; d < -time.Microsecond || d > time.Microsecond {
			t.Fatalf("%s: waits = %v, want %v", what, got, want)
		}
	}
}

func testPaceArithmetic(t *testing.T, open PaceOpenFunc) {
	s, _ := open(t)
	sec := time.Second
	sameWaits(t, "a full bucket of 3, then one a second",
		takes(t, s, "post/C1", 5, paceT0, sec, 3), []time.Duration{0, 0, 0, sec, 2 * sec})
	// Ten seconds later the debt of two is paid and the bucket is full
	// again: three at once, not ten.
	sameWaits(t, "refilled to the burst, not beyond",
		takes(t, s, "post/C1", 4, paceT0.Add(10*sec), sec, 3), []time.Duration{0, 0, 0, sec})
	sameWaits(t, "another key is another bucket",
		takes(t, s, "post/C2", 1, paceT0, sec, 3), []time.Duration{0})
	sameWaits(t, "burst 1",
		takes(t, s, "update", 1, paceT0, 1200*time.Millisecond, 1), []time.Duration{0})
	sameWaits(t, "part of an interval later",
		takes(t, s, "update", 1, paceT0.Add(400*time.Millisecond), 1200*time.Millisecond, 1), []time.Duration{800 * time.Millisecond})
	// A caller whose clock lags the slot it is given still waits from
	// its own now.
	sameWaits(t, "a slot in the caller's future",
		takes(t, s, "update", 1, paceT0, 1200*time.Millisecond, 1), []time.Duration{2400 * time.Millisecond})
}

func testPacePause(t *testing.T, open PaceOpenFunc) {
	s, _ := open(t)
	ctx := context.Background()
	until, err := s.PaceUntil(ctx, "post/C1")
	must(t, "PaceUntil", err)
	if !until.IsZero() {
		t.Errorf("PaceUntil of a key never paused = %v, want zero", until)
	}
	end := paceT0.Add(5 * time.Second)
	must(t, "PausePace", s.PausePace(ctx, "post/C1", end))
	must(t, "PausePace", s.PausePace(ctx, "post/C1", paceT0.Add(2*time.Second)))
	until, err = s.PaceUntil(ctx, "post/C1")
	must(t, "PaceUntil", err)
	if d := until.Sub(end); d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("PaceUntil = %v, want %v: a shorter pause must not cut a longer one", until, end)
	}
	// The pause leaves one token at its end; the rest follow at the pace.
	sec := time.Second
	sameWaits(t, "takes during a pause", takes(t, s, "post/C1", 3, paceT0.Add(sec), sec, 3),
		[]time.Duration{4 * sec, 5 * sec, 6 * sec})
	// A bucket in debt keeps its debt through a pause that ends sooner.
	sameWaits(t, "reserved slots", takes(t, s, "post/C2", 3, paceT0, sec, 1), []time.Duration{0, sec, 2 * sec})
	must(t, "PausePace", s.PausePace(ctx, "post/C2", paceT0.Add(sec)))
	sameWaits(t, "after a short pause", takes(t, s, "post/C2", 1, paceT0, sec, 1), []time.Duration{3 * sec})
}

func testPacePauseAcrossReplicas(t *testing.T, open PaceOpenFunc) {
	a, replica := open(t)
	b := replica()
	sec := time.Second
	sameWaits(t, "replica A", takes(t, a, "post/C1", 1, paceT0, sec, 3), []time.Duration{0})
	must(t, "PausePace", a.PausePace(context.Background(), "post/C1", paceT0.Add(30*sec)))
	until, err := b.PaceUntil(context.Background(), "post/C1")
	must(t, "PaceUntil", err)
	if !until.After(paceT0.Add(29 * sec)) {
		t.Errorf("replica B sees the pause ending %v, want A's %v", until, paceT0.Add(30*sec))
	}
	sameWaits(t, "replica B behind A's 429", takes(t, b, "post/C1", 2, paceT0.Add(sec), sec, 3),
		[]time.Duration{29 * sec, 30 * sec})
}

// testPaceConcurrentTakes races takers on one key from two handles (two
// replicas, each with its own connections) at one instant: they must get
// distinct slots, exactly the burst at once and then one an interval.
func testPaceConcurrentTakes(t *testing.T, open PaceOpenFunc) {
	a, replica := open(t)
	handles := []PaceStore{a, replica()}
	const n, burst = 24, 3
	interval := 500 * time.Millisecond
	var wg sync.WaitGroup
	var mu sync.Mutex
	var waits []time.Duration
	var errs []error
	for i := range n {
		wg.Go(func() {
			w, err := handles[i%2].TakePace(context.Background(), "post/C1", interval, burst, paceT0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			waits = append(waits, w)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent takes: %v", err)
	}
	slices.Sort(waits)
	want := make([]time.Duration, n)
	for i := burst; i < n; i++ {
		want[i] = time.Duration(i-burst+1) * interval
	}
	sameWaits(t, fmt.Sprintf("%d racing takers", n), waits, want)
}

func testPaceCancelledContext(t *testing.T, open PaceOpenFunc) {
	s, _ := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.TakePace(ctx, "post/C1", time.Second, 3, paceT0); !errors.Is(err, context.Canceled) {
		t.Errorf("TakePace with a cancelled context = %v, want context.Canceled", err)
	}
	if err := s.PausePace(ctx, "post/C1", paceT0); !errors.Is(err, context.Canceled) {
		t.Errorf("PausePace with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := s.PaceUntil(ctx, "post/C1"); !errors.Is(err, context.Canceled) {
		t.Errorf("PaceUntil with a cancelled context = %v, want context.Canceled", err)
	}
}
