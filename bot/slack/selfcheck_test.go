package slack

import (
	"context"
	"strings"
	"testing"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

func checkClient(f *slackfake.Server, botToken, appToken string) *goslack.Client {
	return goslack.New(botToken, goslack.OptionAppLevelToken(appToken), goslack.OptionAPIURL(f.URL()))
}

func TestSelfCheckAgainstTheFakeSlack(t *testing.T) {
	f := slackfake.New(slackfake.WithChannels("C0ROUTE1", "C0ROUTE2", "C0ROUTE3", "C0ROUTE4"))
	t.Cleanup(f.Close)
	f.AddChannel("C0ROUTE1", "secops")
	f.AddChannel("C0ROUTE2", "secops-gke")
	f.AddChannel("C0ROUTE3", "old-alerts")
	f.AddChannel("C0ROUTE4", "urgent")
	uses := []ChannelUse{{"C0ROUTE1", "slack.default_channel"}, {"C0ROUTE2", "routes[0].channel"},
		{"C0ROUTE1", "routes[1].channel"}, {"#secops", "digests.schedules[0].channel"}}
	ctx := context.Background()

	got := SelfCheck(ctx, checkClient(f, f.BotToken(), f.AppToken()), uses)
	if bot.Failed(got) {
		t.Fatalf("all good, yet: %+v", got)
	}
	want := []struct{ name, status, detail string }{
		{"Slack bot token", bot.CheckOK, "bot @" + slackfake.BotName + " (" + slackfake.BotUserID + ") in workspace Fake Workspace (" + slackfake.TeamID + ")"},
		{"Slack app token", bot.CheckOK, "socket mode"},
		{"channel C0ROUTE1 (slack.default_channel)", bot.CheckOK, "#secops, the bot is a member"},
		{"channel C0ROUTE2 (routes[0].channel)", bot.CheckOK, "#secops-gke"},
		{"channel #secops (digests.schedules[0].channel)", bot.CheckWarn, "needs the channel ID"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d (a channel used twice is checked once): %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Status != w.status || !strings.Contains(got[i].Detail, w.detail) {
			t.Errorf("result %d = %+v, want %s %s …%s…", i, got[i], w.name, w.status, w.detail)
		}
	}

	f.SetNotInChannel("C0ROUTE2")
	f.SetArchived("C0ROUTE3")
	uses = append(uses, ChannelUse{"C0ROUTE3", "routes[2].channel"}, ChannelUse{"C0GONE", "routes[3].channel"})
	got = SelfCheck(ctx, checkClient(f, f.BotToken(), "xapp-1-revoked"), uses)
	fails := map[string]string{}
	for _, r := range got {
		if r.Status == bot.CheckFail {
			fails[r.Name] = r.Detail
		}
	}
	for name, detail := range map[string]string{
		"Slack app token":                      "SLACK_APP_TOKEN refused by apps.connections.open: invalid_auth",
		"channel C0ROUTE2 (routes[0].channel)": "not a member of #secops-gke",
		"channel C0ROUTE3 (routes[2].channel)": "#old-alerts is archived",
		"channel C0GONE (routes[3].channel)":   "channel_not_found",
	} {
		if !strings.Contains(fails[name], detail) {
			t.Errorf("%s: failure %q, want %q", name, fails[name], detail)
		}
	}

	got = SelfCheck(ctx, checkClient(f, "xoxb-1-revoked", f.AppToken()), uses)
	if got[0].Status != bot.CheckFail || got[0].Detail != "SLACK_BOT_TOKEN refused by auth.test: invalid_auth" {
		t.Errorf("revoked bot token: %+v", got[0])
	}
	for _, r := range got {
		if strings.Contains(r.Detail, f.BotToken()) || strings.Contains(r.Detail, "xoxb-1-revoked") {
			t.Errorf("a token in the result: %+v", r)
		}
	}
}

// TestSelfCheckSlackUnreachable: not reaching Slack is a warning, not a
// refused token: it does not stop the bot from starting.
func TestSelfCheckSlackUnreachable(t *testing.T) {
	f := slackfake.New()
	url := f.URL()
	f.Close()
	got := SelfCheck(context.Background(), goslack.New("xoxb-1", goslack.OptionAppLevelToken("xapp-1"), goslack.OptionAPIURL(url)), nil)
	for _, r := range got {
		if r.Status != bot.CheckWarn || r.Blocks || !strings.Contains(r.Detail, "could not reach Slack") {
			t.Errorf("%+v, want a warning", r)
		}
	}
	if len(got) != 2 {
		t.Errorf("%d results, want the two tokens", len(got))
	}
}
