package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/handlers"
)

// Limits of a view_submission errors ack. Slack documents no length for
// the messages; they are shown under a field, so they are kept short. The
// whole ack must stay under Socket Mode's 20 480 bytes (slack-go refuses
// to send more and Slack drops it), so the errors get a budget well below.
const (
	maxErrorText   = 300
	maxErrorsBytes = 16 * 1024
	slowValidation = 50 * time.Millisecond
)

// submission serves a view_submission on the loop: decode, refuse foreign
// payloads, validate, then ack with the errors (the dialog stays open and
// shows them; nothing is dispatched) or with nothing (the dialog closes)
// and queue the request as any other.
func (b *Bot) submission(ctx context.Context, envelope string, cb goslack.InteractionCallback, received time.Time) {
	const kind = "interactive"
	reqs := decodeInteraction(envelope, cb, received)
	if len(reqs) != 1 {
		b.ack(ctx, envelope, kind, received)
		return
	}
	r := reqs[0]
	if reason := b.refuse(r); reason != "" {
		b.ack(ctx, envelope, kind, received)
		b.metrics.refused.WithLabelValues(reason).Inc()
		b.log.Warn("payload refused", "reason", reason, "request", r)
		return
	}
	found := b.validate(r)
	if resp := errorsAck(found); resp != nil {
		b.ackWith(ctx, envelope, kind, received, resp)
		b.metrics.refused.WithLabelValues("invalid_input").Inc()
		b.log.Info("submission rejected by validation", "request", r, "fields", slices.Sorted(maps.Keys(resp.Errors)))
		return
	}
	if len(found) > 0 {
		b.log.Warn("validation errors name no input the dialog can show; dispatching for the handler to decide", "request", r)
	}
	b.ack(ctx, envelope, kind, received)
	b.enqueue(r)
}

// validate runs the Validate hook. A panic must not take the event loop
// down: it is logged and counts as no errors, and the handler, which
// checks the submission again, decides.
func (b *Bot) validate(r handlers.Request) (errs map[string]string) {
	if b.opts.Validate == nil {
		return nil
	}
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("submission validation panicked; dispatching unvalidated", "request", r, "panic", fmt.Sprint(p))
			errs = nil
		}
		if d := time.Since(start); d > slowValidation {
			b.log.Warn("submission validation is slow; it delays the ack", "request", r, "took", d.String())
		}
	}()
	return b.opts.Validate(r)
}

// errorsAck builds the response_action "errors" ack, or nil when there is
// nothing Slack could show. Keys must be input block ids (at most 255
// characters); messages are plain text, sanitized like headers and cut.
// Errors are taken in key order until the budget is spent, so a runaway
// validator cannot make the ack too large to send.
func errorsAck(errs map[string]string) *goslack.ViewSubmissionResponse {
	out := map[string]string{}
	size := 0
	for _, id := range slices.Sorted(maps.Keys(errs)) {
		if id == "" || utf8.RuneCountInString(id) > maxInputID {
			continue
		}
		msg := cutPlain(plainText(errs[id]), maxErrorText)
		if strings.TrimSpace(msg) == "" {
			msg = "This value is not valid."
		}
		n := jsonLen(id) + jsonLen(msg) + 2
		if size+n > maxErrorsBytes {
			break
		}
		out[id], size = msg, size+n
	}
	if len(out) == 0 {
		return nil
	}
	return goslack.NewErrorsViewSubmissionResponse(out)
}

func jsonLen(s string) int {
	b, _ := json.Marshal(s)
	return len(b)
}
