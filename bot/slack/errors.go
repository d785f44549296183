package slack

import (
	"errors"
	"net/http"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// failure says how the outbox should treat an error from the Web API.
type failure int

const (
	// failPermanent: retrying the same request cannot succeed.
	failPermanent failure = iota
	// failRateLimited: Slack said when to come back.
	failRateLimited
	// failAmbiguous: the request may or may not have taken effect (a 5xx,
	// a timeout, a connection dropped after the request was written), so a
	// retry must first check whether it did.
	failAmbiguous
)

// classify sorts a Web API error.
func classify(err error) failure {
	var rl *goslack.RateLimitedError
	if errors.As(err, &rl) {
		return failRateLimited
	}
	var sc goslack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code == http.StatusTooManyRequests {
			return failRateLimited
		}
		if sc.Code >= 500 {
			return failAmbiguous
		}
		return failPermanent
	}
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited":
			return failRateLimited
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return failAmbiguous
		}
		return failPermanent
	}
	// Timeouts, resets and everything unrecognised: assume the worst.
	return failAmbiguous
}

// translate turns a permanent Slack error into a bot error a handler can
// act on and a user can read. The Slack error code stays in the chain for
// the log.
func translate(err error) error {
	var se goslack.SlackErrorResponse
	if !errors.As(err, &se) {
		return bot.WrapError(bot.EUnavailable, "Slack could not be reached.", err)
	}
	switch se.Err {
	case "channel_not_found":
		return bot.WrapError(bot.ENotFound, "the channel does not exist or the bot cannot see it", err)
	case "not_in_channel", "is_archived", "channel_is_archived", "restricted_action", "cant_update_message":
		return bot.WrapError(bot.EPermission, "the bot may not post there ("+se.Err+"); invite it to the channel", err)
	case "invalid_auth", "not_authed", "token_revoked", "account_inactive", "missing_scope", "no_permission":
		return bot.WrapError(bot.EUnauthorized, "Slack refused the bot's token ("+se.Err+")", err)
	case "invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "no_text", "invalid_arguments":
		return bot.WrapError(bot.EInvalid, "Slack refused the message ("+se.Err+")", err)
	case "message_not_found", "thread_not_found":
		return bot.WrapError(bot.ENotFound, "the message no longer exists", err)
	}
	return bot.WrapError(bot.EUnavailable, "Slack refused the request ("+se.Err+")", err)
}
