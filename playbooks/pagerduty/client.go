package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
)

// DefaultURL is PagerDuty's Events API v2 enqueue endpoint (US service
// region; the EU one is https://events.eu.pagerduty.com/v2/enqueue).
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// Client defaults.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultAttempts = 4
	// DefaultMaxRetryAfter is the longest Retry-After the client waits
	// for: a responder is waiting in Slack, and a longer wait is better
	// told to them as "rate limited, try again".
	DefaultMaxRetryAfter = 60 * time.Second
	firstBackoff         = time.Second
	maxBackoff           = 30 * time.Second
	// maxResponse bounds how much of a response is read.
	maxResponse = 64 * 1024
)

// Options configures a Client. Every field is optional.
type Options struct {
	// HTTPClient sends the requests; default a client with no timeout of
	// its own (Timeout bounds each attempt).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Limits bound each attempt and how many times an event is sent when
	// PagerDuty is rate limiting, failing or unreachable; defaults
	// DefaultTimeout, DefaultAttempts, DefaultBackoff (used when PagerDuty
	// gave no Retry-After) and retry.Sleep.
	retry.Limits
	// Now reads the clock for Retry-After dates; default time.Now.
	Now func() time.Time
	// MaxRetryAfter caps the Retry-After the client honours; default
	// DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
}

// DefaultBackoff waits 1 s after the first failure and doubles each time,
// up to 30 s (PagerDuty suggests retrying rate-limited events after a
// while rather than at once).
func DefaultBackoff(attempt int) time.Duration {
	return retry.Exponential(firstBackoff, maxBackoff)(attempt)
}

// Client sends events to one PagerDuty integration. Every error it returns
// is a *bot.Error whose message a responder can act on, except that the
// caller's own context ending is returned as the context's error. No error
// and no log line contains the routing key.
type Client struct {
	url  string
	key  string
	opts Options
	log  *slog.Logger
	http *http.Client
}

// New returns a client of the Events API at url (DefaultURL when empty)
// that sends with routingKey. The key is checked when an event is sent, so
// that a missing key is an error a responder sees, not a crash at start.
func New(url, routingKey string, opts Options) *Client {
	if url == "" {
		url = DefaultURL
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	opts.Limits = opts.Limits.Or(retry.Limits{
		Timeout: DefaultTimeout, Attempts: DefaultAttempts, Backoff: DefaultBackoff, Sleep: retry.Sleep,
	})
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{url: url, key: routingKey, opts: opts, log: log, http: opts.HTTPClient}
}

// Trigger sends e as a trigger event and returns its dedup key: e's own, or
// the one PagerDuty generated when e has none. A trigger with the dedup key
// of an open alert is merged into it and pages nobody again.
func (c *Client) Trigger(ctx context.Context, e Event) (string, error) {
	e.Action = ActionTrigger
	r, err := c.send(ctx, e)
	if err != nil {
		return "", err
	}
	return first(r.DedupKey, e.DedupKey), nil
}

// Acknowledge acknowledges the open alert with dedupKey. PagerDuty accepts
// and drops it when no alert is open.
func (c *Client) Acknowledge(ctx context.Context, dedupKey string) error {
	_, err := c.send(ctx, Event{Action: ActionAcknowledge, DedupKey: dedupKey})
	return err
}

// Resolve resolves the open alert with dedupKey. PagerDuty accepts and
// drops it when no alert is open, so resolving twice is harmless.
func (c *Client) Resolve(ctx context.Context, dedupKey string) error {
	_, err := c.send(ctx, Event{Action: ActionResolve, DedupKey: dedupKey})
	return err
}

// Check validates e and the routing key as a send would, without sending.
func (c *Client) Check(e Event) error {
	if err := checkKey(c.key); err != nil {
		return err
	}
	return e.Validate()
}

// response is the Events API's answer, for success and for 400 alike.
type response struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key"`
	Errors   []string `json:"errors"`
}

// send posts the event, retrying while PagerDuty is rate limiting, failing
// or unreachable. Retrying is safe: a repeated trigger merges into the
// alert by its dedup key, and acknowledge and resolve are idempotent.
// It keeps a loop of its own rather than retry.Do because the pause comes
// from each response (Retry-After) and may rule out the retry altogether.
func (c *Client) send(ctx context.Context, e Event) (response, error) {
	if err := c.Check(e); err != nil {
		return response{}, err
	}
	body, err := json.Marshal(wireEvent{RoutingKey: c.key, Event: e})
	if err != nil {
		return response{}, bot.WrapError(bot.EInternal, "sccbot could not encode the PagerDuty event", c.scrub(err))
	}
	if len(body) > MaxEventBytes {
		return response{}, bot.Errorf(bot.EInvalid, "the PagerDuty event is larger than PagerDuty's 512 KB")
	}
	for attempt := 1; ; attempt++ {
		o := c.post(ctx, body)
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("send %s: %w", e, ctx.Err())
		}
		if o.ok() {
			c.log.Info("pagerduty event accepted", "action", e.Action, "dedup_key", e.DedupKey, "attempt", attempt)
			return o.body, nil
		}
		if !o.retryable() || attempt >= c.opts.Attempts {
			return response{}, c.failure(e, o, attempt)
		}
		pause, ok := c.pause(o, attempt)
		if !ok {
			return response{}, c.failure(e, o, attempt)
		}
		c.log.Warn("pagerduty event failed; retrying", "action", e.Action, "dedup_key", e.DedupKey,
			"status", o.status, "err", o.err, "attempt", attempt, "attempts", c.opts.Attempts, "backoff", pause)
		if err := c.opts.Sleep(ctx, pause); err != nil {
			return response{}, fmt.Errorf("send %s: %w", e, err)
		}
	}
}

// pause is how long to wait after attempt: PagerDuty's Retry-After when it
// sent one, else the backoff. It is false when Retry-After is longer than
// the client is willing to wait.
func (c *Client) pause(o outcome, attempt int) (time.Duration, bool) {
	if !o.hasRetryAfter {
		return c.opts.Backoff(attempt), true
	}
	return o.retryAfter, o.retryAfter <= c.opts.MaxRetryAfter
}

// post makes one attempt under its own timeout.
func (c *Client) post(ctx context.Context, body []byte) outcome {
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: c.scrub(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", ClientName)
	resp, err := c.http.Do(req)
	if err != nil {
		return outcome{err: c.scrub(err), timedOut: actx.Err() != nil}
	}
	defer resp.Body.Close()
	return c.read(resp)
}
