package slackfake_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// TestResponseURL proves response_url posts from slack-go are recorded and
// act like Slack's: ephemeral to the user, in_channel as a new message,
// replace_original and delete_original on the clicked message, Block Kit
// checked, and at most five uses.
func TestResponseURL(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("card v1", false))
	if err != nil {
		t.Fatal(err)
	}
	click := f.BlockActionPayload(slackfake.BlockAction{UserID: "U1", Channel: "C1", MessageTS: ts, ActionID: "finding.ack"})
	url := click["response_url"].(string)
	id := responseID(url)
	steps := []struct {
		name string
		opts []slack.MsgOption
		want string // "" or the Slack error
	}{
		{"ephemeral", []slack.MsgOption{slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("working", false)}, ""},
		{"in channel", []slack.MsgOption{slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel), slack.MsgOptionText("posted", false)}, ""},
		{"bad blocks", []slack.MsgOption{slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionBlocks(section(strings.Repeat("x", 3001)))}, "invalid_blocks"},
		{"replace", []slack.MsgOption{slack.MsgOptionReplaceOriginal(url), slack.MsgOptionText("card v2", false)}, ""},
		{"delete", []slack.MsgOption{slack.MsgOptionDeleteOriginal(url)}, ""},
		{"fifth use", []slack.MsgOption{slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("late", false)}, ""},
		{"used up", []slack.MsgOption{slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("too late", false)}, "used_url"},
	}
	var texts []string
	for _, st := range steps {
		_, _, err := api.PostMessageContext(ctx, "", st.opts...)
		if e, _ := slackErr(err); e.Err != st.want {
			t.Errorf("%s: err = %v, want %q", st.name, err, st.want)
		}
		if st.name == "replace" {
			if m, ok := f.MessageAt("C1", ts); !ok || m.Text != "card v2" || m.Edits != 1 {
				t.Errorf("after replace: %+v", m)
			}
		}
	}
	for _, r := range f.Responses(id) {
		texts = append(texts, r.Text)
	}
	if diff := cmp.Diff([]string{"working", "posted", "card v2", "", "late"}, texts); diff != "" {
		t.Errorf("responses (-want +got):\n%s", diff)
	}
	var channel []string
	for _, m := range f.Messages("C1") {
		channel = append(channel, m.Text)
	}
	if diff := cmp.Diff([]string{"posted"}, channel); diff != "" {
		t.Errorf("channel after delete_original (-want +got):\n%s", diff)
	}
	if e := f.Ephemerals("C1", "U1"); len(e) != 2 || e[0].Text != "working" {
		t.Errorf("ephemerals = %+v", e)
	}
}

// TestDirectory proves user groups, users and DMs through slack-go.
func TestDirectory(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	f.SetUserGroup("S0APPROVERS", "U1", "U2")
	f.AddUser("U1", "alice@example.com", "alice")
	members, err := api.GetUserGroupMembersContext(ctx, "S0APPROVERS")
	if err != nil || !cmp.Equal(members, []string{"U1", "U2"}) {
		t.Errorf("members = %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S0NONE"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}
	u, err := api.GetUserByEmailContext(ctx, "ALICE@example.com")
	if err != nil || u.ID != "U1" || u.Name != "alice" || u.Profile.Email != "alice@example.com" {
		t.Errorf("lookupByEmail = %+v, %v", u, err)
	}
	if _, err := api.GetUserByEmailContext(ctx, "bob@example.com"); err == nil || err.Error() != "users_not_found" {
		t.Errorf("unknown email: %v", err)
	}
	if u, err := api.GetUserInfoContext(ctx, "U0BOT"); err != nil || !u.IsBot {
		t.Errorf("users.info(bot) = %+v, %v", u, err)
	}
	dm, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1"}})
	if err != nil || dm.ID != "D1" {
		t.Fatalf("conversations.open = %+v, %v", dm, err)
	}
	if _, _, err := api.PostMessageContext(ctx, dm.ID, slack.MsgOptionText("you own project x", false)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Transcript(dm.ID), "@U1 (D1)") {
		t.Errorf("transcript header:\n%s", f.Transcript(dm.ID))
	}
}

// TestAuth proves token checks per method and unknown methods.
func TestAuth(t *testing.T) {
	f := newFake(t)
	cases := []struct {
		name  string
		call  func() error
		wantE string
	}{
		{"bot token", func() error { _, err := newClient(t, f).AuthTestContext(testCtx(t)); return err }, ""},
		{"wrong token", func() error {
			_, err := slack.New("xoxb-wrong", slack.OptionAPIURL(f.URL())).AuthTestContext(testCtx(t))
			return err
		}, "invalid_auth"},
		{"app token on chat", func() error {
			_, _, err := slack.New(f.AppToken(), slack.OptionAPIURL(f.URL())).PostMessageContext(testCtx(t), "C1", slack.MsgOptionText("x", false))
			return err
		}, "not_allowed_token_type"},
		{"bot token on connections.open", func() error {
			_, _, err := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()), slack.OptionAppLevelToken(f.BotToken())).StartSocketModeContext(testCtx(t))
			return err
		}, "not_allowed_token_type"},
		{"no token", func() error {
			_, err := slack.New("", slack.OptionAPIURL(f.URL())).AuthTestContext(testCtx(t))
			return err
		}, "not_authed"},
		{"bearer on views", func() error {
			_, err := newClient(t, f).OpenViewContext(testCtx(t), "t1", slack.ModalViewRequest{Type: slack.VTModal, Title: plain("T")})
			return err
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if e, _ := slackErr(err); e.Err != tc.wantE || (tc.wantE == "" && err != nil) {
				t.Errorf("err = %v, want %q", err, tc.wantE)
			}
		})
	}
	if _, err := newClient(t, f).GetTeamInfoContext(testCtx(t)); err == nil || err.Error() != "unknown_method" {
		t.Errorf("team.info = %v, want unknown_method", err)
	}
}

// TestViewErrors proves views.* validation, trigger expiry and hashes.
func TestViewErrors(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	modal := slack.ModalViewRequest{Type: slack.VTModal, Title: plain(strings.Repeat("t", 25))}
	_, err := api.OpenViewContext(ctx, "t1", modal)
	e, _ := slackErr(err)
	if e.Err != "invalid_arguments" || len(e.ResponseMetadata.Messages) == 0 ||
		!strings.Contains(e.ResponseMetadata.Messages[0], "/view/title/text") {
		t.Errorf("long title: %v %+v", err, e.ResponseMetadata)
	}
	click := f.BlockActionPayload(slackfake.BlockAction{ActionID: "finding.contain"})
	f.ExpireTrigger(click["trigger_id"].(string))
	modal.Title = plain("Contain")
	if _, err := api.OpenViewContext(ctx, click["trigger_id"].(string), modal); err == nil || err.Error() != "expired_trigger_id" {
		t.Errorf("expired trigger: %v", err)
	}
	opened, err := api.OpenViewContext(ctx, "t2", modal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.UpdateViewContext(ctx, modal, "", opened.View.Hash, opened.View.ID); err != nil {
		t.Fatalf("update with current hash: %v", err)
	}
	if _, err := api.UpdateViewContext(ctx, modal, "", opened.View.Hash, opened.View.ID); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("update with stale hash: %v", err)
	}
	if views := f.Views(); len(views) != 2 || views[1].Method != "views.update" {
		t.Errorf("views = %+v", views)
	}
}
