package slackfake_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// TestEarlyPosts proves the fake counts a post to a channel made while a
// Retry-After it answered for that channel still runs, whichever of its
// rate limits answered the 429, and nothing else: not a post to another
// channel, not one made when the window has ended.
func TestEarlyPosts(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1700000000, 0)}
	f := newFake(t, slackfake.WithClock(clock.Now), slackfake.WithPostRate(time.Second, 1))
	api := newClient(t, f)
	ctx := testCtx(t)
	post := poster(ctx, api)
	var got []string
	early := func() { got = append(got, "early "+string(rune('0'+f.EarlyPosts()))) }
	got = append(got, post("C1"), post("C1"), post("C2"))
	early()
	clock.Advance(500 * time.Millisecond)
	got = append(got, post("C1")) // inside C1's window: early, and refused again until +1.5s
	early()
	clock.Advance(time.Second)
	got = append(got, post("C1"))
	early()
	f.RateLimitNext("chat.postMessage", 1, 2*time.Second)
	got = append(got, post("C2"))
	clock.Advance(time.Second)
	got = append(got, post("C2"))
	early()
	clock.Advance(time.Second)
	got = append(got, post("C2"))
	early()
	want := []string{"ok", "429 1s", "ok", "early 0", "429 1s", "early 1", "ok", "early 1",
		"429 2s", "ok", "early 2", "ok", "early 2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
}
