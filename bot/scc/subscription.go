package scc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
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
}

// Subscription receives SCC finding notifications from a Pub/Sub
// subscription.
type Subscription struct {
	sub    *pubsub.Subscriber
	source string
	opts   SubscriptionOptions
	log    *slog.Logger
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
	source := "pubsub:" + subscription
	return &Subscription{sub: sub, source: source, opts: opts, log: loggerOr(opts.Logger).With("source", source)}
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
func (s *Subscription) Run(ctx context.Context, h Handler) error {
	err := s.sub.Receive(ctx, func(ctx context.Context, m *pubsub.Message) {
		s.handle(ctx, m, h)
	})
	if ctx.Err() != nil {
		return nil
	}
	s.opts.Metrics.sourceError(s.source)
	if err == nil {
		err = errors.New("receive stopped")
	}
	return fmt.Errorf("receive from %s: %w", s.source, err)
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
		s.log.Warn("finding not handled; nacked for redelivery",
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
	s.log.Warn("malformed message", "reason", reason, "message_id", m.ID, "size", len(m.Data),
		"nack", s.opts.NackMalformed)
	if s.opts.NackMalformed {
		m.Nack()
		return
	}
	if s.opts.Rejects != nil {
		if err := s.opts.Rejects.RecordRejected(ctx, s.rejected(m, reason)); err != nil {
			// Acking now would lose the message; let Pub/Sub keep it.
			s.opts.Metrics.sourceError(s.source)
			s.log.Error("could not record malformed message; nacked", "message_id", m.ID, "error", err)
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
