package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// CheckAPI is the part of slack-go's client the self-check uses.
type CheckAPI interface {
	AuthTestContext(ctx context.Context) (*goslack.AuthTestResponse, error)
	StartSocketModeContext(ctx context.Context) (*goslack.SocketModeConnection, string, error)
	GetConversationInfoContext(ctx context.Context, input *goslack.GetConversationInfoInput) (*goslack.Channel, error)
}

// ChannelUse is a channel the configuration names, and where.
type ChannelUse struct {
	Channel string // an ID (C…) or "#name"
	Where   string // the configuration key, e.g. routes[1].channel
}

// SelfCheck checks what the bot needs from Slack: the bot token
// (auth.test names the bot and the workspace), the app-level token
// (apps.connections.open, which only hands out a socket URL), and that
// each channel exists, is not archived and has the bot as a member, so
// that posting there can work. api carries both tokens.
func SelfCheck(ctx context.Context, api CheckAPI, channels []ChannelUse) []bot.CheckResult {
	var out []bot.CheckResult
	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		out = append(out, tokenResult("Slack bot token", "SLACK_BOT_TOKEN", "auth.test", err))
		// Without a bot token nothing else about channels can be learnt.
		return append(out, appToken(ctx, api))
	}
	out = append(out, bot.CheckResult{Name: "Slack bot token", Status: bot.CheckOK,
		Detail: fmt.Sprintf("bot @%s (%s) in workspace %s (%s)", auth.User, auth.UserID, auth.Team, auth.TeamID)})
	out = append(out, appToken(ctx, api))
	seen := map[string]bool{}
	for _, c := range channels {
		if seen[c.Channel] {
			continue
		}
		seen[c.Channel] = true
		out = append(out, channel(ctx, api, c))
	}
	return out
}

func appToken(ctx context.Context, api CheckAPI) bot.CheckResult {
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		return tokenResult("Slack app token", "SLACK_APP_TOKEN", "apps.connections.open", err)
	}
	return bot.CheckResult{Name: "Slack app token", Status: bot.CheckOK, Detail: "socket mode connections allowed"}
}

// channel checks one channel with conversations.info, which takes IDs
// only: a "#name" is reported as unchecked.
func channel(ctx context.Context, api CheckAPI, c ChannelUse) bot.CheckResult {
	name := "channel " + c.Channel + " (" + c.Where + ")"
	if strings.HasPrefix(c.Channel, "#") {
		return bot.CheckResult{Name: name, Status: bot.CheckWarn,
			Detail: "not checked: conversations.info needs the channel ID (C…); use the ID in " + c.Where}
	}
	ch, err := api.GetConversationInfoContext(ctx, &goslack.GetConversationInfoInput{ChannelID: c.Channel})
	switch {
	case err != nil:
		return bot.CheckResult{Name: name, Status: bot.CheckFail, Detail: "conversations.info: " + slackErr(err)}
	case ch.IsArchived:
		return bot.CheckResult{Name: name, Status: bot.CheckFail, Detail: "#" + ch.Name + " is archived: nothing can be posted there"}
	case !ch.IsMember && !ch.IsIM:
		return bot.CheckResult{Name: name, Status: bot.CheckFail,
			Detail: "the bot is not a member of #" + ch.Name + ": invite it (/invite @the-bot) or posts fail with not_in_channel"}
	}
	return bot.CheckResult{Name: name, Status: bot.CheckOK, Detail: "#" + ch.Name + ", the bot is a member"}
}

// tokenResult is a failed token check: Slack's refusal (invalid_auth,
// token_revoked, …) blocks the bot and names the variable; not reaching
// Slack at all is only a warning, since it may pass.
func tokenResult(name, variable, method string, err error) bot.CheckResult {
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		return bot.CheckResult{Name: name, Status: bot.CheckFail, Blocks: true,
			Detail: variable + " refused by " + method + ": " + se.Err}
	}
	return bot.CheckResult{Name: name, Status: bot.CheckWarn, Detail: "could not reach Slack for " + method + ": " + err.Error()}
}

// slackErr is the Slack error code when there is one, else the error.
func slackErr(err error) string {
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return err.Error()
}
