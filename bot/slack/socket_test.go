package slack

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/handlers"
)

// recorder is a Dispatcher that records requests and can be made to block.
type recorder struct {
	mu    sync.Mutex
	reqs  []handlers.Request
	seen  chan handlers.Request
	block chan struct{} // when non-nil, Serve waits for it to close
	done  chan handlers.Request
}

func newRecorder() *recorder {
	return &recorder{seen: make(chan handlers.Request, 1000), done: make(chan handlers.Request, 1000)}
}

func (r *recorder) Serve(ctx context.Context, req handlers.Request) error {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	r.seen <- req
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.done <- req
	return nil
}

func waitReq(t *testing.T, ch <-chan handlers.Request) handlers.Request {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no request dispatched in 10s")
		return handlers.Request{}
	}
}

type botHarness struct {
	fake *slackfake.Server
	bot  *Bot
	rec  *recorder
	stop func() error
}

func startBot(t *testing.T, rec *recorder, opts BotOptions) *botHarness {
	t.Helper()
	fake := slackfake.New(slackfake.WithPingInterval(time.Second))
	t.Cleanup(fake.Close)
	api := goslack.New(fake.BotToken(), goslack.OptionAPIURL(fake.URL()), goslack.OptionAppLevelToken(fake.AppToken()))
	b := NewBot(api, rec, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return &botHarness{fake: fake, bot: b, rec: rec, stop: stop}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestBotAcksAndDispatchesBlockAction(t *testing.T) {
	h := startBot(t, newRecorder(), BotOptions{AppID: slackfake.AppID, TeamID: slackfake.TeamID})
	ctx := ctxT(t)
	payload := h.fake.BlockActionPayload(slackfake.BlockAction{UserID: "U0ALICE", Channel: "C0SECOPS01",
		MessageTS: "1700000000.000100", ActionID: "finding.related", Value: "opaque-42"})
	id, err := h.fake.Send(ctx, "interactive", payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.fake.WaitAck(ctx, id); err != nil {
		t.Fatalf("envelope not acked: %v", err)
	}
	r := waitReq(t, h.rec.seen)
	want := handlers.Request{Kind: handlers.RequestAction, EnvelopeID: id, UserID: "U0ALICE", TeamID: slackfake.TeamID,
		AppID: slackfake.AppID, ActionID: "finding.related", Value: "opaque-42", Channel: "C0SECOPS01", MessageTS: "1700000000.000100"}
	if r.Kind != want.Kind || r.EnvelopeID != want.EnvelopeID || r.UserID != want.UserID || r.TeamID != want.TeamID ||
		r.AppID != want.AppID || r.ActionID != want.ActionID || r.Value != want.Value || r.Channel != want.Channel ||
		r.MessageTS != want.MessageTS || r.ResponseURL == "" || r.TriggerID == "" {
		t.Errorf("request = %+v\nwant like %+v", r, want)
	}
}

func TestBotDecodesSlashCommand(t *testing.T) {
	h := startBot(t, newRecorder(), BotOptions{})
	ctx := ctxT(t)
	payload := h.fake.SlashCommandPayload(slackfake.SlashCommand{Command: "/finding", Text: "show abc <!channel>", UserID: "U0BOB", Channel: "C0SECOPS01"})
	if _, err := h.fake.SendAndWaitAck(ctx, "slash_commands", payload); err != nil {
		t.Fatal(err)
	}
	r := waitReq(t, h.rec.seen)
	if r.Kind != handlers.RequestCommand || r.Command != "/finding" || r.Text != "show abc <!channel>" || r.UserID != "U0BOB" || r.Channel != "C0SECOPS01" {
		t.Errorf("request = %+v", r)
	}
}

func TestBotRefusesForeignAppButAcks(t *testing.T) {
	h := startBot(t, newRecorder(), BotOptions{AppID: "A0SOMEONEELSE"})
	ctx := ctxT(t)
	payload := h.fake.BlockActionPayload(slackfake.BlockAction{ActionID: "finding.related"})
	if _, err := h.fake.SendAndWaitAck(ctx, "interactive", payload); err != nil {
		t.Fatalf("a refused payload must still be acked: %v", err)
	}
	// A second, allowed kind of event proves the first was not queued.
	payload = h.fake.SlashCommandPayload(slackfake.SlashCommand{})
	if _, err := h.fake.SendAndWaitAck(ctx, "slash_commands", payload); err != nil {
		t.Fatal(err)
	}
	_ = h.stop()
	if n := len(h.rec.reqs); n != 0 {
		t.Errorf("%d requests from another app were dispatched", n)
	}
}

func TestBotReconnectsAfterDisconnectAndDrop(t *testing.T) {
	h := startBot(t, newRecorder(), BotOptions{})
	ctx := ctxT(t)
	if err := h.fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.fake.SendDisconnect("refresh_requested"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fake.SendAndWaitAck(ctx, "slash_commands", h.fake.SlashCommandPayload(slackfake.SlashCommand{})); err != nil {
		t.Fatalf("no ack after a disconnect: %v", err)
	}
	if err := h.fake.DropConnection(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fake.SendAndWaitAck(ctx, "slash_commands", h.fake.SlashCommandPayload(slackfake.SlashCommand{})); err != nil {
		t.Fatalf("no ack after a dropped socket: %v", err)
	}
	if d := h.fake.Dials(); d < 3 {
		t.Errorf("%d dials, want 3 (first, after disconnect, after drop)", d)
	}
	waitReq(t, h.rec.seen)
	waitReq(t, h.rec.seen)
}

func TestBotDrainsInFlightWorkOnShutdown(t *testing.T) {
	rec := newRecorder()
	rec.block = make(chan struct{})
	h := startBot(t, rec, BotOptions{Workers: 2})
	ctx := ctxT(t)
	for range 3 {
		if _, err := h.fake.SendAndWaitAck(ctx, "slash_commands", h.fake.SlashCommandPayload(slackfake.SlashCommand{})); err != nil {
			t.Fatal(err)
		}
	}
	waitReq(t, rec.seen)
	waitReq(t, rec.seen)
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop() }()
	select {
	case <-stopped:
		t.Fatal("Run returned while work was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(rec.block)
	if err := <-stopped; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n := len(rec.done); n != 3 {
		t.Errorf("%d requests finished, want all 3 (2 in flight + 1 queued)", n)
	}
}

func TestBotDropsWhenQueueIsFullButStillAcks(t *testing.T) {
	rec := newRecorder()
	rec.block = make(chan struct{}) // never closed: the drain timeout ends the work
	h := startBot(t, rec, BotOptions{Workers: 1, QueueSize: 1, DrainTimeout: 50 * time.Millisecond})
	ctx := ctxT(t)
	for i := range 5 {
		if _, err := h.fake.SendAndWaitAck(ctx, "slash_commands", h.fake.SlashCommandPayload(slackfake.SlashCommand{})); err != nil {
			t.Fatalf("envelope %d not acked: %v", i, err)
		}
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	dropped := int(testutil.ToFloat64(h.bot.metrics.dropped))
	if dispatched := len(rec.reqs); dropped+dispatched != 5 || dropped < 2 {
		t.Errorf("dropped %d, dispatched %d; want every envelope accounted for and the overflow dropped", dropped, dispatched)
	}
}
