package scc

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sync"
	"testing"
	"time"

	securitycenter "cloud.google.com/go/securitycenter/apiv2"
	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

const pollParent = "organizations/123456789012/sources/-/locations/global"

// t0 is a fixed instant; findings happen after it.
var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// memStore is an in-memory CursorStore that can be made to fail.
type memStore struct {
	mu     sync.Mutex
	m      map[string]string
	putErr error
}

func (s *memStore) Cursor(_ context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *memStore) PutCursor(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.putErr != nil {
		return s.putErr
	}
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[key] = value
	return nil
}

func (s *memStore) get(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key]
}

type pollEnv struct {
	fake   *sccfake.Server
	client *securitycenter.Client
	store  *memStore
}

func newPollEnv(t *testing.T) pollEnv {
	t.Helper()
	fake := sccfake.New()
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, err := securitycenter.NewClient(context.Background(), fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return pollEnv{fake: fake, client: client, store: &memStore{}}
}

// add stores a finding with ID id at t0 plus minutes.
func (e pollEnv) add(key, id string, minutes int) {
	e.fake.AddFinding(sccfake.SeedVariant(key, id, t0.Add(time.Duration(minutes)*time.Minute)))
}

func (e pollEnv) poller(opts PollOptions) *Poller {
	opts.Parent = pollParent
	opts.Cursors = e.store
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0.Add(30 * time.Minute) }
	}
	return NewPoller(e.client, opts)
}

// collect is a handler that records finding IDs and fails on the IDs in
// failOn.
type collect struct {
	ids    []string
	failOn map[string]bool
}

func (c *collect) handle(_ context.Context, f bot.Finding) error {
	id := path.Base(f.Name)
	c.ids = append(c.ids, id)
	if c.failOn[id] {
		return fmt.Errorf("cannot post %s", id)
	}
	return nil
}

func (e pollEnv) cursor() string { return e.store.get(CursorKey(pollParent, "")) }

func at(minutes int) string {
	return t0.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339Nano)
}

func TestPollerFirstPassInOrderAndCursorSaved(t *testing.T) {
	env := newPollEnv(t)
	env.add(sccfake.SeedCloudRunMaliciousBinary, "f3", 3)
	env.add(sccfake.SeedGKECompiler, "f1", 1)
	env.add(sccfake.SeedCloudRunCompiler, "f2", 2)
	env.add(sccfake.SeedGKECompiler, "old", -45) // before the 30-minute lookback
	var c collect
	if err := env.poller(PollOptions{Lookback: 30 * time.Minute}).PollOnce(context.Background(), c.handle); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"f1", "f2", "f3"}, c.ids); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if got := env.cursor(); got != at(3) {
		t.Errorf("cursor = %q, want %q", got, at(3))
	}
	reqs := env.fake.Requests("ListFindings")
	want := &securitycenterpb.ListFindingsRequest{Parent: pollParent, OrderBy: "event_time",
		PageSize: DefaultPollPageSize, Filter: `event_time >= "2026-11-20T10:00:00Z"`}
	if len(reqs) != 1 || !cmp.Equal(want, reqs[0], protocmp.Transform()) {
		t.Errorf("requests = %v, want [%v]", reqs, want)
	}
}

// TestPollerNextPassAndRestart: a second pass (and a new poller with the
// same store, as after a restart) starts at the cursor; the finding at the
// cursor comes again for the handler to dedupe.
func TestPollerNextPassAndRestart(t *testing.T) {
	env := newPollEnv(t)
	env.add(sccfake.SeedGKECompiler, "f1", 1)
	env.add(sccfake.SeedGKECompiler, "f2", 2)
	p := env.poller(PollOptions{})
	var first collect
	if err := p.PollOnce(context.Background(), first.handle); err != nil {
		t.Fatal(err)
	}
	env.add(sccfake.SeedCloudRunCompiler, "f3", 3)
	env.add(sccfake.SeedCloudRunCompiler, "f3b", 3) // same event time
	var second collect
	if err := p.PollOnce(context.Background(), second.handle); err != nil {
		t.Fatal(err)
	}
	env.add(sccfake.SeedCloudRunMaliciousBinary, "f4", 4)
	var restarted collect
	if err := env.poller(PollOptions{}).PollOnce(context.Background(), restarted.handle); err != nil {
		t.Fatal(err)
	}
	got := [][]string{first.ids, second.ids, restarted.ids}
	want := [][]string{{"f1", "f2"}, {"f2", "f3", "f3b"}, {"f3", "f3b", "f4"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("passes (-want +got):\n%s", diff)
	}
}

func TestPollerHandlerFailureKeepsCursor(t *testing.T) {
	env := newPollEnv(t)
	for i := 1; i <= 4; i++ {
		env.add(sccfake.SeedGKECompiler, fmt.Sprintf("f%d", i), i)
	}
	reg := prometheus.NewRegistry()
	p := env.poller(PollOptions{Metrics: NewMetrics(reg)})
	failing := collect{failOn: map[string]bool{"f3": true}}
	if err := p.PollOnce(context.Background(), failing.handle); err == nil {
		t.Fatal("PollOnce succeeded despite the handler error")
	}
	if got := env.cursor(); got != at(2) {
		t.Errorf("cursor = %q, want f2's time %q", got, at(2))
	}
	var retry collect
	if err := p.PollOnce(context.Background(), retry.handle); err != nil {
		t.Fatal(err)
	}
	got := [][]string{failing.ids, retry.ids}
	want := [][]string{{"f1", "f2", "f3"}, {"f2", "f3", "f4"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("passes (-want +got):\n%s", diff)
	}
	wantMetrics := []string{
		"sccbot_findings_received_total{source=poll:" + pollParent + "} 6",
		"sccbot_poll_cursor_timestamp_seconds{source=poll:" + pollParent + "} " + fmt.Sprint(t0.Add(4*time.Minute).Unix()),
		"sccbot_source_errors_total{source=poll:" + pollParent + "} 1",
	}
	if diff := cmp.Diff(wantMetrics, gathered(t, reg)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// TestPollerSavesCursorOnCancel: a pass stopped by shutdown still records
// how far it got.
func TestPollerSavesCursorOnCancel(t *testing.T) {
	env := newPollEnv(t)
	for i := 1; i <= 3; i++ {
		env.add(sccfake.SeedGKECompiler, fmt.Sprintf("f%d", i), i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := env.poller(PollOptions{}).PollOnce(ctx, func(ctx context.Context, f bot.Finding) error {
		if path.Base(f.Name) == "f2" {
			cancel()
			return ctx.Err()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("PollOnce = %v, want context.Canceled", err)
	}
	if got := env.cursor(); got != at(1) {
		t.Errorf("cursor = %q, want %q", got, at(1))
	}
}

func TestPollerPagesAndUserFilter(t *testing.T) {
	env := newPollEnv(t)
	for i := 1; i <= 5; i++ {
		env.add(sccfake.SeedCloudRunMaliciousBinary, fmt.Sprintf("m%d", i), i)
		env.add(sccfake.SeedGKECompiler, fmt.Sprintf("g%d", i), i)
	}
	filter := `severity="CRITICAL" OR category="No Such Category"`
	p := env.poller(PollOptions{Filter: filter, PageSize: 2})
	var c collect
	if err := p.PollOnce(context.Background(), c.handle); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"m1", "m2", "m3", "m4", "m5"}, c.ids); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	reqs := env.fake.Requests("ListFindings")
	if len(reqs) != 3 {
		t.Errorf("%d ListFindings calls, want 3 pages", len(reqs))
	}
	wantFilter := `(` + filter + `) AND event_time >= "2026-11-20T09:30:00Z"`
	if got := reqs[0].(*securitycenterpb.ListFindingsRequest).GetFilter(); got != wantFilter {
		t.Errorf("filter = %s, want %s", got, wantFilter)
	}
	if got := env.store.get(CursorKey(pollParent, filter)); got != at(5) {
		t.Errorf("cursor = %q", got)
	}
}

func TestPollerErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(env pollEnv)
		code  codes.Code
	}{
		{"API unavailable", func(env pollEnv) { env.fake.FailNext("ListFindings", codes.Unavailable, 1) }, codes.Unavailable},
		{"API denies", func(env pollEnv) { env.fake.FailNext("ListFindings", codes.PermissionDenied, 1) }, codes.PermissionDenied},
		{"store fails", func(env pollEnv) { env.store.putErr = errors.New("disk full") }, codes.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newPollEnv(t)
			env.add(sccfake.SeedGKECompiler, "f1", 1)
			tt.setup(env)
			p := env.poller(PollOptions{})
			var c collect
			err := p.PollOnce(context.Background(), c.handle)
			if err == nil || status.Code(err) != tt.code {
				t.Fatalf("PollOnce = %v, want code %v", err, tt.code)
			}
			env.store.putErr = nil
			var again collect
			if err := p.PollOnce(context.Background(), again.handle); err != nil {
				t.Fatalf("next pass: %v", err)
			}
			if diff := cmp.Diff([]string{"f1"}, again.ids); diff != "" {
				t.Errorf("next pass (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPollerRun: Run polls at once, keeps going after a failed pass, and
// returns nil when its context ends.
func TestPollerRun(t *testing.T) {
	env := newPollEnv(t)
	env.add(sccfake.SeedGKECompiler, "f1", 1)
	env.fake.FailNext("ListFindings", codes.Unavailable, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 1)
	p := env.poller(PollOptions{Interval: time.Millisecond})
	done := make(chan error, 1)
	go func() {
		done <- p.Run(ctx, func(_ context.Context, f bot.Finding) error {
			select {
			case got <- path.Base(f.Name):
			default:
			}
			return nil
		})
	}()
	if id := <-got; id != "f1" {
		t.Errorf("got %q", id)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// TestQuoteFilterValueAgainstFake: a quoted hostile value matches itself
// exactly and nothing else.
func TestQuoteFilterValueAgainstFake(t *testing.T) {
	env := newPollEnv(t)
	f, r := sccfake.SeedVariant(sccfake.SeedGKECompiler, "q1", t0)
	f.Category = `x" OR category:"` + "\\"
	env.fake.AddFinding(f, r)
	env.add(sccfake.SeedGKECompiler, "other", 1)
	it := env.client.ListFindings(context.Background(), &securitycenterpb.ListFindingsRequest{
		Parent: pollParent, Filter: "category=" + QuoteFilterValue(f.Category),
	})
	var names []string
	for res, err := it.Next(); err == nil; res, err = it.Next() {
		names = append(names, path.Base(res.GetFinding().GetName()))
	}
	if diff := cmp.Diff([]string{"q1"}, names); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
