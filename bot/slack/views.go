package slack

import (
	"context"
	"errors"
	"fmt"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// errTriggerExpired is what a person sees when the click's trigger died
// before the dialog could open.
const errTriggerExpired = "the dialog could not open in time; click the button again"

// OpenModal shows m to the person whose click or command carried
// triggerID. It calls views.open at once rather than through a lane: a
// trigger dies three seconds after the click and can be used once, so
// queueing behind posts, or retrying, would only turn a slow answer into
// an expired one. views.open is Tier 4 (100+ a minute), far above the
// pace of clicks.
func (o *Outbox) OpenModal(ctx context.Context, triggerID string, m bot.Modal) error {
	if triggerID == "" {
		return bot.Errorf(bot.EInvalid, "this interaction cannot open a dialog (it carries no trigger)")
	}
	if err := checkModal(m); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.opts.ModalTimeout)
	defer cancel()
	_, err := o.api.OpenViewContext(ctx, triggerID, RenderModal(m))
	if err != nil {
		o.metrics.requests.WithLabelValues("views.open", "error").Inc()
		return fmt.Errorf("open dialog %q: %w", m.CallbackID, modalError(err))
	}
	o.metrics.requests.WithLabelValues("views.open", "ok").Inc()
	return nil
}

// modalError translates a views.open failure. Trigger problems and
// timeouts get the one answer a person can act on: click again, which
// makes a fresh trigger.
func modalError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return bot.WrapError(bot.EDeadline, errTriggerExpired, err)
	}
	if classify(err) == failRateLimited {
		return bot.WrapError(bot.ERateLimited, "Slack is busy; click the button again in a moment", err)
	}
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "expired_trigger_id", "exchanged_trigger_id":
			return bot.WrapError(bot.EInvalid, errTriggerExpired, err)
		case "view_too_large", "invalid_arguments", "duplicate_external_id":
			return bot.WrapError(bot.EInvalid, "Slack refused the dialog ("+se.Err+")", err)
		}
	}
	if errors.Is(err, goslack.ErrBlockIDNotUnique) || errors.Is(err, goslack.ErrParametersMissing) {
		return bot.WrapError(bot.EInvalid, "the dialog is malformed", err)
	}
	return translate(err)
}
