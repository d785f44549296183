package slack

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// Shapes of Slack ids. Ids are checked before they reach Slack so that a
// hostile value (from a finding, a config typo, a crafted payload) is
// refused without a call, and never ends up in a request parameter.
var (
	userIDPattern  = userID // U… or W… (render.go)
	groupIDPattern = regexp.MustCompile(`^S[A-Z0-9]{2,20}$`)
	dmIDPattern    = regexp.MustCompile(`^D[A-Z0-9]{2,20}$`)
)

// maxEmail is the longest address SMTP allows (RFC 5321 path limit).
const maxEmail = 254

// validEmail accepts a bare address (no display name, no angle brackets,
// no spaces or control characters).
func validEmail(s string) bool {
	if s == "" || len(s) > maxEmail || strings.ContainsAny(s, " <>\t\r\n,;") || sanitize(s, false) != s {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// invalidID refuses a value that is not a Slack id of the expected kind.
// The value is quoted, sanitized and cut: it may be hostile, and the
// message may reach a channel.
func invalidID(kind, value string) error {
	return bot.Errorf(bot.EInvalid, "%q is not a valid Slack %s", cutPlain(plainText(value), 40), kind)
}

// scopes names the OAuth scope each directory method needs, for a
// missing_scope answer that tells the operator what to add.
var scopes = map[string]string{
	"usergroups.users.list": "usergroups:read",
	"users.info":            "users:read",
	"users.lookupByEmail":   "users:read.email",
	"conversations.open":    "im:write",
}

// directoryError translates a directory call's failure into an error a
// handler can show; subject is the group or user asked about.
func directoryError(method, subject string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return bot.WrapError(bot.EDeadline, "Slack did not answer in time", err)
	}
	if classify(err) == failRateLimited {
		return bot.WrapError(bot.ERateLimited, "Slack is rate limiting "+method+"; try again in a minute", err)
	}
	var se goslack.SlackErrorResponse
	if !errors.As(err, &se) {
		return translate(err)
	}
	switch se.Err {
	case "plan_upgrade_required", "paid_teams_only":
		return bot.WrapError(bot.EPermission, "Slack user groups need a paid Slack plan ("+se.Err+"), so membership cannot be checked", err)
	case "no_such_subteam":
		return bot.WrapError(bot.ENotFound, "the configured Slack user group "+subject+" does not exist", err)
	case "missing_scope":
		scope := firstNonEmpty(se.Needed, scopes[method])
		return bot.WrapError(bot.EUnauthorized, "the Slack app lacks the scope "+scope+" (needed for "+method+"); add it and reinstall the app", err)
	case "user_not_found", "users_not_found":
		return bot.WrapError(bot.ENotFound, "Slack has no user "+subject, err)
	case "cannot_dm_bot", "user_disabled", "user_not_visible":
		return bot.WrapError(bot.EInvalid, "Slack cannot open a direct message with "+subject+" ("+se.Err+")", err)
	}
	return translate(err)
}
