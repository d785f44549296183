package slack

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// fakeClock is shared by the outbox and the fake Slack: sleeping advances
// it, so paced and rate-limited tests run instantly and deterministically.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.mu.Lock()
		c.now = c.now.Add(d)
		c.mu.Unlock()
	}
	return nil
}

func (c *fakeClock) elapsed(since time.Time) time.Duration { return c.Now().Sub(since) }

type outboxHarness struct {
	fake   *slackfake.Server
	clock  *fakeClock
	outbox *Outbox
	start  time.Time
}

func newOutboxHarness(t *testing.T, opts ...slackfake.Option) *outboxHarness {
	t.Helper()
	clock := newFakeClock()
	fake := slackfake.New(append([]slackfake.Option{slackfake.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(fake.Close)
	o := startOutbox(t, fake, OutboxOptions{Clock: clock})
	return &outboxHarness{fake: fake, clock: clock, outbox: o, start: clock.Now()}
}

func card(n int) bot.Message {
	return bot.Message{Text: fmt.Sprintf("finding %d", n), Key: fmt.Sprintf("card/%d", n),
		Blocks: []bot.Block{bot.Header{Text: fmt.Sprintf("Finding %d", n)}}}
}

func TestOutboxPacesPerChannelWithoutHittingTheLimit(t *testing.T) {
	h := newOutboxHarness(t, slackfake.WithPostRate(time.Second, 3))
	ctx := context.Background()
	for i := range 10 {
		if _, err := h.outbox.Post(ctx, "C0SECOPS01", card(i)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	if _, err := h.outbox.Post(ctx, "C0OTHER001", card(99)); err != nil {
		t.Fatal(err)
	}
	msgs := h.fake.Messages("C0SECOPS01")
	if len(msgs) != 10 {
		t.Fatalf("channel has %d messages, want 10", len(msgs))
	}
	for i, m := range msgs {
		if m.Text != fmt.Sprintf("finding %d", i) {
			t.Errorf("message %d = %q: order not kept", i, m.Text)
		}
	}
	if n := h.fake.Stats().RateLimited["chat.postMessage"]; n != 0 {
		t.Errorf("Slack answered 429 %d times; the outbox should pace below the limit", n)
	}
	// 3 in the first burst, then one a second.
	if d := h.clock.elapsed(h.start); d < 7*time.Second {
		t.Errorf("10 posts took %v of clock time, want at least 7s of pacing", d)
	}
}

func TestOutboxHonoursRetryAfter(t *testing.T) {
	h := newOutboxHarness(t)
	h.fake.RateLimitNext("chat.postMessage", 3, 2*time.Second)
	ref, err := h.outbox.Post(context.Background(), "C0SECOPS01", card(1))
	if err != nil {
		t.Fatal(err)
	}
	msgs := h.fake.Messages("C0SECOPS01")
	if len(msgs) != 1 || msgs[0].TS != ref.TS {
		t.Fatalf("messages = %+v, want exactly the one posted", msgs)
	}
	if d := h.clock.elapsed(h.start); d < 6*time.Second {
		t.Errorf("posted after %v, want at least 3 x Retry-After (6s)", d)
	}
	if n := len(h.fake.Calls("chat.postMessage")); n != 4 {
		t.Errorf("%d chat.postMessage calls, want 3 refused + 1", n)
	}
}

func TestOutboxRetriesServerErrors(t *testing.T) {
	h := newOutboxHarness(t)
	h.fake.FailNext("chat.postMessage", 2, 503)
	if _, err := h.outbox.Post(context.Background(), "C0SECOPS01", card(1)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.Messages("C0SECOPS01")); n != 1 {
		t.Errorf("%d messages after two 503s, want 1", n)
	}
}

func TestOutboxDoesNotRepostWhatLanded(t *testing.T) {
	h := newOutboxHarness(t)
	h.fake.FailNextAfterStore("chat.postMessage", 1, 500)
	ref, err := h.outbox.Post(context.Background(), "C0SECOPS01", card(1))
	if err != nil {
		t.Fatal(err)
	}
	msgs := h.fake.Messages("C0SECOPS01")
	if len(msgs) != 1 {
		t.Fatalf("%d messages after an ambiguous 500, want 1 (no duplicate)", len(msgs))
	}
	if ref.TS != msgs[0].TS {
		t.Errorf("returned ts %q, want the landed message's %q", ref.TS, msgs[0].TS)
	}
}

func TestOutboxRepliesDoNotRepostWhatLanded(t *testing.T) {
	h := newOutboxHarness(t)
	parent, err := h.outbox.Post(context.Background(), "C0SECOPS01", card(1))
	if err != nil {
		t.Fatal(err)
	}
	h.fake.FailNextAfterStore("chat.postMessage", 1, 502)
	if _, err := h.outbox.Reply(context.Background(), parent, card(2)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.Thread("C0SECOPS01", parent.TS)); n != 1 {
		t.Errorf("thread has %d replies after an ambiguous 502, want 1", n)
	}
}

func TestOutboxPostsTextWhenBlocksAreRefused(t *testing.T) {
	h := newOutboxHarness(t)
	h.fake.ErrorNext("chat.postMessage", 1, "invalid_blocks")
	if _, err := h.outbox.Post(context.Background(), "C0SECOPS01", card(7)); err != nil {
		t.Fatal(err)
	}
	msgs := h.fake.Messages("C0SECOPS01")
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Text, "finding 7") || strings.Contains(string(msgs[0].Blocks), "header") {
		t.Errorf("messages = %+v, want one text-only message", msgs)
	}
}

func TestOutboxPermanentErrorsAreTranslated(t *testing.T) {
	h := newOutboxHarness(t, slackfake.WithChannels("C0SECOPS01"))
	_, err := h.outbox.Post(context.Background(), "C0MISSING1", card(1))
	if bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("post to a missing channel = %v, want not found", err)
	}
	h.fake.SetNotInChannel("C0SECOPS01")
	_, err = h.outbox.Post(context.Background(), "C0SECOPS01", card(1))
	if bot.ErrorCode(err) != bot.EPermission || !strings.Contains(bot.ErrorMessage(err), "invite") {
		t.Errorf("post when not in channel = %v, want a permission error that says to invite the bot", err)
	}
}

func TestOutboxCallerCancelSkipsQueuedMessage(t *testing.T) {
	h := newOutboxHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.outbox.Post(ctx, "C0SECOPS01", card(1)); err == nil {
		t.Fatal("post with a cancelled context succeeded")
	}
	// A later post on the same lane still goes through, alone.
	if _, err := h.outbox.Post(context.Background(), "C0SECOPS01", card(2)); err != nil {
		t.Fatal(err)
	}
	msgs := h.fake.Messages("C0SECOPS01")
	if len(msgs) != 1 || msgs[0].Text != "finding 2" {
		t.Errorf("messages = %+v, want only the second", msgs)
	}
}

func TestOutboxUpdate(t *testing.T) {
	h := newOutboxHarness(t)
	ref, err := h.outbox.Post(context.Background(), "#secops", card(1))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref.Channel, "C") {
		t.Errorf("ref.Channel = %q, want the channel ID Slack returned", ref.Channel)
	}
	if err := h.outbox.Update(context.Background(), ref, card(2)); err != nil {
		t.Fatal(err)
	}
	m := h.fake.Messages(ref.Channel)
	if len(m) != 1 || m[0].Edits != 1 || m[0].Text != "finding 2" {
		t.Errorf("messages = %+v, want one message edited once", m)
	}
}

func TestOutboxRefusesWorkAfterShutdown(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	o := NewOutbox(goslack.New(fake.BotToken(), goslack.OptionAPIURL(fake.URL())), OutboxOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	cancel()
	<-done
	if _, err := o.Post(context.Background(), "C0SECOPS01", card(1)); err == nil {
		t.Error("post after shutdown succeeded")
	}
}
