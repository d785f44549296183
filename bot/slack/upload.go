package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// Upload is a file to share in a channel, or in a thread when Thread (the
// parent's ts) is set. Channel must be an ID ("C...") or a name the outbox
// has posted to, whose ID it then knows: files.completeUploadExternal
// accepts IDs only.
type Upload struct {
	Channel, Thread string
	Filename        string
	Title           string
	// AltText describes an image for screen readers; Slack takes 1000
	// characters at most, so a longer one is cut.
	AltText string
	Data    []byte
}

// Slack's limits on an upload.
const (
	maxUploadBytes = 1 << 30
	maxAltTextRune = 1000
)

// Methods named in metrics and logs. The first step is the URL and the
// bytes together: an upload URL works once, so a failed POST is retried
// with a fresh URL.
const (
	methodUpload   = "files.upload"
	methodComplete = "files.completeUploadExternal"
	methodFileInfo = "files.info"
)

// UploadFile shares u through Slack's external upload flow:
// files.getUploadURLExternal, a POST of the bytes to the URL it returns,
// then files.completeUploadExternal with the channel and thread. It makes
// the three calls itself rather than through slack-go's UploadFileContext,
// which does the same three but cannot say which failed: after an
// ambiguous failure of the completion only a check (files.info) tells
// whether a retry would share the file twice. The answer also comes from
// files.info, since completion returns no permalink.
//
// The calls are Tier 4 and paced by a workspace-wide bucket; 429s pause it
// for Retry-After and transient failures are retried with backoff until
// ctx ends. When the file was shared but its permalink could not be read,
// the returned ref has the ID and the error says so.
func (o *Outbox) UploadFile(ctx context.Context, u Upload) (bot.FileRef, error) {
	u, err := checkUpload(u)
	if err != nil {
		return bot.FileRef{}, err
	}
	channel := o.channelID(u.Channel)
	if strings.HasPrefix(channel, "#") {
		return bot.FileRef{}, bot.Errorf(bot.EInvalid,
			"cannot share a file in %s before its channel ID is known; post there first or configure the ID", channel)
	}
	ctx, stop := o.jobContext(ctx)
	defer stop()
	var id string
	err = o.try(ctx, methodUpload, func(ctx context.Context) (err error) {
		id, err = o.stage(ctx, u)
		return err
	}, nil)
	if err != nil {
		return bot.FileRef{}, fmt.Errorf("upload %q: %w", u.Filename, err)
	}
	return o.complete(ctx, id, channel, u)
}

// checkUpload refuses what Slack would refuse and cuts what Slack would
// cut.
func checkUpload(u Upload) (Upload, error) {
	switch {
	case u.Channel == "":
		return u, bot.Errorf(bot.EInvalid, "a file needs a channel to be shared in")
	case strings.TrimSpace(u.Filename) == "":
		return u, bot.Errorf(bot.EInvalid, "a file needs a name")
	case len(u.Data) == 0:
		return u, bot.Errorf(bot.EInvalid, "the file %q is empty", u.Filename)
	case len(u.Data) > maxUploadBytes:
		return u, bot.Errorf(bot.EInvalid, "the file %q is larger than Slack's 1 GB", u.Filename)
	}
	if utf8.RuneCountInString(u.AltText) > maxAltTextRune {
		u.AltText = string([]rune(u.AltText)[:maxAltTextRune-1]) + "…"
	}
	return u, nil
}

// stage gets an upload URL and sends the bytes to it; it returns the file
// id Slack gave.
func (o *Outbox) stage(ctx context.Context, u Upload) (string, error) {
	resp, err := o.api.GetUploadURLExternalContext(ctx, goslack.GetUploadURLExternalParameters{
		FileName: u.Filename, FileSize: len(u.Data), AltTxt: u.AltText,
	})
	if err != nil {
		return "", err
	}
	err = o.api.UploadToURL(ctx, goslack.UploadToURLParameters{
		UploadURL: resp.UploadURL, Filename: u.Filename, Reader: bytes.NewReader(u.Data),
	})
	if err != nil && !httpFailure(err) {
		// slack-go sends the bot token with the bytes, and so refuses a
		// URL that is neither Slack's nor the configured API's: no retry
		// can change that.
		return "", permanent{fmt.Errorf("upload URL refused: %w", err)}
	}
	return resp.FileID, err
}

// httpFailure reports whether err came from the HTTP exchange (a status,
// a rate limit, the network) rather than from the client refusing to try.
func httpFailure(err error) bool {
	var ue *url.Error
	var sc goslack.StatusCodeError
	var rl *goslack.RateLimitedError
	return errors.As(err, &ue) || errors.As(err, &sc) || errors.As(err, &rl)
}

// permanent marks an error no retry can cure.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// complete shares the staged file and reads its permalink.
func (o *Outbox) complete(ctx context.Context, id, channel string, u Upload) (bot.FileRef, error) {
	ref := bot.FileRef{ID: id}
	shared := func(ctx context.Context) bool {
		f, err := o.fileInfo(ctx, id)
		if err != nil || !sharedIn(f, channel) {
			return false
		}
		ref.Permalink = f.Permalink
		return true
	}
	err := o.try(ctx, methodComplete, func(ctx context.Context) error {
		_, err := o.api.CompleteUploadExternalContext(ctx, goslack.CompleteUploadExternalParameters{
			Files: []goslack.FileSummary{{ID: id, Title: u.Title}}, Channel: channel, ThreadTimestamp: u.Thread,
		})
		return err
	}, shared)
	if err != nil {
		return bot.FileRef{}, fmt.Errorf("share %q in %s: %w", u.Filename, channel, err)
	}
	if ref.Permalink != "" {
		return ref, nil
	}
	err = o.try(ctx, methodFileInfo, func(ctx context.Context) error {
		f, err := o.fileInfo(ctx, id)
		if err == nil {
			ref.Permalink = f.Permalink
		}
		return err
	}, nil)
	if err != nil {
		return ref, fmt.Errorf("file %s was shared but its link could not be read: %w", id, err)
	}
	return ref, nil
}

func (o *Outbox) fileInfo(ctx context.Context, id string) (*goslack.File, error) {
	f, _, _, err := o.api.GetFileInfoContext(ctx, id, 0, 0)
	return f, err
}

// sharedIn reports whether f shows in channel.
func sharedIn(f *goslack.File, channel string) bool {
	if slices.Contains(f.Channels, channel) || slices.Contains(f.Groups, channel) || slices.Contains(f.IMs, channel) {
		return true
	}
	return len(f.Shares.Public[channel]) > 0 || len(f.Shares.Private[channel]) > 0
}

// try makes call, paced by the file bucket, until it succeeds, fails for
// good, or ctx ends. After an ambiguous failure, landed (when set) says
// whether the call took effect after all, which ends the retries.
func (o *Outbox) try(ctx context.Context, method string, call func(context.Context) error, landed func(context.Context) bool) error {
	for attempt := 0; ; attempt++ {
		if err := o.opts.Clock.Sleep(ctx, o.files.wait(o.opts.Clock.Now())); err != nil {
			return o.abandoned(err)
		}
		err := o.attempt(ctx, call)
		if err == nil {
			o.metrics.requests.WithLabelValues(method, "ok").Inc()
			return nil
		}
		var wait time.Duration
		var perm permanent
		if errors.As(err, &perm) {
			o.metrics.requests.WithLabelValues(method, "refused").Inc()
			return bot.WrapError(bot.EInvalid, "Slack's upload address was refused", err)
		}
		switch classify(err) {
		case failRateLimited:
			o.metrics.requests.WithLabelValues(method, "rate_limited").Inc()
			o.metrics.rateLimited.WithLabelValues(method).Inc()
			o.files.pause(o.opts.Clock.Now().Add(retryAfter(err)))
			o.log.Warn("slack rate limit on a file upload", "method", method, "retry_after", retryAfter(err).String())
		case failAmbiguous:
			o.metrics.requests.WithLabelValues(method, "error").Inc()
			o.metrics.retries.WithLabelValues(method, "transient").Inc()
			if landed != nil && o.checked(ctx, landed) {
				o.metrics.retries.WithLabelValues(method, "landed").Inc()
				return nil
			}
			wait = backoff(attempt, o.opts.MaxBackoff)
			o.log.Warn("slack file request failed; retrying", "method", method, "attempt", attempt+1, "wait", wait.String(), "err", err)
		default:
			// After an ambiguous attempt, a refusal may only mean the
			// first attempt had done the work (a second completion).
			if attempt > 0 && landed != nil && o.checked(ctx, landed) {
				o.metrics.retries.WithLabelValues(method, "landed").Inc()
				return nil
			}
			o.metrics.requests.WithLabelValues(method, "refused").Inc()
			return uploadError(method, err)
		}
		if err := o.opts.Clock.Sleep(ctx, wait); err != nil {
			return o.abandoned(err)
		}
	}
}

// attempt bounds one call by the request timeout.
func (o *Outbox) attempt(ctx context.Context, call func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, o.opts.RequestTimeout)
	defer cancel()
	return call(ctx)
}

func (o *Outbox) checked(ctx context.Context, landed func(context.Context) bool) bool {
	ctx, cancel := context.WithTimeout(ctx, o.opts.RequestTimeout)
	defer cancel()
	return landed(ctx)
}

// fileScopes names the OAuth scope each step needs, for a missing_scope
// answer that tells the operator what to add.
var fileScopes = map[string]string{
	methodUpload:   "files:write",
	methodComplete: "files:write",
	methodFileInfo: "files:read",
}

// uploadError translates a refusal of an upload step: the workspace's
// file policies and a missing scope get their own words, the rest maps
// like any Slack call.
func uploadError(method string, err error) error {
	var se goslack.SlackErrorResponse
	if !errors.As(err, &se) {
		return translate(err)
	}
	switch se.Err {
	case "missing_scope":
		scope := firstNonEmpty(se.Needed, fileScopes[method])
		return bot.WrapError(bot.EUnauthorized, "the Slack app lacks the scope "+scope+" (needed for "+method+"); add it and reinstall the app", err)
	case "file_uploads_disabled", "file_uploads_except_images_disabled", "file_type_not_allowed", "file_upload_size_restricted":
		return bot.WrapError(bot.EPermission, "the Slack workspace does not allow this file ("+se.Err+")", err)
	}
	return translate(err)
}
