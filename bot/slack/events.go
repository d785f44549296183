package slack

import (
	"context"
	"log/slog"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/sccbot/sccbot/handlers"
)

// handle deals with one socket-mode event on the loop goroutine. It never
// calls the Web API and never blocks on work: envelopes are acked, decoded
// and queued.
func (b *Bot) handle(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.connected.Store(false)
		b.metrics.connected.Set(0)
		if b.connections.Add(1) > 1 {
			b.metrics.reconnects.Inc()
		}
		b.log.Info("connecting to slack")
	case socketmode.EventTypeConnectionError:
		b.log.Warn("slack connection failed; slack-go retries with backoff", "err", evt.Data)
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("slack refused the app token")
	case socketmode.EventTypeHello:
		b.connected.Store(true)
		b.lastHello.Store(time.Now().UnixNano())
		b.metrics.connected.Set(1)
		b.log.Info("connected to slack")
	case socketmode.EventTypeErrorBadMessage:
		b.badMessage(ctx, evt)
	case socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand, socketmode.EventTypeEventsAPI:
		b.envelope(ctx, evt)
	}
}

// envelope acks first, then decodes and queues.
func (b *Bot) envelope(ctx context.Context, evt socketmode.Event) {
	received := time.Now()
	if evt.Request == nil {
		return
	}
	if cb, ok := evt.Data.(goslack.InteractionCallback); ok && cb.Type == goslack.InteractionTypeViewSubmission {
		// The ack of a submission carries its validation errors, so this
		// one envelope is decoded and checked before it is acked.
		b.submission(ctx, evt.Request.EnvelopeID, cb, received)
		return
	}
	b.ack(ctx, evt.Request.EnvelopeID, string(evt.Type), received)
	var reqs []handlers.Request
	switch data := evt.Data.(type) {
	case goslack.InteractionCallback:
		reqs = decodeInteraction(evt.Request.EnvelopeID, data, received)
	case goslack.SlashCommand:
		reqs = []handlers.Request{decodeCommand(evt.Request.EnvelopeID, data, received)}
	}
	for _, r := range reqs {
		if reason := b.refuse(r); reason != "" {
			b.metrics.refused.WithLabelValues(reason).Inc()
			b.log.Warn("payload refused", "reason", reason, "request", r)
			continue
		}
		b.enqueue(r)
	}
}

func (b *Bot) ack(ctx context.Context, envelope, kind string, received time.Time) {
	b.ackWith(ctx, envelope, kind, received, nil)
}

// ackWith acks with a payload (a view_submission's response_action), or
// none when payload is nil.
func (b *Bot) ackWith(ctx context.Context, envelope, kind string, received time.Time, payload any) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.AckTimeout)
	defer cancel()
	if err := b.sm.AckCtx(ctx, envelope, payload); err != nil {
		b.log.Warn("ack not sent", "envelope", envelope, "err", err)
		return
	}
	b.metrics.envelopes.WithLabelValues(kind).Inc()
	b.metrics.ackSeconds.Observe(time.Since(received).Seconds())
}

// refuse returns why a payload must not be served, or "".
func (b *Bot) refuse(r handlers.Request) string {
	switch {
	case b.opts.AppID != "" && r.AppID != b.opts.AppID:
		return "foreign_app"
	case b.opts.TeamID != "" && r.TeamID != b.opts.TeamID:
		return "foreign_team"
	case r.UserID == "":
		return "no_user"
	}
	return ""
}

// enqueue hands r to the workers without blocking the loop. When every
// worker is busy and the queue is full, the request is dropped and counted:
// blocking here would stall Slack's pings and lose the socket.
func (b *Bot) enqueue(r handlers.Request) {
	q := b.queue
	if b.opts.OpensDialog(r) {
		q = b.dialogs
	}
	select {
	case q <- r:
		b.metrics.queueDepth.Inc()
	default:
		b.metrics.dropped.Inc()
		b.log.Error("interaction dropped: all workers busy and the queue is full", "request", r)
	}
}

// badMessage acks an envelope slack-go could not decode, so Slack does not
// retry it, and logs why.
func (b *Bot) badMessage(ctx context.Context, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	b.metrics.badMessages.Inc()
	b.log.Warn("undecodable socket-mode message", "err", bad.Cause)
	if id := envelopeID(bad.Message); id != "" {
		b.ack(ctx, id, "undecodable", time.Now())
	}
}

// slogOutput lets slack-go's socketmode log through slog at debug level.
type slogOutput struct{ log *slog.Logger }

func (s slogOutput) Output(_ int, msg string) error {
	s.log.Debug(strings.TrimSpace(msg), "component", "socketmode")
	return nil
}
