package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/internal/pace"
)

// memPace is a PaceStore in memory, shared by the outboxes of a test as a
// database is shared by replicas. The stores' own conformance tests
// (bot/storetest) cover the real ones; failing makes every call fail.
type memPace struct {
	mu      sync.Mutex
	buckets map[string]pace.State
	failing error
}

func newMemPace() *memPace { return &memPace{buckets: map[string]pace.State{}} }

func (m *memPace) TakePace(_ context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing != nil {
		return 0, m.failing
	}
	s, ok := m.buckets[key]
	if !ok {
		s = pace.Fresh(burst, now)
	}
	s, w := s.Take(now, interval, burst)
	m.buckets[key] = s
	return w, nil
}

func (m *memPace) PausePace(_ context.Context, key string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing != nil {
		return m.failing
	}
	s, ok := m.buckets[key]
	if !ok {
		s = pace.State{Tokens: 1, Last: until}
	}
	m.buckets[key] = s.Pause(until)
	return nil
}

func (m *memPace) PaceUntil(_ context.Context, key string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing != nil {
		return time.Time{}, m.failing
	}
	return m.buckets[key].Until, nil
}

func (m *memPace) fail(err error) {
	m.mu.Lock()
	m.failing = err
	m.mu.Unlock()
}

// manualClock only moves when the test says so: a Sleep blocks until
// Advance passes its end, so a test can look at the world while outboxes
// wait for their slots.
type manualClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers []sleeper
	changed  chan struct{}
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), changed: make(chan struct{})}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	s := sleeper{until: c.now.Add(d), wake: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		c.sleepers = slices.DeleteFunc(c.sleepers, func(x sleeper) bool { return x.wake == s.wake })
		c.mu.Unlock()
		return ctx.Err()
	}
}

// advanceTo moves the clock to t and wakes the sleepers whose end it
// passed.
func (c *manualClock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	c.sleepers = slices.DeleteFunc(c.sleepers, func(s sleeper) bool {
		if s.until.After(t) {
			return false
		}
		close(s.wake)
		return true
	})
}

// waitSleepers waits until n sleepers are blocked and returns their ends.
func (c *manualClock) waitSleepers(t *testing.T, n int) []time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		c.mu.Lock()
		var ends []time.Time
		for _, s := range c.sleepers {
			ends = append(ends, s.until)
		}
		changed := c.changed
		c.mu.Unlock()
		if len(ends) >= n {
			return ends
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for %d sleepers, have %d", n, len(ends))
		}
	}
}

// startOutbox runs an outbox against fake until the test ends.
func startOutbox(t *testing.T, fake *slackfake.Server, opts OutboxOptions) *Outbox {
	t.Helper()
	opts.RequestTimeout = 5 * time.Second
	o := NewOutbox(goslack.New(fake.BotToken(), goslack.OptionAPIURL(fake.URL())), opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return o
}

// maxInWindow is the largest number of calls within any window of d.
func maxInWindow(calls []slackfake.Call, d time.Duration) int {
	best := 0
	for i, c := range calls {
		n := 0
		for _, o := range calls[i:] {
			if o.At.Sub(c.At) < d {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// poke wakes waitSleepers and drive, for a change they cannot see.
func (c *manualClock) poke() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.changed)
	c.changed = make(chan struct{})
}

// drive runs virtual time for lanes that only ever block in Sleep or in a
// request: whenever every lane with work left (busy) sleeps, it moves the
// clock to the earliest sleeper's end. Each post then goes out exactly at
// its slot, as it would on an idle machine, however the goroutines are
// scheduled. It returns when busy reports none.
func (c *manualClock) drive(busy func() int) {
	for {
		c.mu.Lock()
		changed := c.changed
		var next time.Time
		for i, s := range c.sleepers {
			if i == 0 || s.until.Before(next) {
				next = s.until
			}
		}
		asleep := len(c.sleepers)
		c.mu.Unlock()
		n := busy()
		if n == 0 {
			return
		}
		if asleep >= n {
			c.advanceTo(next)
			continue
		}
		<-changed
	}
}

// TestOutboxReplicasSharePace runs two outboxes, as two replicas, posting
// to one channel at once through one pace store: Slack sees one channel
// paced as one (the burst, then one a second), and never answers 429.
func TestOutboxReplicasSharePace(t *testing.T) {
	clock := newManualClock()
	fake := slackfake.New(slackfake.WithClock(clock.Now), slackfake.WithPostRate(time.Second, 3))
	t.Cleanup(fake.Close)
	store := newMemPace()
	replicas := []*Outbox{
		startOutbox(t, fake, OutboxOptions{Clock: clock, Pace: store}),
		startOutbox(t, fake, OutboxOptions{Clock: clock, Pace: store}),
	}
	var mu sync.Mutex
	left := []int{10, 10} // posts not yet answered, per replica
	busy := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, l := range left {
			if l > 0 {
				n++
			}
		}
		return n
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for r, o := range replicas {
		for i := range 10 {
			wg.Go(func() {
				if _, err := o.Post(t.Context(), "C0SECOPS01", card(r*100+i)); err != nil {
					errs <- err
				}
				mu.Lock()
				left[r]--
				mu.Unlock()
				clock.poke()
			})
		}
	}
	clock.drive(busy)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(fake.Messages("C0SECOPS01")); n != 20 {
		t.Fatalf("channel has %d messages, want 20", n)
	}
	if n := fake.Stats().RateLimited["chat.postMessage"]; n != 0 {
		t.Errorf("Slack answered 429 %d times; together the replicas posted too fast", n)
	}
	calls := fake.Calls("chat.postMessage")
	if n := maxInWindow(calls, time.Second); n > 3 {
		t.Errorf("%d posts within one second, want at most the burst of 3", n)
	}
	if span := calls[len(calls)-1].At.Sub(calls[0].At); span != 17*time.Second {
		t.Errorf("20 posts spanned %v, want 17s (3 at once, then one a second)", span)
	}
}

// TestOutboxReplicaHonoursAnotherReplicasRetryAfter gives one outbox a 429
// and shows the other, posting to the same channel, waiting until the
// Retry-After ends, then both posting at the pace.
func TestOutboxReplicaHonoursAnotherReplicasRetryAfter(t *testing.T) {
	clock := newManualClock()
	start := clock.Now()
	fake := slackfake.New(slackfake.WithClock(clock.Now))
	t.Cleanup(fake.Close)
	store := newMemPace()
	a := startOutbox(t, fake, OutboxOptions{Clock: clock, Pace: store})
	b := startOutbox(t, fake, OutboxOptions{Clock: clock, Pace: store})
	fake.RateLimitNext("chat.postMessage", 1, 5*time.Second)
	ctx := t.Context()
	posted := make(chan error, 2)
	go func() { _, err := a.Post(ctx, "C0SECOPS01", card(1)); posted <- err }()
	// A was refused and now waits for the Retry-After.
	if ends := clock.waitSleepers(t, 1); !ends[0].Equal(start.Add(5 * time.Second)) {
		t.Fatalf("A sleeps until %v, want the Retry-After's end %v", ends[0], start.Add(5*time.Second))
	}
	go func() { _, err := b.Post(ctx, "C0SECOPS01", card(2)); posted <- err }()
	ends := clock.waitSleepers(t, 2)
	slices.SortFunc(ends, time.Time.Compare)
	if want := start.Add(6 * time.Second); !ends[1].Equal(want) {
		t.Fatalf("B sleeps until %v, want %v: after A's slot at the pause's end", ends[1], want)
	}
	clock.advanceTo(start.Add(4999 * time.Millisecond))
	if n := len(fake.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("%d chat.postMessage calls before the Retry-After ended, want only the refused one", n)
	}
	clock.advanceTo(start.Add(5 * time.Second))
	if _, err := fake.WaitCalls(ctx, "chat.postMessage", 2); err != nil {
		t.Fatal(err)
	}
	clock.advanceTo(start.Add(6 * time.Second))
	for range 2 {
		if err := <-posted; err != nil {
			t.Fatal(err)
		}
	}
	calls := fake.Calls("chat.postMessage")
	if len(calls) != 3 || !calls[1].At.Equal(start.Add(5*time.Second)) || !calls[2].At.Equal(start.Add(6*time.Second)) {
		t.Errorf("calls = %v, want the refused one, then posts at +5s and +6s", callTimes(calls, start))
	}
	if n := fake.EarlyPosts(); n != 0 {
		t.Errorf("%d posts inside the Retry-After window, want 0", n)
	}
}

func callTimes(calls []slackfake.Call, start time.Time) []string {
	var out []string
	for _, c := range calls {
		out = append(out, fmt.Sprintf("%v@+%v", c.Status, c.At.Sub(start)))
	}
	return out
}

// TestOutboxPostsWhenPaceStoreFails shows a store outage costing the
// shared pace, not the posts: the lane paces on its own bucket, each
// failed call is counted, the outage is logged once with its cause, and
// its end once.
func TestOutboxPostsWhenPaceStoreFails(t *testing.T) {
	clock := newFakeClock()
	fake := slackfake.New(slackfake.WithClock(clock.Now), slackfake.WithPostRate(time.Second, 3))
	t.Cleanup(fake.Close)
	store := newMemPace()
	store.fail(errors.New("connection refused by 10.0.0.7:5432"))
	var logs syncBuffer
	metrics := NewMetrics(nil)
	o := startOutbox(t, fake, OutboxOptions{Clock: clock, Pace: store, Metrics: metrics,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	for i := range 5 {
		if _, err := o.Post(t.Context(), "C0SECOPS01", card(i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.Stats().RateLimited["chat.postMessage"]; n != 0 {
		t.Errorf("%d 429s: the fallback bucket did not pace", n)
	}
	if n := testutil.ToFloat64(metrics.paceFallbacks.WithLabelValues("take")); n < 5 {
		t.Errorf("pace store errors (take) = %v, want at least one per post", n)
	}
	store.fail(nil)
	if _, err := o.Post(t.Context(), "C0SECOPS01", card(9)); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if n := strings.Count(out, "pace store unreachable"); n != 1 || !strings.Contains(out, "connection refused") {
		t.Errorf("outage logged %d times (want once, with its cause):\n%s", n, out)
	}
	if n := strings.Count(out, "pace store reachable again"); n != 1 {
		t.Errorf("recovery logged %d times, want once:\n%s", n, out)
	}
	if n := len(fake.Messages("C0SECOPS01")); n != 6 {
		t.Errorf("%d messages, want 6", n)
	}
}

// syncBuffer is a bytes.Buffer for a logger written from several
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
