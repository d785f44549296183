package scc

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/internal/pubsubiam"
)

const (
	testTopic = "projects/proj/topics/scc-findings"
	testSub   = "projects/proj/subscriptions/sccbot"
	deadTopic = "projects/proj/topics/scc-dead"
	deadSub   = "projects/proj/subscriptions/scc-dead"
)

type pubsubEnv struct {
	srv    *pstest.Server
	iam    *pubsubiam.IAM
	client *pubsub.Client
}

// newPubsub starts pstest with the findings topic and the bot's
// subscription; dead is the subscription's dead-letter policy, if any.
func newPubsub(t *testing.T, dead *pubsubpb.DeadLetterPolicy) pubsubEnv {
	t.Helper()
	ctx := context.Background()
	srv, iam := pubsubiam.NewServer()
	t.Cleanup(func() { _ = srv.Close() })
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client, err := pubsub.NewClient(ctx, "proj", option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	for _, topic := range []string{testTopic, deadTopic} {
		if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
			t.Fatal(err)
		}
	}
	subs := []*pubsubpb.Subscription{
		{Name: testSub, Topic: testTopic, AckDeadlineSeconds: 10, DeadLetterPolicy: dead},
		{Name: deadSub, Topic: deadTopic, AckDeadlineSeconds: 10},
	}
	for _, s := range subs {
		if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	return pubsubEnv{srv: srv, iam: iam, client: client}
}

// run starts the subscription and returns a stop function that cancels it
// and returns Run's error. Run returns only after its acks are sent.
func run(t *testing.T, s *Subscription, h Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, h) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// recordingStore is a RejectStore that reports each record on a channel.
type recordingStore struct {
	got chan bot.Rejected
	err error
}

func (s *recordingStore) RecordRejected(_ context.Context, r bot.Rejected) error {
	if s.err != nil {
		return s.err
	}
	s.got <- r
	return nil
}

// assertDeliveredOnce checks, after Run returned, that pstest saw exactly
// one delivery and one ack of each message.
func assertDeliveredOnce(t *testing.T, srv *pstest.Server, ids ...string) {
	t.Helper()
	for _, id := range ids {
		m := srv.Message(id)
		if m == nil || m.Deliveries != 1 || m.Acks != 1 {
			t.Errorf("message %s: %+v, want 1 delivery and 1 ack", id, m)
		}
	}
}

func TestSubscriptionDeliversFinding(t *testing.T) {
	env := newPubsub(t, nil)
	got := make(chan bot.Finding, 1)
	stop := run(t, NewSubscription(env.client, testSub, SubscriptionOptions{}), func(_ context.Context, f bot.Finding) error {
		got <- f
		return nil
	})
	id := env.srv.Publish(testTopic, seedJSON(t, sccfake.SeedGKECompiler), nil)
	f := <-got
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff(wantGKE(), f); diff != "" {
		t.Errorf("finding (-want +got):\n%s", diff)
	}
	assertDeliveredOnce(t, env.srv, id)
}

func TestSubscriptionDecodesV1(t *testing.T) {
	env := newPubsub(t, nil)
	got := make(chan bot.Finding, 1)
	run(t, NewSubscription(env.client, "sccbot", SubscriptionOptions{}), func(_ context.Context, f bot.Finding) error {
		got <- f
		return nil
	})
	env.srv.Publish(testTopic, seedJSON(t, sccfake.SeedGKECompilerV1), nil)
	if f := <-got; f.Resource.Project != "demo-prod" || f.Project() != "demo-prod" {
		t.Errorf("project = %q / %q, want demo-prod", f.Resource.Project, f.Project())
	}
}

// TestSubscriptionRedelivers covers a handler error and a handler panic:
// both nack, so the same message comes back, and it is acked once handled.
func TestSubscriptionRedelivers(t *testing.T) {
	tests := []struct {
		name string
		fail func() error
	}{
		{"handler error", func() error { return errors.New("slack is down") }},
		{"handler panic", func() error { panic("boom") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newPubsub(t, nil)
			reg := prometheus.NewRegistry()
			calls := make(chan string, 2)
			var failed atomic.Bool
			opts := SubscriptionOptions{Metrics: NewMetrics(reg), MaxOutstanding: 1}
			stop := run(t, NewSubscription(env.client, testSub, opts), func(_ context.Context, f bot.Finding) error {
				calls <- f.Name
				if !failed.Swap(true) {
					return tt.fail()
				}
				return nil
			})
			id := env.srv.Publish(testTopic, seedJSON(t, sccfake.SeedCloudRunCompiler), nil)
			a, b := <-calls, <-calls
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if a != b || a == "" {
				t.Errorf("calls = %q, %q; want the same finding twice", a, b)
			}
			if m := env.srv.Message(id); m.Deliveries != 2 || m.Acks != 1 {
				t.Errorf("deliveries = %d, acks = %d; want 2 and 1", m.Deliveries, m.Acks)
			}
			wantMetrics := []string{
				"sccbot_findings_received_total{source=pubsub:" + testSub + "} 2",
				"sccbot_source_errors_total{source=pubsub:" + testSub + "} 1",
			}
			if diff := cmp.Diff(wantMetrics, gathered(t, reg)); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSubscriptionRecordsMalformed: malformed messages are recorded and
// acked, and the good message behind them is still handled.
func TestSubscriptionRecordsMalformed(t *testing.T) {
	env := newPubsub(t, nil)
	reg := prometheus.NewRegistry()
	store := &recordingStore{got: make(chan bot.Rejected, 3)}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	var logs syncBuffer
	opts := SubscriptionOptions{Rejects: store, Metrics: NewMetrics(reg), Now: func() time.Time { return now },
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	got := make(chan bot.Finding, 1)
	stop := run(t, NewSubscription(env.client, testSub, opts), func(_ context.Context, f bot.Finding) error {
		got <- f
		return nil
	})
	bad := map[string]string{
		"not json":             "definitely not json",
		"json without finding": `{"notificationConfigName":"x","resource":{"name":"r"}}`,
		"finding without name": `{"finding":{"category":"Execution: Built in Malicious Binary Executed"}}`,
	}
	var ids []string
	for _, data := range bad {
		ids = append(ids, env.srv.Publish(testTopic, []byte(data), nil))
	}
	ids = append(ids, env.srv.Publish(testTopic, seedJSON(t, sccfake.SeedCloudRunMaliciousBinary), nil))
	if f := <-got; f.Category != "Execution: Built in Malicious Binary Executed" {
		t.Errorf("handled %q", f.Category)
	}
	records := map[string]bot.Rejected{}
	for range bad {
		r := <-store.got
		records[r.Reason] = r
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	want := map[string]bot.Rejected{
		ReasonInvalidJSON:     {Source: "pubsub:" + testSub, Reason: ReasonInvalidJSON, Payload: []byte(bad["not json"]), ReceivedAt: now},
		ReasonNotNotification: {Source: "pubsub:" + testSub, Reason: ReasonNotNotification, Payload: []byte(bad["json without finding"]), ReceivedAt: now},
		ReasonMissingName:     {Source: "pubsub:" + testSub, Reason: ReasonMissingName, Payload: []byte(bad["finding without name"]), ReceivedAt: now},
	}
	if diff := cmp.Diff(want, records); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	assertDeliveredOnce(t, env.srv, ids...)
	wantMetrics := []string{
		"sccbot_findings_received_total{source=pubsub:" + testSub + "} 1",
		"sccbot_messages_malformed_total{reason=invalid_json,source=pubsub:" + testSub + "} 1",
		"sccbot_messages_malformed_total{reason=missing_name,source=pubsub:" + testSub + "} 1",
		"sccbot_messages_malformed_total{reason=not_a_notification,source=pubsub:" + testSub + "} 1",
	}
	if diff := cmp.Diff(wantMetrics, gathered(t, reg)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	out := logs.String()
	if strings.Count(out, `"msg":"malformed message"`) != 3 || !strings.Contains(out, `"message_id":"`+ids[0]+`"`) ||
		strings.Contains(out, "definitely not json") || strings.Contains(out, "Built in Malicious") {
		t.Errorf("logs should name reason, id and size but never the payload:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent handlers' logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSubscriptionBoundsRejectedPayload(t *testing.T) {
	env := newPubsub(t, nil)
	store := &recordingStore{got: make(chan bot.Rejected, 1)}
	run(t, NewSubscription(env.client, testSub, SubscriptionOptions{Rejects: store}), func(context.Context, bot.Finding) error {
		return nil
	})
	big := make([]byte, 200<<10)
	env.srv.Publish(testTopic, big, nil)
	if r := <-store.got; len(r.Payload) != MaxRejectedPayload {
		t.Errorf("payload kept %d bytes, want %d", len(r.Payload), MaxRejectedPayload)
	}
}

// TestSubscriptionNackMalformed: with NackMalformed the message is never
// acked by the bot; the dead-letter policy moves it to the dead-letter topic.
func TestSubscriptionNackMalformed(t *testing.T) {
	env := newPubsub(t, &pubsubpb.DeadLetterPolicy{DeadLetterTopic: deadTopic, MaxDeliveryAttempts: 5})
	store := &recordingStore{got: make(chan bot.Rejected, 10)}
	handled := make(chan bot.Finding, 1)
	opts := SubscriptionOptions{Rejects: store, NackMalformed: true}
	run(t, NewSubscription(env.client, testSub, opts), func(_ context.Context, f bot.Finding) error {
		handled <- f
		return nil
	})
	dead := make(chan *pubsub.Message, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = env.client.Subscriber(deadSub).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
			m.Ack()
			dead <- m
		})
	}()
	env.srv.Publish(testTopic, []byte("not json"), nil)
	m := <-dead
	if string(m.Data) != "not json" {
		t.Errorf("dead-lettered %q", m.Data)
	}
	if len(store.got) != 0 || len(handled) != 0 {
		t.Errorf("%d records, %d handled; want none", len(store.got), len(handled))
	}
}

// TestSubscriptionStoreFailureNacks: a malformed message is not acked
// (lost) when it cannot be recorded.
func TestSubscriptionStoreFailureNacks(t *testing.T) {
	env := newPubsub(t, &pubsubpb.DeadLetterPolicy{DeadLetterTopic: deadTopic, MaxDeliveryAttempts: 5})
	store := &recordingStore{err: errors.New("disk full")}
	run(t, NewSubscription(env.client, testSub, SubscriptionOptions{Rejects: store}), func(context.Context, bot.Finding) error {
		return nil
	})
	dead := make(chan *pubsub.Message, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = env.client.Subscriber(deadSub).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
			m.Ack()
			dead <- m
		})
	}()
	env.srv.Publish(testTopic, []byte("{}"), nil)
	if m := <-dead; string(m.Data) != "{}" {
		t.Errorf("dead-lettered %q", m.Data)
	}
}

func TestSubscriptionHostileMessage(t *testing.T) {
	env := newPubsub(t, nil)
	got := make(chan bot.Finding, 1)
	run(t, NewSubscription(env.client, testSub, SubscriptionOptions{}), func(_ context.Context, f bot.Finding) error {
		got <- f
		return nil
	})
	env.srv.Publish(testTopic, sccfake.Hostile(), nil)
	if f := <-got; f.Name != sccfake.HostileFindingName {
		t.Errorf("name = %q", f.Name)
	}
}

func TestSubscriptionMissing(t *testing.T) {
	env := newPubsub(t, nil)
	s := NewSubscription(env.client, "projects/proj/subscriptions/nope", SubscriptionOptions{})
	err := s.Run(context.Background(), func(context.Context, bot.Finding) error { return nil })
	if status.Code(err) != codes.NotFound {
		t.Errorf("Run = %v, want NotFound", err)
	}
}
