package slackfake_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// TestRateLimitNext proves injected 429s reach slack-go as
// *slack.RateLimitedError with Retry-After rounded up to whole seconds (at
// least 1), or as StatusCodeError 429 without the header, and that the
// rate-limited call stores nothing.
func TestRateLimitNext(t *testing.T) {
	cases := []struct {
		retryAfter time.Duration
		want       time.Duration // 0: expect StatusCodeError 429
	}{
		{0, time.Second},
		{1500 * time.Millisecond, 2 * time.Second},
		{3 * time.Second, 3 * time.Second},
		{-1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.retryAfter.String(), func(t *testing.T) {
			f := newFake(t)
			api := newClient(t, f)
			ctx := testCtx(t)
			f.RateLimitNext("chat.postMessage", 1, tc.retryAfter)
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
			var rl *slack.RateLimitedError
			var sc slack.StatusCodeError
			switch {
			case tc.want > 0 && (!errors.As(err, &rl) || rl.RetryAfter != tc.want):
				t.Errorf("err = %v, want RateLimitedError after %v", err, tc.want)
			case tc.want == 0 && (!errors.As(err, &sc) || sc.Code != http.StatusTooManyRequests):
				t.Errorf("err = %v, want StatusCodeError 429", err)
			}
			if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("y", false)); err != nil {
				t.Errorf("second post: %v", err)
			}
			if msgs := f.Messages("C1"); len(msgs) != 1 || msgs[0].Text != "y" {
				t.Errorf("messages = %+v, want only the second", msgs)
			}
			if st := f.Stats(); st.RateLimited["chat.postMessage"] != 1 {
				t.Errorf("stats = %+v, want one 429", st)
			}
		})
	}
}

// TestFailures proves FailNext (nothing stored), FailNextAfterStore (stored
// although the client saw a 5xx) and ErrorNext, and that Stats counts them.
func TestFailures(t *testing.T) {
	cases := []struct {
		name       string
		inject     func(*slackfake.Server)
		wantStatus int    // StatusCodeError code, or 0
		wantCode   string // Slack error, or ""
		wantStored int
	}{
		{"fail 503", func(f *slackfake.Server) { f.FailNext("chat.postMessage", 1, 503) }, 503, "", 0},
		{"fail after store 500", func(f *slackfake.Server) { f.FailNextAfterStore("chat.postMessage", 1, 500) }, 500, "", 1},
		{"error internal_error", func(f *slackfake.Server) { f.ErrorNext("chat.postMessage", 1, "internal_error") }, 0, "internal_error", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			api := newClient(t, f)
			tc.inject(f)
			_, _, err := api.PostMessageContext(testCtx(t), "C1", slack.MsgOptionText("x", false))
			var sc slack.StatusCodeError
			e, _ := slackErr(err)
			if tc.wantStatus != 0 && (!errors.As(err, &sc) || sc.Code != tc.wantStatus) {
				t.Errorf("err = %v, want StatusCodeError %d", err, tc.wantStatus)
			}
			if e.Err != tc.wantCode {
				t.Errorf("slack error = %q, want %q", e.Err, tc.wantCode)
			}
			if n := len(f.Messages("C1")); n != tc.wantStored {
				t.Errorf("stored %d, want %d", n, tc.wantStored)
			}
			st := f.Stats()
			if got := st.Failed["chat.postMessage"] + st.Errors["chat.postMessage"]; got != 1 {
				t.Errorf("stats = %+v, want one failure", st)
			}
		})
	}
}

// fakeClock is an injectable clock for WithClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestPostRate proves WithPostRate paces each channel separately: a burst
// passes, the next post gets 429 with the time until the next token, and
// the bucket refills with the clock.
func TestPostRate(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1700000000, 0)}
	f := newFake(t, slackfake.WithClock(clock.Now), slackfake.WithPostRate(time.Second, 2))
	api := newClient(t, f)
	ctx := testCtx(t)
	post := poster(ctx, api)
	var got []string
	got = append(got, post("C1"), post("C1"), post("C1"), post("C2"))
	clock.Advance(500 * time.Millisecond)
	got = append(got, post("C1"))
	clock.Advance(500 * time.Millisecond)
	got = append(got, post("C1"), post("C1"))
	want := []string{"ok", "ok", "429 1s", "ok", "429 1s", "ok", "429 1s"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
	if msgs := f.Messages("C1"); len(msgs) != 3 || msgs[0].TS != "1700000000.000000" {
		t.Errorf("C1 messages = %d, first ts %q; want 3 with clock-derived ts", len(msgs), msgs[0].TS)
	}
}

// poster posts "x" to a channel and says how Slack answered: "ok", "429"
// with the Retry-After, or the error.
func poster(ctx context.Context, api *slack.Client) func(ch string) string {
	return func(ch string) string {
		_, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false))
		var rl *slack.RateLimitedError
		switch {
		case err == nil:
			return "ok"
		case errors.As(err, &rl):
			return "429 " + rl.RetryAfter.String()
		}
		return err.Error()
	}
}

// TestLatency proves SetLatency delays the answer and that the call still
// takes effect after the client gave up: the ambiguous timeout.
func TestLatency(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	f.SetLatency("chat.postMessage", 300*time.Millisecond)
	ctx, cancel := context.WithTimeout(testCtx(t), 20*time.Millisecond)
	defer cancel()
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("late", false)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	if _, err := f.WaitMessages(testCtx(t), "C1", 1); err != nil {
		t.Fatal(err)
	}
}
