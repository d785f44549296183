package pagerduty

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// How much of PagerDuty's 400 answer is shown to a responder.
const (
	maxShownErrors = 5
	maxShownText   = 200
	redacted       = "[routing key]"
)

// outcome is what one attempt came to.
type outcome struct {
	// status is the HTTP status, or 0 when no response came.
	status int
	body   response
	// retryAfter is PagerDuty's Retry-After, when hasRetryAfter.
	retryAfter    time.Duration
	hasRetryAfter bool
	// err is the transport failure; timedOut says the attempt's own
	// deadline passed.
	err      error
	timedOut bool
}

func (o outcome) ok() bool { return o.err == nil && o.status >= 200 && o.status < 300 }

// retryable: no answer, rate limited, or a server error. Everything else
// (400 above all) will fail the same way again.
func (o outcome) retryable() bool {
	return o.err != nil || o.status == http.StatusTooManyRequests || o.status >= 500
}

// read decodes a response. A 2xx body that is not the documented JSON is
// still a success: PagerDuty accepted the event, and only the generated
// dedup key (which sccbot does not rely on) is lost.
func (c *Client) read(resp *http.Response) outcome {
	o := outcome{status: resp.StatusCode}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil && !o.ok() {
		o.err = c.scrub(fmt.Errorf("read pagerduty response: %w", err))
		return o
	}
	if err := json.Unmarshal(data, &o.body); err != nil && o.ok() {
		c.log.Warn("pagerduty accepted the event with an unexpected body", "status", o.status)
	}
	o.retryAfter, o.hasRetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.opts.Now())
	return o
}

// retryAfter parses Retry-After: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// failure turns the last outcome into a *bot.Error for a responder.
func (c *Client) failure(e Event, o outcome, attempts int) error {
	tries := plural(attempts, "attempt", "attempts")
	switch {
	case o.err != nil && o.timedOut:
		return bot.WrapError(bot.EDeadline, fmt.Sprintf("PagerDuty did not answer within %s (%s); try again in a few minutes",
			c.opts.Timeout, tries), c.wrap(e, o))
	case o.err != nil:
		return bot.WrapError(bot.EUnavailable, fmt.Sprintf("sccbot could not reach PagerDuty (%s): "+
			"check PAGERDUTY_EVENTS_URL and the network", tries), c.wrap(e, o))
	case o.status == http.StatusBadRequest:
		return bot.WrapError(bot.EInvalid, "PagerDuty rejected the event: "+c.rejection(o.body), c.wrap(e, o))
	case o.status == http.StatusTooManyRequests && o.hasRetryAfter && o.retryAfter > c.opts.MaxRetryAfter:
		return bot.WrapError(bot.ERateLimited, fmt.Sprintf("PagerDuty is rate limiting this integration; "+
			"try again in %s", o.retryAfter.Round(time.Second)), c.wrap(e, o))
	case o.status == http.StatusTooManyRequests:
		return bot.WrapError(bot.ERateLimited, fmt.Sprintf("PagerDuty is rate limiting this integration (%s); "+
			"try again in a minute", tries), c.wrap(e, o))
	case o.status >= 500:
		return bot.WrapError(bot.EUnavailable, fmt.Sprintf("PagerDuty is failing (HTTP %d, %s); try again in a few minutes",
			o.status, tries), c.wrap(e, o))
	case o.status == http.StatusUnauthorized || o.status == http.StatusForbidden:
		return bot.WrapError(bot.EPermission, fmt.Sprintf("PagerDuty refused the event (HTTP %d): "+
			"check PAGERDUTY_ROUTING_KEY and PAGERDUTY_EVENTS_URL", o.status), c.wrap(e, o))
	case o.status == http.StatusNotFound:
		return bot.WrapError(bot.EInvalid, "PagerDuty has no Events API at the configured URL (HTTP 404): "+
			"check PAGERDUTY_EVENTS_URL", c.wrap(e, o))
	}
	return bot.WrapError(bot.EInternal, fmt.Sprintf("PagerDuty answered HTTP %d; the details are in sccbot's log",
		o.status), c.wrap(e, o))
}

// wrap is the log-side error of a failed send.
func (c *Client) wrap(e Event, o outcome) error {
	if o.err != nil {
		return fmt.Errorf("send %s: %w", e, o.err)
	}
	return fmt.Errorf("send %s: HTTP %d: %s", e, o.status, c.rejection(o.body))
}

// rejection is PagerDuty's message and errors, cleaned, cut and scrubbed
// of the routing key: the answer may quote the request.
func (c *Client) rejection(r response) string {
	msg := first(clean(c.redact(r.Message), maxShownText), "no reason given")
	var errs []string
	for i, e := range r.Errors {
		if i == maxShownErrors {
			errs = append(errs, fmt.Sprintf("and %d more", len(r.Errors)-i))
			break
		}
		if e = clean(c.redact(e), maxShownText); e != "" {
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 {
		return msg
	}
	return msg + " (" + strings.Join(errs, "; ") + ")"
}

// redact replaces the routing key in text from outside.
func (c *Client) redact(s string) string {
	if c.key == "" {
		return s
	}
	return strings.ReplaceAll(s, c.key, redacted)
}

// scrub returns err, or a plain copy of its text without the routing key
// if the text holds it (a proxy error could quote the request).
func (c *Client) scrub(err error) error {
	if err == nil || c.key == "" || !strings.Contains(err.Error(), c.key) {
		return err
	}
	return errors.New(c.redact(err.Error()))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
