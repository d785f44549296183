package slack

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// chartBytes stands in for a PNG; the fake checks length, not content.
var chartBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 4096)...)

// postDigest posts the message the chart goes under, which also teaches
// the outbox the channel's ID.
func postDigest(t *testing.T, h *outboxHarness) bot.MessageRef {
	t.Helper()
	ref, err := h.outbox.Post(t.Context(), "#secops", bot.Message{Text: "digest"})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func calls(f *slackfake.Server, method string) int { return len(f.Calls(method)) }

func TestUploadFileSharesInTheThread(t *testing.T) {
	h := newOutboxHarness(t)
	parent := postDigest(t, h)
	ref, err := h.outbox.UploadFile(t.Context(), Upload{
		Channel: "#secops", Thread: parent.TS, Filename: "findings-14d.png",
		Title: "Findings <!channel>", AltText: "Findings per day by severity", Data: chartBytes,
	})
	if err != nil {
		t.Fatal(err)
	}
	files := h.fake.Files()
	if len(files) != 1 {
		t.Fatalf("fake has %d files, want 1", len(files))
	}
	f := files[0]
	if ref.ID != f.ID || ref.Permalink == "" || ref.Permalink != f.Permalink {
		t.Errorf("ref = %+v, fake file %s %s", ref, f.ID, f.Permalink)
	}
	if f.Channel != parent.Channel || f.Thread != parent.TS || f.Title != "Findings <!channel>" ||
		f.AltText != "Findings per day by severity" || !bytes.Equal(f.Data, chartBytes) {
		t.Errorf("shared file = %+v", f)
	}
	for _, m := range []string{"files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"} {
		if n := calls(h.fake, m); n != 1 {
			t.Errorf("%s called %d times, want 1", m, n)
		}
	}
	if replies := h.fake.Thread(parent.Channel, parent.TS); len(replies) != 1 || len(replies[0].Files) != 1 {
		t.Errorf("thread = %+v, want the file's message", replies)
	}
}

// TestUploadFileRetries: rate limits wait for Retry-After, a failed POST
// starts again with a fresh one-time URL, and an ambiguous completion is
// checked with files.info instead of being repeated blindly.
func TestUploadFileRetries(t *testing.T) {
	tests := []struct {
		name   string
		inject func(f *slackfake.Server)
		want   map[string]int // calls per method
		waited time.Duration  // at least this much clock time passes
	}{
		{"getUploadURL rate limited", func(f *slackfake.Server) {
			f.RateLimitNext("files.getUploadURLExternal", 1, 7*time.Second)
		}, map[string]int{"files.getUploadURLExternal": 2, "upload_url": 1, "files.completeUploadExternal": 1}, 7 * time.Second},
		{"upload 502", func(f *slackfake.Server) {
			f.FailNext("upload_url", 1, http.StatusBadGateway)
		}, map[string]int{"files.getUploadURLExternal": 2, "upload_url": 2, "files.completeUploadExternal": 1}, time.Second},
		{"upload stored then 502", func(f *slackfake.Server) {
			f.FailNextAfterStore("upload_url", 1, http.StatusBadGateway)
		}, map[string]int{"files.getUploadURLExternal": 2, "upload_url": 2, "files.completeUploadExternal": 1}, time.Second},
		{"completion 503", func(f *slackfake.Server) {
			f.FailNext("files.completeUploadExternal", 1, http.StatusServiceUnavailable)
		}, map[string]int{"files.getUploadURLExternal": 1, "upload_url": 1, "files.completeUploadExternal": 2}, time.Second},
		{"completion landed then 502", func(f *slackfake.Server) {
			f.FailNextAfterStore("files.completeUploadExternal", 1, http.StatusBadGateway)
		}, map[string]int{"files.getUploadURLExternal": 1, "upload_url": 1, "files.completeUploadExternal": 1}, 0},
		{"completion rate limited", func(f *slackfake.Server) {
			f.RateLimitNext("files.completeUploadExternal", 2, 3*time.Second)
		}, map[string]int{"files.getUploadURLExternal": 1, "upload_url": 1, "files.completeUploadExternal": 3}, 6 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newOutboxHarness(t)
			parent := postDigest(t, h)
			tt.inject(h.fake)
			before := h.clock.Now()
			ref, err := h.outbox.UploadFile(t.Context(), Upload{Channel: parent.Channel, Filename: "c.png", Data: chartBytes})
			if err != nil {
				t.Fatal(err)
			}
			for m, n := range tt.want {
				if got := calls(h.fake, m); got != n {
					t.Errorf("%s called %d times, want %d", m, got, n)
				}
			}
			files := h.fake.Files()
			if len(files) != 1 || files[0].ID != ref.ID || ref.Permalink != files[0].Permalink {
				t.Fatalf("files %+v, ref %+v: want the one file", files, ref)
			}
			if n := len(h.fake.Messages(parent.Channel)); n != 2 {
				t.Errorf("%d messages in the channel, want the digest and one share", n)
			}
			if waited := h.clock.elapsed(before); waited < tt.waited {
				t.Errorf("waited %v, want at least %v", waited, tt.waited)
			}
		})
	}
}

func TestUploadFileRefusals(t *testing.T) {
	h := newOutboxHarness(t, slackfake.WithChannels("C0SECOPS01"))
	for _, tt := range []struct {
		name string
		u    Upload
		code string
	}{
		{"no channel", Upload{Filename: "c.png", Data: chartBytes}, bot.EInvalid},
		{"no name", Upload{Channel: "C0SECOPS01", Data: chartBytes}, bot.EInvalid},
		{"no bytes", Upload{Channel: "C0SECOPS01", Filename: "c.png"}, bot.EInvalid},
		{"channel by a name never posted to", Upload{Channel: "#secops", Filename: "c.png", Data: chartBytes}, bot.EInvalid},
	} {
		_, err := h.outbox.UploadFile(t.Context(), tt.u)
		if bot.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want code %s", tt.name, err, tt.code)
		}
	}
	if n := len(h.fake.Calls("")); n != 0 {
		t.Errorf("refused uploads made %d calls", n)
	}

	h.fake.SetNotInChannel("C0SECOPS01")
	_, err := h.outbox.UploadFile(t.Context(), Upload{Channel: "C0SECOPS01", Filename: "c.png", Data: chartBytes})
	if bot.ErrorCode(err) != bot.EPermission || !strings.Contains(bot.ErrorMessage(err), "invite") {
		t.Errorf("not in channel: %v (message %q)", err, bot.ErrorMessage(err))
	}
	if n := calls(h.fake, "files.completeUploadExternal"); n != 1 {
		t.Errorf("a refused completion was tried %d times, want 1", n)
	}
	if len(h.fake.Files()) != 0 {
		t.Errorf("files shared: %+v", h.fake.Files())
	}
}

func TestUploadFileNamesWhatTheAppLacks(t *testing.T) {
	for _, tt := range []struct {
		method, code, want string
		errCode            string
	}{
		{"files.getUploadURLExternal", "missing_scope", "files:write", bot.EUnauthorized},
		{"files.info", "missing_scope", "files:read", bot.EUnauthorized},
		{"files.getUploadURLExternal", "file_uploads_disabled", "does not allow", bot.EPermission},
	} {
		h := newOutboxHarness(t)
		parent := postDigest(t, h)
		h.fake.ErrorNext(tt.method, 1, tt.code)
		_, err := h.outbox.UploadFile(t.Context(), Upload{Channel: parent.Channel, Filename: "c.png", Data: chartBytes})
		if bot.ErrorCode(err) != tt.errCode || !strings.Contains(bot.ErrorMessage(err), tt.want) {
			t.Errorf("%s %s: %v (message %q), want %s naming %q", tt.method, tt.code, err, bot.ErrorMessage(err), tt.errCode, tt.want)
		}
	}
}

func TestUploadFileKeepsTheTokenOutOfErrors(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	const token = "xoxb-0000-very-secret"
	o := NewOutbox(goslack.New(token, goslack.OptionAPIURL(fake.URL())), OutboxOptions{Clock: newFakeClock()})
	_, err := o.UploadFile(t.Context(), Upload{Channel: "C0SECOPS01", Filename: "c.png", Data: chartBytes})
	if bot.ErrorCode(err) != bot.EUnauthorized {
		t.Fatalf("wrong token: %v, want %s", err, bot.EUnauthorized)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(bot.ErrorMessage(err), token) {
		t.Errorf("the token leaked into %q", err)
	}
}

// TestUploadFileGivesUpWithItsCaller: persistent failures are retried
// only while the caller waits.
func TestUploadFileGivesUpWithItsCaller(t *testing.T) {
	h := newOutboxHarness(t)
	parent := postDigest(t, h)
	h.fake.FailNext("files.getUploadURLExternal", 1000, http.StatusInternalServerError)
	ctx, cancel := context.WithCancel(t.Context())
	// The fake clock sleeps instantly; cancel after the third attempt.
	stop := make(chan struct{})
	go func() {
		defer close(stop)
		_, _ = h.fake.WaitCalls(t.Context(), "files.getUploadURLExternal", 3)
		cancel()
	}()
	_, err := h.outbox.UploadFile(ctx, Upload{Channel: parent.Channel, Filename: "c.png", Data: chartBytes})
	<-stop
	if err == nil || !strings.Contains(err.Error(), "abandoned") {
		t.Errorf("err = %v, want the upload abandoned", err)
	}
	if len(h.fake.Files()) != 0 {
		t.Error("a file was shared")
	}
}

func TestCheckUploadCutsAltText(t *testing.T) {
	u, err := checkUpload(Upload{Channel: "C1", Filename: "a", Data: []byte{1}, AltText: strings.Repeat("é", 1500)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(u.AltText)); n != maxAltTextRune {
		t.Errorf("alt text cut to %d runes, want %d", n, maxAltTextRune)
	}
}
