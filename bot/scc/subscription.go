package scc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/sccbot/sccbot/bot"
)

// Handler is the bot's intake for findings. It returns nil when the finding
// was posted or deliberately skipped (a duplicate), and an error when it
// could not be handled and must be delivered again.
type Handler func(ctx context.Context, f bot.Finding) error

// RejectStore keeps inbound messages the bot could not use, so that nothing
// is lost silently.
type RejectStore interface {
	RecordRejected(ctx context.Context, r bot.Rejected) error
}

// MaxRejectedPayload bounds how much of a malformed message is kept.
const MaxRejectedPayload = 64 << 10

// SubscriptionOptions configures a Subscription. Every field is optional.
type SubscriptionOptions struct {
	Logger  *slog.Logger
	Metrics *Metrics
	// Rejects records malformed messages before they are acked.
	Rejects RejectStore
	// NackMalformed nacks malformed messages instead of recording and
	// acking them, so that the subscription's dead-letter policy moves them
	// to the dead-letter topic after its maximum delivery attempts. Without
	// a dead-letter policy they would be redelivered for ever.
	NackMalformed bool
	// MaxOutstanding caps messages being handled at once (Pub/Sub flow
	// control); 0 keeps the client's default of 1000.
	MaxOutstanding int
	// Now is the clock for Rejected.ReceivedAt; it defaults to time.Now.
	Now func() time.Time
	// Watch, when set, is installed on the client's connection (see
	// StreamWatch.ClientOption) and reports the subscription's health;
	// Run ticks it.
	Watch *StreamWatch
	// AckGrace bounds how long Run waits, once the messages it holds are
	// handled, for Receive to send their acks and return; default 2s.
	AckGrace time.Duration
}

// Subscription receives SCC finding notifications from a Pub/Sub
// subscription.
type Subscription struct {
	sub    *pubsub.Subscriber
	source string
	opts   SubscriptionOptions
	log    *slog.Logger
	// inFlight counts messages being handled, so that Run knows when
	// nothing it holds is left to ack.
	inFlight flight
}

// flight counts work in progress and says when there is none. Unlike a
// WaitGroup it may be added to while someone waits for idleness.
type flight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{}
}

func (f *flight) add() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

func (f *flight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n--; f.n == 0 {
		close(f.idle)
	}
}

// wait is closed when nothing is in flight.
func (f *flight) wait() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	return f.idle
}

// NewSubscription returns a source for subscription, which is an ID in the
// client's project or a full projects/P/subscriptions/S name.
func NewSubscription(client *pubsub.Client, subscription string, opts SubscriptionOptions) *Subscription {
	sub := client.Subscriber(subscription)
	if opts.MaxOutstanding != 0 {
		sub.ReceiveSettings.MaxOutstandingMessages = opts.MaxOutstanding
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AckGrace <= 0 {
		opts.AckGrace = defaultAckGrace
	}
	return &Subscription{sub: sub, source: SubscriptionSource(subscription), opts: opts, log: loggerOr(opts.Logger)}
}

// SubscriptionSource is the source label of a subscription's metrics,
// logs and readiness check.
func SubscriptionSource(subscription string) string { return "pubsub:" + subscription }

// defaultAckGrace is how long Receive gets to flush acks after the last
// handler returned.
const defaultAckGrace = 2 * time.Second

// Health is the subscription's health, nil without a Watch.
func (s *Subscription) Health() *Health {
	if s.opts.Watch == nil {
		return nil
	}
	return s.opts.Watch.Health()
}

func loggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// Run receives messages and passes each finding to h until ctx ends, when
// it returns nil, or until the subscription fails permanently (for example
// it does not exist or the bot lacks permission), when it returns the error.
// Messages are handled concurrently, up to MaxOutstanding.
//
// Run returns in bounded time after ctx ends: once the messages it holds
// are handled it gives Receive AckGrace to send their acks. pubsub/v2's
// Receive can block far longer while its stream reconnects to an
// unreachable endpoint; Run then abandons it, and whatever was not acked
// is redelivered by Pub/Sub.
func (s *Subscription) Run(ctx context.Context, h Handler) error {
	done := make(chan error, 1)
	go func() {
		done <- s.sub.Receive(ctx, func(ctx context.Context, m *pubsub.Message) {
			s.inFlight.add()
			defer s.inFlight.done()
			s.handle(ctx, m, h)
		})
	}()
	stopTicks := s.tick(ctx)
	defer stopTicks()
	select {
	case err := <-done:
		return s.stopped(ctx, err)
	case <-ctx.Done():
	}
	<-s.inFlight.wait()
	select {
	case err := <-done:
		return s.stopped(ctx, err)
	case <-time.After(s.opts.AckGrace):
		s.log.Warn("pubsub receive did not stop; abandoned, unacked messages will be redelivered",
			"source", s.source, "waited", s.opts.AckGrace.String())
		return nil
	}
}

// stopped turns Receive's result into Run's.
func (s *Subscription) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		err = errors.New("receive stopped")
	}
	if h := s.Health(); h != nil {
		h.Fail(err)
	} else {
		s.opts.Metrics.sourceError(s.source)
	}
	return fmt.Errorf("receive from %s: %w", s.source, err)
}

// tick lets the watch turn a stream that stays open into a success.
func (s *Subscription) tick(ctx context.Context) (stop func()) {
	if s.opts.Watch == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(s.opts.Watch.stableAfter / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.opts.Watch.Tick()
			}
		}
	}()
	return cancel
}

// handle acks a message only once its finding is handled (or the message is
// recorded as malformed), so that Pub/Sub redelivers everything else.
func (s *Subscription) handle(ctx context.Context, m *pubsub.Message, h Handler) {
	f, err := DecodeNotification(m.Data)
	if err != nil {
		s.reject(ctx, m, err)
		return
	}
	s.opts.Metrics.findingReceived(s.source)
	if err := callHandler(ctx, h, f); err != nil {
		s.opts.Metrics.sourceError(s.source)
		s.log.Warn("finding not handled; nacked for redelivery", "source", s.source,
			"message_id", m.ID, "finding", f.Name, "error", err)
		m.Nack()
		return
	}
	m.Ack()
}

// callHandler turns a handler panic into an error, so that one bad finding
// cannot take the receive loop, and every message behind it, down.
func callHandler(ctx context.Context, h Handler, f bot.Finding) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v\n%s", r, debug.Stack())
		}
	}()
	return h(ctx, f)
}

// reject logs the reason, id and size of a malformed message, never its
// text, which may be anything an attacker managed to publish.
func (s *Subscription) reject(ctx context.Context, m *pubsub.Message, err error) {
	reason := ReasonInvalidJSON
	var de *DecodeError
	if errors.As(err, &de) {
		reason = de.Reason
	}
	s.opts.Metrics.messageMalformed(s.source, reason)
	s.log.Warn("malformed message", "source", s.source, "reason", reason, "message_id", m.ID, "size", len(m.Data),
		"nack", s.opts.NackMalformed)
	if s.opts.NackMalformed {
		m.Nack()
		return
	}
	if s.opts.Rejects != nil {
		if err := s.opts.Rejects.RecordRejected(ctx, s.rejected(m, reason)); err != nil {
			// Acking now would lose the message; let Pub/Sub keep it.
			s.opts.Metrics.sourceError(s.source)
			s.log.Error("could not record malformed message; nacked", "source", s.source, "message_id", m.ID, "error", err)
			m.Nack()
			return
		}
	}
	m.Ack()
}

func (s *Subscription) rejected(m *pubsub.Message, reason string) bot.Rejected {
	payload := m.Data
	if len(payload) > MaxRejectedPayload {
		payload = payload[:MaxRejectedPayload]
	}
	return bot.Rejected{
		Source:     s.source,
		Reason:     reason,
		Payload:    append([]byte(nil), payload...),
		ReceivedAt: s.opts.Now().UTC(),
	}
}
