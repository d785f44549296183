package scc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	securitycenter "cloud.google.com/go/securitycenter/apiv2"
	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/api/iterator"
)

// CursorStore persists the poller's position, so that it survives restarts.
type CursorStore interface {
	Cursor(ctx context.Context, key string) (value string, ok bool, err error)
	PutCursor(ctx context.Context, key, value string) error
}

// Poll defaults.
const (
	DefaultPollInterval = time.Minute
	DefaultPollLookback = time.Hour
	DefaultPollPageSize = 500
	maxPageSize         = 1000 // SCC's limit
	// cursorSaveEvery bounds how many findings a crash can make the poller
	// deliver again; the handler's dedupe absorbs them.
	cursorSaveEvery = 100
	// cursorSaveTimeout bounds the final save, which must happen even when
	// the pass stops because its context was cancelled.
	cursorSaveTimeout = 10 * time.Second
)

// PollOptions configures a Poller.
type PollOptions struct {
	// Parent is where to list, e.g. organizations/123/sources/-/locations/global.
	Parent string
	// Filter is an optional SCC filter, e.g. finding_class="THREAT".
	Filter string
	// Interval between passes; default DefaultPollInterval.
	Interval time.Duration
	// Lookback is where the first pass starts when no cursor is stored;
	// default DefaultPollLookback.
	Lookback time.Duration
	// PageSize of ListFindings, 1..1000; default DefaultPollPageSize.
	PageSize int
	// Cursors persists the position; without it the position is kept in
	// memory only and a restart starts again at Lookback.
	Cursors CursorStore
	Logger  *slog.Logger
	Metrics *Metrics
	Now     func() time.Time
	// Health, when set, is told of every pass: a completed listing is a
	// success, a failed ListFindings a failure. A finding the handler could
	// not take is not the source's fault and is only counted.
	Health *Health
}

// Poller lists new findings with ListFindings: the fallback source when no
// notification config publishes to Pub/Sub, or to catch up after an outage.
type Poller struct {
	client *securitycenter.Client
	opts   PollOptions
	key    string
	source string
	log    *slog.Logger
}

// NewPoller returns a poller that uses client.
func NewPoller(client *securitycenter.Client, opts PollOptions) *Poller {
	if opts.Interval <= 0 {
		opts.Interval = DefaultPollInterval
	}
	if opts.Lookback <= 0 {
		opts.Lookback = DefaultPollLookback
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPollPageSize
	}
	opts.PageSize = min(opts.PageSize, maxPageSize)
	if opts.Cursors == nil {
		opts.Cursors = &memCursors{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Poller{
		client: client,
		opts:   opts,
		key:    CursorKey(opts.Parent, opts.Filter),
		source: PollSource(opts.Parent),
		log:    loggerOr(opts.Logger),
	}
}

// PollSource is the source label of a poller's metrics, logs and
// readiness check.
func PollSource(parent string) string { return "poll:" + parent }

// Health is the poller's health, nil when PollOptions.Health is unset.
func (p *Poller) Health() *Health { return p.opts.Health }

// CursorKey is the key under which a poller of parent and filter keeps its
// cursor: a changed filter starts a new cursor.
func CursorKey(parent, filter string) string { return "poll:" + parent + "|" + filter }

// Run polls at once and then every Interval until ctx ends, and then
// returns nil. A failed pass is logged, counted and tried again at the
// next interval; Run never gives up on its own.
func (p *Poller) Run(ctx context.Context, h Handler) error {
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		var le *listError
		if err := p.PollOnce(ctx, h); err != nil && ctx.Err() == nil && (p.opts.Health == nil || !errors.As(err, &le)) {
			p.log.Warn("poll failed; retrying at the next interval", "source", p.source, "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PollOnce lists the findings whose event time is at or after the cursor,
// oldest first, and passes each to h. The cursor follows each handled
// finding; on the first failure the pass stops there, so the failed finding
// is listed again next time. Findings at exactly the cursor's time are
// listed again too, and the handler's dedupe skips them.
func (p *Poller) PollOnce(ctx context.Context, h Handler) error {
	c, err := p.loadCursor(ctx)
	if err == nil {
		err = p.pass(ctx, h, c)
		if serr := p.saveCursor(ctx, c); err == nil {
			err = serr
		}
	}
	var le *listError
	switch {
	case err == nil || ctx.Err() != nil:
	case errors.As(err, &le) && p.opts.Health != nil:
		p.opts.Health.Fail(le.err) // counts and logs it
	default:
		p.opts.Metrics.sourceError(p.source)
	}
	return err
}

// listError is a failure of ListFindings itself, as opposed to the
// handler or the cursor store: the one kind that says the source is down.
type listError struct{ err error }

func (e *listError) Error() string { return e.err.Error() }
func (e *listError) Unwrap() error { return e.err }

func (p *Poller) pass(ctx context.Context, h Handler, c *cursor) error {
	it := p.client.ListFindings(ctx, &securitycenterpb.ListFindingsRequest{
		Parent:   p.opts.Parent,
		Filter:   pollFilter(p.opts.Filter, c.at),
		OrderBy:  "event_time",
		PageSize: int32(p.opts.PageSize),
	})
	for {
		res, err := it.Next()
		if errors.Is(err, iterator.Done) {
			if p.opts.Health != nil {
				p.opts.Health.OK()
			}
			return nil
		}
		if err != nil {
			return &listError{fmt.Errorf("list findings under %s: %w", p.opts.Parent, err)}
		}
		f := FromListResult(res)
		p.opts.Metrics.findingReceived(p.source)
		if err := h(ctx, f); err != nil {
			return fmt.Errorf("handle finding %s: %w", f.Name, err)
		}
		c.advance(f.EventTime)
		if c.pending >= cursorSaveEvery {
			if err := p.saveCursor(ctx, c); err != nil {
				return err
			}
		}
	}
}

// pollFilter adds the cursor to the user's filter. The user's filter is
// parenthesised so that the cursor restricts all of it, whatever mix of
// AND, OR and negation it uses.
func pollFilter(user string, at time.Time) string {
	cond := "event_time >= " + QuoteFilterValue(at.UTC().Format(time.RFC3339Nano))
	if user == "" {
		return cond
	}
	return "(" + user + ") AND " + cond
}
