package slackfake_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// channelOf posts once to name so the fake knows the channel, and returns
// its id.
func channelOf(t *testing.T, api *slack.Client, name string) string {
	t.Helper()
	ch, _, err := api.PostMessageContext(testCtx(t), name, slack.MsgOptionText("digest", false))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// TestUploadFileThroughTheExternalFlow drives slack-go's own three-step
// upload (UploadFileContext) against the fake: the bytes arrive, the file
// is shared in the thread with a message that lists it, and files.info
// describes it with its permalink and where it is shared.
func TestUploadFileThroughTheExternalFlow(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	ch := channelOf(t, api, "#secops")
	parent := f.Messages(ch)[0].TS
	data := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0}, 1000)

	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(data), FileSize: len(data), Filename: "findings 14d.png",
		Title: "Findings <b>", AltTxt: "chart", Channel: ch, ThreadTimestamp: parent,
	})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	for _, m := range []string{"files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"} {
		if calls := f.Calls(m); len(calls) != 1 || !calls[0].OK() {
			t.Errorf("%s: %d calls %+v, want one ok", m, len(calls), calls)
		}
	}
	files := f.Files()
	if len(files) != 1 {
		t.Fatalf("Files() = %d, want 1", len(files))
	}
	got := files[0]
	if got.ID != sum.ID || got.Name != "findings 14d.png" || got.Title != "Findings <b>" || got.AltText != "chart" ||
		got.Channel != ch || got.Thread != parent || !bytes.Equal(got.Data, data) {
		t.Errorf("file = %+v (data %d bytes)", got, len(got.Data))
	}
	if want := "https://fake.slack.com/files/U0BOT/" + got.ID + "/findings%2014d.png"; got.Permalink != want {
		t.Errorf("permalink %q, want %q", got.Permalink, want)
	}
	replies := f.Thread(ch, parent)
	if len(replies) != 1 || len(replies[0].Files) != 1 || replies[0].Files[0] != got.ID || replies[0].TS != got.TS {
		t.Fatalf("thread = %+v, want one reply sharing %s", replies, got.ID)
	}
	info, _, _, err := api.GetFileInfoContext(ctx, got.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if info.Permalink != got.Permalink || info.Size != len(data) || len(info.Channels) != 1 || info.Channels[0] != ch ||
		len(info.Shares.Public[ch]) != 1 || info.Shares.Public[ch][0].ThreadTs != parent {
		t.Errorf("files.info = %+v", info)
	}
	// The transcript (what the demo prints) shows the file under the reply.
	if tr := f.Transcript(ch); !strings.Contains(tr, "    [file: findings 14d.png \"Findings <b>\", 5000 bytes] <"+got.Permalink+">") {
		t.Errorf("transcript lacks the file:\n%s", tr)
	}
	// conversations.replies shows the file on the reply, as Slack does.
	msgs, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: parent})
	if err != nil || len(msgs) != 2 || len(msgs[1].Files) != 1 || msgs[1].Files[0].ID != got.ID {
		t.Errorf("replies = %+v, %v", msgs, err)
	}
}

// TestUploadTopLevelShowsInHistory: without thread_ts the file is a new
// message in the channel's history.
func TestUploadTopLevelShowsInHistory(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ch := channelOf(t, api, "#secops")
	sum, err := api.UploadFileContext(testCtx(t), slack.UploadFileParameters{
		Content: "a,b\n1,2\n", FileSize: 8, Filename: "x.csv", Channel: ch, InitialComment: "the week",
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.GetConversationHistoryContext(testCtx(t), &slack.GetConversationHistoryParameters{ChannelID: ch})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 2 || h.Messages[0].Text != "the week" || len(h.Messages[0].Files) != 1 || h.Messages[0].Files[0].ID != sum.ID {
		t.Errorf("history = %+v", h.Messages)
	}
}

func TestGetUploadURLRefusals(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	for _, tt := range []struct {
		name string
		p    slack.GetUploadURLExternalParameters
		want string
	}{
		{"over 1 GB", slack.GetUploadURLExternalParameters{FileName: "a.png", FileSize: 1<<30 + 1}, "file_upload_size_restricted"},
		{"negative length", slack.GetUploadURLExternalParameters{FileName: "a.png", FileSize: -5}, "missing_argument"},
		{"alt text too long", slack.GetUploadURLExternalParameters{FileName: "a.png", FileSize: 5, AltTxt: strings.Repeat("x", 1001)}, "alt_txt_too_large"},
	} {
		_, err := api.GetUploadURLExternalContext(ctx, tt.p)
		if se, ok := slackErr(err); !ok || se.Err != tt.want {
			t.Errorf("%s: err = %v, want %s", tt.name, err, tt.want)
		}
	}
	// slack-go refuses an empty filename itself; the fake refuses it too.
	resp, err := http.PostForm(f.URL()+"files.getUploadURLExternal", map[string][]string{"token": {f.BotToken()}, "length": {"5"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if calls := f.Calls("files.getUploadURLExternal"); calls[len(calls)-1].Error != "invalid_arguments" {
		t.Errorf("no filename: %+v", calls[len(calls)-1])
	}
	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(f.URL()))
	if _, err := bad.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "a", FileSize: 1}); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("wrong token: %v, want invalid_auth", err)
	}
	if len(f.Files()) != 0 {
		t.Errorf("refused calls left files: %+v", f.Files())
	}
}

// start gets an upload URL for n bytes.
func start(t *testing.T, api *slack.Client, n int) *slack.GetUploadURLExternalResponse {
	t.Helper()
	u, err := api.GetUploadURLExternalContext(testCtx(t), slack.GetUploadURLExternalParameters{FileName: "c.png", FileSize: n})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func uploadTo(t *testing.T, api *slack.Client, u *slack.GetUploadURLExternalResponse, data string) error {
	return api.UploadToURL(testCtx(t), slack.UploadToURLParameters{UploadURL: u.UploadURL, Content: data, Filename: "c.png"})
}

func statusOf(err error) int {
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code
	}
	return 0
}

func TestUploadURLRefusals(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	short := start(t, api, 10)
	if err := uploadTo(t, api, short, "123"); statusOf(err) != http.StatusBadRequest {
		t.Errorf("wrong length: %v, want HTTP 400", err)
	}
	if err := uploadTo(t, api, short, "0123456789"); err != nil {
		t.Fatalf("right length after a wrong one: %v", err)
	}
	if err := uploadTo(t, api, short, "0123456789"); statusOf(err) != http.StatusNotFound {
		t.Errorf("second upload to a one-time URL: %v, want HTTP 404", err)
	}
	// A raw body, as Slack also accepts.
	raw := start(t, api, 4)
	resp, err := http.Post(raw.UploadURL, "application/octet-stream", strings.NewReader("abcd"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("raw upload: HTTP %d", resp.StatusCode)
	}
	unknown := *raw
	unknown.UploadURL = f.BaseURL() + "/upload/nope"
	if err := uploadTo(t, api, &unknown, "abcd"); statusOf(err) != http.StatusNotFound {
		t.Errorf("unknown URL: %v, want HTTP 404", err)
	}
}

func TestCompleteUploadRefusals(t *testing.T) {
	f := newFake(t, slackfake.WithChannels("C0SECOPS", "C0OUTSIDE"))
	api := newClient(t, f)
	ctx := testCtx(t)
	f.SetNotInChannel("C0OUTSIDE")
	complete := func(id, channel string) error {
		_, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
			Files: []slack.FileSummary{{ID: id, Title: "t"}}, Channel: channel})
		return err
	}
	pending := start(t, api, 3)
	done := start(t, api, 3)
	if err := uploadTo(t, api, done, "abc"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, id, channel, want string
	}{
		{"unknown id", "F999999", "C0SECOPS", "file_not_found"},
		{"not uploaded", pending.FileID, "C0SECOPS", "file_not_uploaded"},
		{"bot not in channel", done.FileID, "C0OUTSIDE", "not_in_channel"},
		{"unknown channel", done.FileID, "C0NOWHERE", "channel_not_found"},
	} {
		if se, ok := slackErr(complete(tt.id, tt.channel)); !ok || se.Err != tt.want {
			t.Errorf("%s: want %s, got %+v", tt.name, tt.want, se)
		}
	}
	if len(f.Files()) != 0 || len(f.Messages("C0OUTSIDE")) != 0 {
		t.Fatalf("refusals shared something: %+v", f.Files())
	}
	if err := complete(done.FileID, "C0SECOPS"); err != nil {
		t.Fatalf("valid completion after refusals: %v", err)
	}
	if se, ok := slackErr(complete(done.FileID, "C0SECOPS")); !ok || se.Err != "file_already_completed" {
		t.Errorf("second completion: %v", se)
	}
	if n := len(f.Messages("C0SECOPS")); n != 1 {
		t.Errorf("%d messages in the channel, want the one share", n)
	}
	if _, _, _, err := api.GetFileInfoContext(ctx, pending.FileID, 0, 0); err == nil || err.Error() != "file_not_found" {
		t.Errorf("files.info of an uncompleted file: %v", err)
	}
}

// TestUploadFaults: the upload URL takes injected faults like a method,
// including a failure after the bytes were stored.
func TestUploadFaults(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	u := start(t, api, 3)
	f.FailNextAfterStore("upload_url", 1, http.StatusBadGateway)
	if err := uploadTo(t, api, u, "abc"); statusOf(err) != http.StatusBadGateway {
		t.Fatalf("injected 502: %v", err)
	}
	// The bytes landed: completion works although the client saw a 502.
	ch := channelOf(t, api, "#secops")
	if _, err := api.CompleteUploadExternalContext(testCtx(t), slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: u.FileID}}, Channel: ch}); err != nil {
		t.Fatalf("complete after an ambiguous upload: %v", err)
	}
	v := start(t, api, 3)
	f.RateLimitNext("upload_url", 1, time.Second)
	var rl *slack.RateLimitedError
	if err := uploadTo(t, api, v, "abc"); !errors.As(err, &rl) {
		t.Errorf("rate limited upload: %v", err)
	}
}
