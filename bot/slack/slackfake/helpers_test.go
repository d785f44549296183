package slackfake_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"path"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// newFake starts a fake that the test closes.
func newFake(t *testing.T, opts ...slackfake.Option) *slackfake.Server {
	t.Helper()
	f := slackfake.New(opts...)
	t.Cleanup(f.Close)
	return f
}

// newClient is the real slack-go client pointed at the fake, with its own
// transport so tests can close its idle connections.
func newClient(t *testing.T, f *slackfake.Server, opts ...slack.Option) *slack.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	base := []slack.Option{
		slack.OptionHTTPClient(&http.Client{Transport: tr, Timeout: 10 * time.Second}),
		slack.OptionAPIURL(f.URL()),
		slack.OptionAppLevelToken(f.AppToken()),
	}
	return slack.New(f.BotToken(), append(base, opts...)...)
}

// testCtx bounds every wait of a test.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// slackErr returns the Slack error code of err, or "" when it is not a
// SlackErrorResponse.
func slackErr(err error) (slack.SlackErrorResponse, bool) {
	var e slack.SlackErrorResponse
	ok := errors.As(err, &e)
	return e, ok
}

func responseID(url string) string { return path.Base(url) }

// socketClient runs the real socketmode.Client against the fake. It acks
// every envelope at once (with ackPayload's answer, if set) and records
// every event it sees.
type socketClient struct {
	sm     *socketmode.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup
	runErr error

	// mute stops the acks (the events are still recorded): a replica
	// that hangs, or dies with envelopes in hand.
	mute atomic.Bool

	mu      sync.Mutex
	events  []socketmode.Event
	changed chan struct{}
}

func startSocket(t *testing.T, f *slackfake.Server, ackPayload func(socketmode.Event) any, opts ...socketmode.Option) *socketClient {
	t.Helper()
	api := newClient(t, f)
	quiet := socketmode.OptionLog(log.New(io.Discard, "", 0))
	sc := &socketClient{sm: socketmode.New(api, append([]socketmode.Option{quiet}, opts...)...), changed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	sc.cancel = cancel
	sc.wg.Add(2)
	go func() {
		defer sc.wg.Done()
		sc.runErr = sc.sm.RunContext(ctx)
	}()
	go func() {
		defer sc.wg.Done()
		sc.loop(ctx, ackPayload)
	}()
	t.Cleanup(sc.stop)
	return sc
}

// stop cancels the client and waits for its goroutines.
func (sc *socketClient) stop() {
	sc.cancel()
	sc.wg.Wait()
}

func (sc *socketClient) loop(ctx context.Context, ackPayload func(socketmode.Event) any) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt := <-sc.sm.Events:
			if evt.Request != nil && evt.Request.EnvelopeID != "" && !sc.mute.Load() {
				var payload any
				if ackPayload != nil {
					payload = ackPayload(evt)
				}
				_ = sc.sm.AckCtx(ctx, evt.Request.EnvelopeID, payload)
			}
			sc.mu.Lock()
			sc.events = append(sc.events, evt)
			close(sc.changed)
			sc.changed = make(chan struct{})
			sc.mu.Unlock()
		}
	}
}

// waitEvent waits for the first event of the type after the first skip
// such events.
func (sc *socketClient) waitEvent(ctx context.Context, typ socketmode.EventType, skip int) (socketmode.Event, error) {
	for {
		sc.mu.Lock()
		seen := 0
		for _, e := range sc.events {
			if e.Type == typ {
				if seen == skip {
					sc.mu.Unlock()
					return e, nil
				}
				seen++
			}
		}
		ch := sc.changed
		sc.mu.Unlock()
		select {
		case <-ctx.Done():
			return socketmode.Event{}, ctx.Err()
		case <-ch:
		}
	}
}

func (sc *socketClient) eventTypes() []socketmode.EventType {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var out []socketmode.EventType
	for _, e := range sc.events {
		out = append(out, e.Type)
	}
	return out
}
