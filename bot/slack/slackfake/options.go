package slackfake

import "time"

// Option configures a Server.
type Option func(*config)

type config struct {
	botToken         string
	appToken         string
	clock            func() time.Time
	pingInterval     time.Duration
	restrict         bool // only channels, AddChannel and DMs exist
	channels         []string
	postInterval     time.Duration
	updateInterval   time.Duration
	updateBurst      int
	postBurst        int
	triggerTTL       time.Duration
	responseURLLimit int
	// randomSpread picks connections at random from seed; otherwise they
	// take turns.
	randomSpread bool
	seed         uint64
	// redeliverAfter and redeliveries: an envelope not acked within
	// redeliverAfter is sent again, up to redeliveries times.
	redeliverAfter time.Duration
	redeliveries   int
	// strictAcks ignores an ack read on another connection than the one
	// that carried the envelope.
	strictAcks bool
}

func defaultConfig() config {
	return config{
		botToken:     DefaultBotToken,
		appToken:     DefaultAppToken,
		clock:        time.Now,
		pingInterval: 5 * time.Second,
		// Slack: "Triggers expire in three seconds".
		triggerTTL: 3 * time.Second,
		// Slack: a response_url can be used "up to 5 times within 30 minutes".
		responseURLLimit: 5,
	}
}

// WithBotToken changes the accepted bot token (default DefaultBotToken).
func WithBotToken(token string) Option { return func(c *config) { c.botToken = token } }

// WithAppToken changes the accepted app-level token (default DefaultAppToken).
func WithAppToken(token string) Option { return func(c *config) { c.appToken = token } }

// WithClock replaces time.Now for message timestamps, rate limiting, trigger
// expiry and the At of records. Latencies are always measured on the real
// monotonic clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithPingInterval sets how often the server sends WebSocket PING frames
// (default 5s). Keep it below the client's socketmode.OptionPingInterval
// (30s by default): slack-go drops and redials a socket that has not been
// pinged within that interval. Zero or less disables pings, to test exactly
// that.
func WithPingInterval(d time.Duration) Option { return func(c *config) { c.pingInterval = d } }

// WithChannels restricts the channels that exist to the given IDs (and
// those added later with AddChannel, and DMs opened with
// conversations.open). Posting anywhere else fails with channel_not_found.
// Without this option every channel exists, and a "#name" gets an ID on
// first use.
func WithChannels(ids ...string) Option {
	return func(c *config) {
		c.restrict = true
		c.channels = append(c.channels, ids...)
	}
}

// WithPostRate makes chat.postMessage rate limited per channel like Slack
// (about one message per second per channel, short bursts allowed): a token
// bucket holding burst tokens and gaining one every interval. A post with
// no token left is answered with HTTP 429, a Retry-After header in whole
// seconds (rounded up, at least 1) and {"ok":false,"error":"ratelimited"}.
func WithPostRate(interval time.Duration, burst int) Option {
	return func(c *config) {
		c.postInterval = interval
		c.postBurst = max(burst, 1)
	}
}

// WithUpdateRate makes chat.update rate limited for the whole workspace
// like Slack's Tier 3 (50+ a minute): a token bucket holding burst tokens
// and gaining one every interval, answering 429 with Retry-After when
// empty.
func WithUpdateRate(interval time.Duration, burst int) Option {
	return func(c *config) {
		c.updateInterval = interval
		c.updateBurst = max(burst, 1)
	}
}

// WithTriggerTTL sets how long a trigger id issued by a payload builder
// stays valid for views.open and views.push (default 3s, as in Slack).
// Zero or less means triggers never expire; they stay single-use.
func WithTriggerTTL(d time.Duration) Option { return func(c *config) { c.triggerTTL = d } }

// WithResponseURLLimit sets how many times one response_url may be used
// (default 5, as in Slack); later posts get {"ok":false,"error":"used_url"}.
// Zero or less removes the limit.
func WithResponseURLLimit(n int) Option { return func(c *config) { c.responseURLLimit = n } }

// WithRandomSpread sends each envelope to one open Socket Mode connection
// picked at random, from a source seeded with seed so that a test can
// replay it, as Slack picks "1 random connection". Without it envelopes go
// to the open connections in turn (round robin). With one connection
// either way is the same.
func WithRandomSpread(seed uint64) Option {
	return func(c *config) {
		c.randomSpread = true
		c.seed = seed
	}
}

// WithRedelivery makes the server send an envelope again when no ack for
// it arrived within after of writing it: the same envelope id, retry_attempt
// one higher and retry_reason "timeout", on another open connection when
// there is one, at most retries times. Slack does this for Events API
// envelopes (3 s, up to 3 retries); the fake does it for every type, so
// that tests can show a redelivered click is handled once. An ack on any
// connection of the app counts. Off by default: tests that leave
// envelopes unacked on purpose see no retries they did not ask for.
func WithRedelivery(after time.Duration, retries int) Option {
	return func(c *config) {
		c.redeliverAfter = after
		c.redeliveries = retries
	}
}

// WithStrictAcks makes an ack count only when it is read on the connection
// that carried the envelope's latest attempt; one read on another
// connection (slack-go writes an ack queued before a disconnect on its next
// connection) is recorded with Foreign set but does not stop
// WithRedelivery's retries. Slack's documentation does not say which way
// Slack behaves; by default the fake accepts an ack on any connection of
// the app, and this option lets a test show the bot copes with the other.
func WithStrictAcks() Option { return func(c *config) { c.strictAcks = true } }
