package scc

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// lines is a slog handler that hands every record's message to a channel,
// so that a test can wait for a log line instead of sleeping.
type lines struct {
	ch    chan slog.Record
	attrs []slog.Attr
}

func newLines() *lines { return &lines{ch: make(chan slog.Record, 1000)} }

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(l.attrs...)
	select {
	case l.ch <- r:
	default:
	}
	return nil
}
func (l *lines) WithAttrs(as []slog.Attr) slog.Handler {
	return &lines{ch: l.ch, attrs: append(append([]slog.Attr(nil), l.attrs...), as...)}
}
func (l *lines) WithGroup(string) slog.Handler { return l }

// waitFor returns the first record with message msg, failing after 30s.
func (l *lines) waitFor(t *testing.T, msg string) slog.Record {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case r := <-l.ch:
			if r.Message == msg {
				return r
			}
		case <-deadline:
			t.Fatalf("no %q log line within 30s", msg)
		}
	}
}

func attr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

func TestHealthReadinessMetricsAndRateLimitedLog(t *testing.T) {
	clock := &fakeClock{now: t0}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	log := newLines()
	h := NewHealth("pubsub:projects/p/subscriptions/s", HealthOptions{UnhealthyAfter: time.Minute,
		LogEvery: 30 * time.Second, Logger: slog.New(log), Metrics: m, Now: clock.Now})
	src := h.Source()

	if err := h.Ready(); err != nil {
		t.Errorf("Ready at start = %v, want nil (the source gets UnhealthyAfter to start)", err)
	}
	if v := testutil.ToFloat64(m.up.WithLabelValues(src)); v != 0 {
		t.Errorf("up before any success = %v, want 0", v)
	}
	clock.advance(time.Minute)
	if err := h.Ready(); err == nil || !strings.Contains(err.Error(), src) || !strings.Contains(err.Error(), "not worked since it started") {
		t.Errorf("Ready after a minute without success = %v, want an error naming the source", err)
	}

	h.OK()
	if err := h.Ready(); err != nil {
		t.Errorf("Ready after a success = %v", err)
	}
	if v := testutil.ToFloat64(m.up.WithLabelValues(src)); v != 1 {
		t.Errorf("up after a success = %v, want 1", v)
	}
	if v := testutil.ToFloat64(m.success.WithLabelValues(src)); v != float64(clock.Now().Unix()) {
		t.Errorf("last success = %v, want %v", v, clock.Now().Unix())
	}

	cause := errors.New("rpc error: code = Unavailable desc = connection refused")
	for range 5 {
		h.Fail(cause)
		clock.advance(5 * time.Second)
	}
	if v := testutil.ToFloat64(m.errors.WithLabelValues(src)); v != 5 {
		t.Errorf("errors = %v, want 5", v)
	}
	if v := testutil.ToFloat64(m.up.WithLabelValues(src)); v != 0 {
		t.Errorf("up while failing = %v, want 0", v)
	}
	if err := h.Ready(); err != nil {
		t.Errorf("Ready 25s into an outage = %v, want nil (UnhealthyAfter is 1m)", err)
	}
	clock.advance(35 * time.Second)
	h.Fail(cause)
	err := h.Ready()
	if err == nil || !strings.Contains(err.Error(), src) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Ready a minute into an outage = %v, want the source and the cause", err)
	}

	var logged []slog.Record
	for len(log.ch) > 0 {
		if r := <-log.ch; r.Message == "source failing" {
			logged = append(logged, r)
		}
	}
	if len(logged) != 2 {
		t.Fatalf("%d failure lines for 6 failures over 60s, want 2 (one per 30s)", len(logged))
	}
	if got := attr(logged[0], "error"); got != cause.Error() {
		t.Errorf("logged error %q, want the cause", got)
	}
	if got := attr(logged[1], "failures_not_logged"); got != "4" {
		t.Errorf("second line folds %s failures, want the 4 between the lines", got)
	}
	h.OK()
	if r := log.waitFor(t, "source recovered"); attr(r, "source") != src {
		t.Errorf("recovery line names %q", attr(r, "source"))
	}
}

// closedAddr is a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}

// TestSubscriptionUnreachableIsReportedAndStops: the real client against an
// endpoint that refuses connections retries silently; the watch on its
// connection logs and counts the failures, and Run still returns promptly
// once its context ends.
func TestSubscriptionUnreachableIsReportedAndStops(t *testing.T) {
	m := NewMetrics(nil)
	log := newLines()
	h := NewHealth(SubscriptionSource(testSub), HealthOptions{Metrics: m, Logger: slog.New(log)})
	watch := NewStreamWatch(h, 0)
	ctx := context.Background()
	client, err := pubsub.NewClient(ctx, "proj", option.WithEndpoint(closedAddr(t)), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())), watch.ClientOption())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s := NewSubscription(client, testSub, SubscriptionOptions{Metrics: m, Watch: watch, AckGrace: 100 * time.Millisecond})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- s.Run(runCtx, func(context.Context, bot.Finding) error {
			t.Error("handler called without a server")
			return nil
		})
	}()
	r := log.waitFor(t, "source failing")
	if got := attr(r, "error"); !strings.Contains(got, "Unavailable") {
		t.Errorf("logged cause %q, want the stream's Unavailable", got)
	}
	if attr(r, "source") != SubscriptionSource(testSub) {
		t.Errorf("line names source %q", attr(r, "source"))
	}
	if v := testutil.ToFloat64(m.errors.WithLabelValues(SubscriptionSource(testSub))); v < 1 {
		t.Errorf("errors = %v, want at least 1", v)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of its context ending")
	}
}

// TestSubscriptionHealthyStream: a stream that delivers is a success, and
// so is one that stays open without messages for StableAfter.
func TestSubscriptionHealthyStream(t *testing.T) {
	env := newPubsub(t, nil)
	m := NewMetrics(nil)
	h := NewHealth(SubscriptionSource(testSub), HealthOptions{Metrics: m})
	watch := NewStreamWatch(h, 40*time.Millisecond)
	conn, err := grpc.NewClient(env.srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStreamInterceptor(watch.Interceptor()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client, err := pubsub.NewClient(context.Background(), "proj", option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s := NewSubscription(client, testSub, SubscriptionOptions{Metrics: m, Watch: watch})
	got := make(chan struct{}, 1)
	stop := run(t, s, func(context.Context, bot.Finding) error { got <- struct{}{}; return nil })
	env.srv.Publish(testTopic, seedJSON(t, sccfake.SeedGKECompiler), nil)
	<-got
	if v := testutil.ToFloat64(m.up.WithLabelValues(SubscriptionSource(testSub))); v != 1 {
		t.Errorf("up after a delivery = %v, want 1", v)
	}
	if err := h.Ready(); err != nil {
		t.Errorf("Ready = %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(m.errors.WithLabelValues(SubscriptionSource(testSub))); v != 0 {
		t.Errorf("errors on a healthy stream and a clean stop = %v, want 0", v)
	}
}

// TestSubscriptionMissingFailsHealth: a missing subscription is a
// permanent failure that the health names.
func TestSubscriptionMissingFailsHealth(t *testing.T) {
	env := newPubsub(t, nil)
	clock := &fakeClock{now: t0}
	h := NewHealth(SubscriptionSource("projects/proj/subscriptions/nope"), HealthOptions{Now: clock.Now})
	s := NewSubscription(env.client, "projects/proj/subscriptions/nope", SubscriptionOptions{Watch: NewStreamWatch(h, 0)})
	if err := s.Run(context.Background(), func(context.Context, bot.Finding) error { return nil }); err == nil {
		t.Fatal("Run = nil")
	}
	clock.advance(DefaultUnhealthyAfter)
	if err := h.Ready(); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("Ready = %v, want NotFound", err)
	}
}

func TestPollerHealth(t *testing.T) {
	env := newPollEnv(t)
	env.add(sccfake.SeedGKECompiler, "f1", 1)
	m := NewMetrics(nil)
	clock := &fakeClock{now: t0}
	h := NewHealth(PollSource(pollParent), HealthOptions{Metrics: m, Now: clock.Now, UnhealthyAfter: time.Minute})
	p := env.poller(PollOptions{Health: h, Metrics: m})
	env.fake.FailNext("ListFindings", codes.Unavailable, 1)
	var c collect
	if err := p.PollOnce(context.Background(), c.handle); err == nil {
		t.Fatal("PollOnce = nil with ListFindings failing")
	}
	clock.advance(time.Minute)
	if err := h.Ready(); err == nil || !strings.Contains(err.Error(), "Unavailable") || !strings.Contains(err.Error(), PollSource(pollParent)) {
		t.Errorf("Ready = %v, want the poller and Unavailable", err)
	}
	if v := testutil.ToFloat64(m.errors.WithLabelValues(PollSource(pollParent))); v != 1 {
		t.Errorf("errors = %v, want 1 (counted once)", v)
	}
	if err := p.PollOnce(context.Background(), c.handle); err != nil {
		t.Fatal(err)
	}
	if err := h.Ready(); err != nil {
		t.Errorf("Ready after a good pass = %v", err)
	}
	if v := testutil.ToFloat64(m.up.WithLabelValues(PollSource(pollParent))); v != 1 {
		t.Errorf("up = %v", v)
	}
}

// TestSubscriptionAbandonedWorkIsNotAcked: a finding still being handled
// when Run's context ends is given up with its context, nacked, and left
// to Pub/Sub's redelivery; Run returns.
func TestSubscriptionAbandonedWorkIsNotAcked(t *testing.T) {
	env := newPubsub(t, nil)
	started := make(chan struct{}, 1)
	s := NewSubscription(env.client, testSub, SubscriptionOptions{AckGrace: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(ctx context.Context, f bot.Finding) error {
			started <- struct{}{}
			<-ctx.Done() // the post never finishes
			return ctx.Err()
		})
	}()
	id := env.srv.Publish(testTopic, seedJSON(t, sccfake.SeedGKECompiler), nil)
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of its context ending")
	}
	if m := env.srv.Message(id); m == nil || m.Acks != 0 {
		t.Errorf("abandoned message: %+v, want no ack", m)
	}
}
