package slackfake_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

// TestPostAndUpdate proves that posts get unique increasing Slack-shaped
// timestamps and a channel ID for a "#name", and that chat.update replaces
// the content, keeps the history and rejects unknown targets as Slack does.
func TestPostAndUpdate(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	var tss []string
	var channel string
	for i := range 3 {
		ch, ts, err := api.PostMessageContext(ctx, "#secops",
			slack.MsgOptionText(fmt.Sprintf("finding %d", i), false), slack.MsgOptionBlocks(section("card")))
		if err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
		channel = ch
		tss = append(tss, ts)
	}
	if !strings.HasPrefix(channel, "C") || f.ChannelID("#secops") != channel {
		t.Errorf("channel = %q, ChannelID(#secops) = %q; want the same C... id", channel, f.ChannelID("#secops"))
	}
	for i := 1; i < len(tss); i++ {
		if len(tss[i]) != len("1700000000.000100") || tss[i] <= tss[i-1] {
			t.Errorf("ts %q after %q: want Slack-shaped and strictly increasing", tss[i], tss[i-1])
		}
	}
	_, _, _, err := api.UpdateMessageContext(ctx, channel, tss[1], slack.MsgOptionText("acknowledged", false))
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	got := f.Messages("#secops")
	want := []slackfake.Message{
		{Channel: channel, TS: tss[0], Text: "finding 0"},
		{Channel: channel, TS: tss[1], Text: "acknowledged", Edits: 1,
			History: []slackfake.Revision{{Text: "finding 1"}}},
		{Channel: channel, TS: tss[2], Text: "finding 2"},
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(slackfake.Message{}, "Blocks", "Params", "PostedAt", "EditedAt"),
		cmpopts.IgnoreFields(slackfake.Revision{}, "Blocks", "At"),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if len(got[1].Blocks) == 0 {
		t.Error("update without blocks dropped the blocks; Slack keeps them")
	}

	for _, tc := range []struct{ channel, ts, want string }{
		{channel, "1.000001", "message_not_found"},
		{"#secops", tss[0], "channel_not_found"}, // chat.update needs the ID
	} {
		_, _, _, err := api.UpdateMessageContext(ctx, tc.channel, tc.ts, slack.MsgOptionText("x", false))
		if e, _ := slackErr(err); e.Err != tc.want {
			t.Errorf("update(%s, %s) = %v, want %s", tc.channel, tc.ts, err, tc.want)
		}
	}
}

// TestConcurrentPosts proves timestamps stay unique and ordered under
// concurrent posting and that readers never race with writers.
func TestConcurrentPosts(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(fmt.Sprint(g, i), false)); err != nil {
					t.Error(err)
				}
				_ = f.Messages("C1")
				_ = f.Calls("chat.postMessage")
			}
		})
	}
	msgs, err := f.WaitMessages(ctx, "C1", 80)
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i := 1; i < len(msgs); i++ {
		if msgs[i].TS <= msgs[i-1].TS {
			t.Fatalf("message %d ts %s not after %s", i, msgs[i].TS, msgs[i-1].TS)
		}
	}
	calls := f.Calls("chat.postMessage")
	calls[0].Params.Set("channel", "mutated")
	if f.Calls("chat.postMessage")[0].Params.Get("channel") != "C1" {
		t.Error("Calls returned shared state")
	}
}

// TestThreads proves replies are kept apart from top-level messages, that
// a reply to a reply joins the parent's thread, and that WaitThread works.
func TestThreads(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	_, parent, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	_, r1, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("audit: contained", false), slack.MsgOptionTS(parent))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("nested", false), slack.MsgOptionTS(r1)); err != nil {
		t.Fatal(err)
	}
	replies, err := f.WaitThread(ctx, "C1", parent, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{replies[0].Text + "@" + replies[0].ThreadTS, replies[1].Text + "@" + replies[1].ThreadTS}
	want := []string{"audit: contained@" + parent, "nested@" + parent}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
	if n := len(f.Messages("C1")); n != 1 {
		t.Errorf("top-level messages = %d, want 1", n)
	}
	if n := len(f.AllMessages()); n != 3 {
		t.Errorf("all messages = %d, want 3", n)
	}
}

// TestHistoryAndMetadata proves conversations.history answers newest first,
// honours oldest, limit and the cursor, and returns the metadata the post
// carried only when include_all_metadata is set.
func TestHistoryAndMetadata(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	var tss []string
	for i := range 3 {
		meta := slack.SlackMetadata{EventType: "scc_finding", EventPayload: map[string]any{"finding": fmt.Sprint("f", i)}}
		_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(fmt.Sprint("m", i), false), slack.MsgOptionMetadata(meta))
		if err != nil {
			t.Fatal(err)
		}
		tss = append(tss, ts)
	}
	all, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range all.Messages {
		got = append(got, m.Text+"/"+m.Metadata.EventType+"/"+fmt.Sprint(m.Metadata.EventPayload["finding"]))
	}
	if diff := cmp.Diff([]string{"m2/scc_finding/f2", "m1/scc_finding/f1", "m0/scc_finding/f0"}, got); diff != "" {
		t.Errorf("history with metadata (-want +got):\n%s", diff)
	}
	page, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: tss[0], Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 1 || page.Messages[0].Text != "m2" || !page.HasMore || page.Messages[0].Metadata.EventType != "" {
		t.Fatalf("first page = %+v, want m2 without metadata and has_more", page)
	}
	next, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: "C1", Oldest: tss[0], Limit: 1, Cursor: page.ResponseMetaData.NextCursor,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Messages) != 1 || next.Messages[0].Text != "m1" || next.HasMore {
		t.Errorf("second page = %+v, want m1 (m0 excluded by oldest) and no more", next.Messages)
	}
}

// TestEphemeralDeletePermalinkReaction covers the smaller chat methods.
func TestEphemeralDeletePermalinkReaction(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	if e := f.Ephemerals("C1", "U1"); len(e) != 1 || e[0].Text != "only you" {
		t.Errorf("ephemerals = %+v", e)
	}
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C1", Ts: ts})
	if want := "https://fake.slack.com/archives/C1/p" + strings.Replace(ts, ".", "", 1); err != nil || link != want {
		t.Errorf("permalink = %q, %v; want %q", link, err, want)
	}
	if err := api.AddReactionContext(ctx, "eyes", slack.NewRefToMessage("C1", ts)); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.MessageAt("C1", ts); !cmp.Equal(m.Reactions, []string{"eyes"}) {
		t.Errorf("reactions = %v", m.Reactions)
	}
	if _, _, err := api.DeleteMessageContext(ctx, "C1", ts); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Messages("C1")); n != 0 {
		t.Errorf("messages after delete = %d", n)
	}
}

// TestChannels proves WithChannels, AddChannel, SetNotInChannel and DMs.
func TestChannels(t *testing.T) {
	f := newFake(t, slackfake.WithChannels("C1"))
	api := newClient(t, f)
	ctx := testCtx(t)
	post := func(ch string) (string, string) {
		got, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false))
		e, _ := slackErr(err)
		return got, e.Err
	}
	steps := []struct {
		name      string
		setup     func()
		channel   string
		wantID    string
		wantError string
	}{
		{"known id", nil, "C1", "C1", ""},
		{"unknown id", nil, "C2", "", "channel_not_found"},
		{"unknown name", nil, "#secops", "", "channel_not_found"},
		{"added name", func() { f.AddChannel("C2", "#secops") }, "#secops", "C2", ""},
		{"not invited", func() { f.SetNotInChannel("C2") }, "C2", "", "not_in_channel"},
		{"invited", func() { f.JoinChannel("C2") }, "#secops", "C2", ""},
		{"user id posts to the DM", nil, "U7", "D7", ""},
	}
	for _, st := range steps {
		if st.setup != nil {
			st.setup()
		}
		id, code := post(st.channel)
		if id != st.wantID || code != st.wantError {
			t.Errorf("%s: post(%s) = %q, %q; want %q, %q", st.name, st.channel, id, code, st.wantID, st.wantError)
		}
	}
}

// TestJSONBodyAndEmptyRestriction proves a chat.postMessage sent as JSON
// with a bearer token (as other SDKs do) is understood, blocks included,
// and that WithChannels() with no IDs makes every channel unknown.
func TestJSONBodyAndEmptyRestriction(t *testing.T) {
	f := newFake(t, slackfake.WithChannels())
	f.AddChannel("C9", "ops")
	body := `{"channel":"#ops","text":"hi","blocks":[{"type":"divider"}],"metadata":{"event_type":"e","event_payload":{}}}`
	for _, ch := range []string{"#ops", "C1"} {
		req, _ := http.NewRequest(http.MethodPost, f.URL()+"chat.postMessage", strings.NewReader(strings.Replace(body, "#ops", ch, 1)))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("Authorization", "Bearer "+f.BotToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var got []string
	for _, c := range f.Calls("chat.postMessage") {
		got = append(got, fmt.Sprint(c.JSON["channel"], ":", c.Error))
	}
	if diff := cmp.Diff([]string{"#ops:", "C1:channel_not_found"}, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	m := f.Messages("C9")
	if len(m) != 1 || string(m[0].Blocks) != `[{"type":"divider"}]` || string(m[0].Metadata) == "" {
		t.Errorf("messages = %+v", m)
	}
}
