package cloudlogging

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
)

func TestSearchErrors(t *testing.T) {
	cases := []struct {
		name     string
		code     codes.Code // injected on every call
		attempts int        // calls the fake should see
		wantCode string
		wantMsg  []string // parts of the user message
	}{
		{"permission", codes.PermissionDenied, 1, bot.EPermission,
			[]string{"project demo-prod", "roles/logging.viewer", "roles/logging.privateLogViewer"}},
		{"quota", codes.ResourceExhausted, 1, bot.ERateLimited, []string{"read quota", "try again in a minute"}},
		{"not found", codes.NotFound, 1, bot.ENotFound, []string{"project demo-prod"}},
		{"credentials", codes.Unauthenticated, 1, bot.EUnauthorized, []string{"credentials"}},
		{"unavailable", codes.Unavailable, 3, bot.EUnavailable, []string{"try again"}},
		{"server deadline", codes.DeadlineExceeded, 3, bot.EDeadline, []string{"did not answer in time"}},
		{"internal", codes.Internal, 1, bot.EInternal, []string{"project demo-prod", "INTERNAL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			e.fake.FailNext(c.code, 100)
			_, err := e.client.Search(context.Background(), podQuery(5))
			checkError(t, err, c.wantCode, c.wantMsg...)
			if got := status.Code(err); got != c.code {
				t.Errorf("wrapped gRPC code %v, want %v (kept for logs)", got, c.code)
			}
			if n := len(e.fake.Requests()); n != c.attempts {
				t.Errorf("%d calls, want %d", n, c.attempts)
			}
		})
	}
}

func checkError(t *testing.T, err error, code string, msg ...string) {
	t.Helper()
	if got := bot.ErrorCode(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
	for _, m := range msg {
		if !strings.Contains(bot.ErrorMessage(err), m) {
			t.Errorf("message %q does not contain %q", bot.ErrorMessage(err), m)
		}
	}
}

// The fake rejects what it cannot evaluate with InvalidArgument and a
// message that echoes the filter; the user sees at most 200 runes of it.
func TestSearchInvalidArgument(t *testing.T) {
	e := newEnv(t, Options{})
	q := podQuery(5)
	q.Filter = "jsonPayload.x=1\n" + strings.Repeat("a", 300) + `="x"`
	_, err := e.client.Search(context.Background(), q)
	checkError(t, err, bot.EInvalid, "Cloud Logging rejected the query: invalid filter")
	msg := bot.ErrorMessage(err)
	if n := utf8.RuneCountInString(msg); n != len("Cloud Logging rejected the query: ")+maxServerMessage {
		t.Errorf("message has %d runes: %q", n, msg)
	}
	if len(e.fake.Requests()) != 1 {
		t.Errorf("%d calls, want 1 (not retried)", len(e.fake.Requests()))
	}
}

func TestSearchRetriesUnavailable(t *testing.T) {
	var pauses []int
	e := newEnv(t, Options{Limits: retry.Limits{Backoff: func(a int) time.Duration { pauses = append(pauses, a); return 0 }}})
	stored(e)
	e.fake.FailNext(codes.Unavailable, 2)
	res, err := e.client.Search(context.Background(), podQuery(5))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 4 || len(e.fake.Requests()) != 3 || len(pauses) != 2 || pauses[1] != 2 {
		t.Errorf("%d entries after %d calls and pauses %v; want 4 after 3, pauses [1 2]",
			len(res.Entries), len(e.fake.Requests()), pauses)
	}
}

func TestSearchAttempts(t *testing.T) {
	e := newEnv(t, Options{Limits: retry.Limits{Attempts: 5}})
	e.fake.FailNext(codes.Unavailable, 100)
	_, err := e.client.Search(context.Background(), podQuery(5))
	checkError(t, err, bot.EUnavailable)
	if n := len(e.fake.Requests()); n != 5 {
		t.Errorf("%d calls, want 5", n)
	}
}

// Each call is bounded by Timeout; a fake slower than that is retried and
// then reported as a deadline.
func TestSearchSlowBackend(t *testing.T) {
	e := newEnv(t, Options{Limits: retry.Limits{Timeout: 100 * time.Millisecond, Attempts: 2}})
	e.fake.SetLatency(time.Hour)
	_, err := e.client.Search(context.Background(), podQuery(5))
	checkError(t, err, bot.EDeadline, "did not answer in time")
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("wrapped error %v, want DeadlineExceeded", err)
	}
}

func TestSearchContext(t *testing.T) {
	t.Run("cancelled before", func(t *testing.T) {
		e := newEnv(t, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := e.client.Search(ctx, podQuery(5)); err != context.Canceled {
			t.Errorf("error %v, want context.Canceled as is", err)
		}
	})
	t.Run("cancelled in the backoff", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e := newEnv(t, Options{Limits: retry.Limits{Backoff: func(int) time.Duration { cancel(); return time.Hour }}})
		e.fake.FailNext(codes.Unavailable, 1)
		if _, err := e.client.Search(ctx, podQuery(5)); err != context.Canceled {
			t.Errorf("error %v, want context.Canceled as is", err)
		}
		if n := len(e.fake.Requests()); n != 1 {
			t.Errorf("%d calls, want 1", n)
		}
	})
	t.Run("caller's deadline", func(t *testing.T) {
		e := newEnv(t, Options{})
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
		defer cancel()
		_, err := e.client.Search(ctx, podQuery(5))
		checkError(t, err, bot.EDeadline)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v does not match context.DeadlineExceeded", err)
		}
	})
}

func TestSearchRejectsBadQueries(t *testing.T) {
	cases := map[string]func(q *bot.LogQuery){
		"no project":        func(q *bot.LogQuery) { q.Project = "" },
		"project with path": func(q *bot.LogQuery) { q.Project = "demo-prod/logs/x" },
		"project with space": func(q *bot.LogQuery) {
			q.Project = "demo-prod x"
		},
		"no start":        func(q *bot.LogQuery) { q.Start = time.Time{} },
		"no end":          func(q *bot.LogQuery) { q.End = time.Time{} },
		"end before":      func(q *bot.LogQuery) { q.Start, q.End = q.End, q.Start },
		"too long filter": func(q *bot.LogQuery) { q.Filter = strings.Repeat("x", maxFilterLen) },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, Options{})
			q := podQuery(5)
			edit(&q)
			_, err := e.client.Search(context.Background(), q)
			checkError(t, err, bot.EInvalid)
			if n := len(e.fake.Requests()); n != 0 {
				t.Errorf("%d calls, want none", n)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	if NewMetrics(reg).requests != m.requests {
		t.Error("a second NewMetrics on the same registry did not reuse the collector")
	}
	e := newEnv(t, Options{Metrics: m})
	e.fake.FailNext(codes.Unavailable, 1)
	if _, err := e.client.Search(context.Background(), podQuery(5)); err != nil {
		t.Fatal(err)
	}
	e.fake.FailNext(codes.PermissionDenied, 1)
	_, _ = e.client.Search(context.Background(), podQuery(5))
	for result, want := range map[string]float64{"ok": 1, "unavailable": 1, "permission_denied": 1} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(result)); got != want {
			t.Errorf("requests{result=%q} = %v, want %v", result, got, want)
		}
	}
	var none *Metrics
	none.request("ok") // a nil *Metrics counts nothing and does not panic
}
