package cloudlogging

import (
	"context"
	"log/slog"
	"regexp"
	"time"

	logging "cloud.google.com/go/logging/apiv2"
	"cloud.google.com/go/logging/apiv2/loggingpb"
	"github.com/googleapis/gax-go/v2"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/grpcerr"
	"github.com/sccbot/sccbot/internal/retry"
)

// Defaults and limits.
const (
	DefaultTimeout  = 20 * time.Second
	DefaultAttempts = 3
	DefaultLimit    = 20
	MaxLimit        = 100
	// maxFilterLen is Cloud Logging's limit on a query, bounds included.
	maxFilterLen = 20000
	firstBackoff = 500 * time.Millisecond
	maxBackoff   = 8 * time.Second
)

// projectID accepts project IDs, including domain-scoped ones
// (example.com:proj). It exists so that a malformed project taken from a
// finding cannot change the resource name the query is scoped to.
var projectID = regexp.MustCompile(`^[a-z0-9][a-z0-9.:-]{0,99}$`)

// Options configures a Client. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Limits bound each ListLogEntries call and how many calls a Search
	// makes at most when Cloud Logging is unavailable or slow; defaults
	// DefaultTimeout, DefaultAttempts and DefaultBackoff.
	retry.Limits
	// Metrics counts calls; nil counts nothing.
	Metrics *Metrics
}

// Client runs log queries. It is safe for concurrent use.
type Client struct {
	c       *logging.Client
	opts    Options
	log     *slog.Logger
	noRetry gax.CallOption
}

// New returns a Client that queries through c. The caller keeps ownership
// of c and closes it.
func New(c *logging.Client, opts Options) *Client {
	opts.Limits = opts.Limits.Or(retry.Limits{Timeout: DefaultTimeout, Attempts: DefaultAttempts, Backoff: DefaultBackoff})
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		c:    c,
		opts: opts,
		log:  log.With("component", "cloudlogging"),
		// The generated client retries Unavailable, DeadlineExceeded and
		// Internal for up to 60 s by default. This layer retries itself,
		// with a per-call timeout and a bounded number of calls, because
		// entries.list has a small per-project quota and a responder waits.
		noRetry: gax.WithRetry(func() gax.Retryer { return nil }),
	}
}

// DefaultBackoff doubles from 500 ms (500 ms, 1 s, 2 s, ...) up to 8 s.
func DefaultBackoff(attempt int) time.Duration {
	return retry.Exponential(firstBackoff, maxBackoff)(attempt)
}

// Search runs q once: one ListLogEntries call (retried when Cloud Logging
// is unavailable) for at most q.Limit entries, newest first. More is set
// when the query matched more entries than that; the ExplorerURL shows
// them. Errors are *bot.Error with a message for the responder, except a
// cancelled ctx, whose error is returned as is.
func (c *Client) Search(ctx context.Context, q bot.LogQuery) (bot.LogResult, error) {
	q.Limit = effectiveLimit(q.Limit)
	if err := validate(q); err != nil {
		return bot.LogResult{}, err
	}
	req := &loggingpb.ListLogEntriesRequest{
		ResourceNames: []string{"projects/" + q.Project},
		Filter:        APIFilter(q),
		OrderBy:       "timestamp desc",
		// One more than asked for tells whether there is more, without
		// spending a second call of the small read quota.
		PageSize: int32(q.Limit + 1),
	}
	entries, next, err := c.list(ctx, q.Project, req)
	if err != nil {
		return bot.LogResult{}, err
	}
	res := bot.LogResult{
		Query:       q,
		More:        len(entries) > q.Limit || next != "",
		ExplorerURL: ExplorerURL(q),
	}
	entries = entries[:min(len(entries), q.Limit)]
	res.Entries = make([]bot.LogEntry, len(entries))
	for i, e := range entries {
		res.Entries[i] = convertEntry(e)
	}
	return res, nil
}

func effectiveLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

func validate(q bot.LogQuery) error {
	switch {
	case !projectID.MatchString(q.Project):
		return bot.Errorf(bot.EInvalid, "The log query has no valid project ID.")
	case q.Start.IsZero() || q.End.IsZero() || q.End.Before(q.Start):
		return bot.Errorf(bot.EInvalid, "The log query has no valid time window.")
	case len(APIFilter(q)) > maxFilterLen:
		return bot.Errorf(bot.EInvalid, "The log query is longer than Cloud Logging's limit of %d characters.", maxFilterLen)
	}
	return nil
}

// APIFilter is the filter Search sends: q.Filter and then the window as two
// timestamp restrictions on their own lines (an implicit AND). The bounds
// are always explicit; the API (and logadmin) would otherwise pick a
// default window.
func APIFilter(q bot.LogQuery) string {
	bounds := `timestamp>="` + q.Start.UTC().Format(time.RFC3339Nano) + `"` + "\n" +
		`timestamp<="` + q.End.UTC().Format(time.RFC3339Nano) + `"`
	if q.Filter == "" {
		return bounds
	}
	return q.Filter + "\n" + bounds
}

// list makes up to Attempts calls, pausing between them, while the error
// is one that a later call may not have. Every call is counted, retried
// or not.
func (c *Client) list(ctx context.Context, project string, req *loggingpb.ListLogEntriesRequest) ([]*loggingpb.LogEntry, string, error) {
	var entries []*loggingpb.LogEntry
	var next string
	policy := c.opts.Policy(grpcerr.Retryable, func(attempt int, err error, pause time.Duration) {
		c.log.Warn("cloud logging call failed; retrying",
			"project", project, "attempt", attempt, "code", codeOf(err).String(), "backoff", pause)
	})
	attempts, err := retry.Do(ctx, policy, func(ctx context.Context) (err error) {
		entries, next, err = c.once(ctx, req)
		c.opts.Metrics.request(resultOf(err))
		return err
	})
	switch {
	case err == nil:
		return entries, next, nil
	case ctx.Err() != nil:
		return nil, "", contextError(ctx)
	}
	return nil, "", translate(err, project, attempts)
}

// once makes one call, under Do's per-attempt timeout, and reads one page.
// It uses the iterator's page fetch rather than Next, because Next keeps
// calling while pages come back empty with a page token, which Cloud
// Logging does when a search is slow.
func (c *Client) once(ctx context.Context, req *loggingpb.ListLogEntriesRequest) ([]*loggingpb.LogEntry, string, error) {
	it := c.c.ListLogEntries(ctx, req, c.noRetry)
	return it.InternalFetch(int(req.GetPageSize()), "")
}
