package digest

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// Cron says when a digest runs. A robfig/cron schedule satisfies it;
// cmd builds one with cron.ParseStandard, so handlers need no cron.
type Cron interface {
	// Next returns the first activation strictly after t, or the zero
	// time if there is none.
	Next(t time.Time) time.Time
}

// Schedule is one configured digest: where it goes and when.
type Schedule struct {
	Name    string
	Channel string
	// Spec is evaluated in Location, so "0 9 * * 1-5" means 09:00 there,
	// whatever the offset of the day (daylight saving included).
	Spec     Cron
	Location *time.Location
	// Period is what each digest covers, ending at the scheduled instant.
	// Zero means since the schedule's previous run, so that consecutive
	// digests cover every finding once: 24 hours for a daily schedule
	// (23 or 25 on a daylight-saving day), Friday to Monday for a Monday
	// run of a weekday schedule.
	Period time.Duration
}

// next is the schedule's first activation after t.
func (s Schedule) next(t time.Time) time.Time { return s.Spec.Next(t.In(s.Location)) }

// periodStart is where the digest of the run at run begins.
func (s Schedule) periodStart(run time.Time) time.Time {
	if s.Period > 0 {
		return run.Add(-s.Period)
	}
	// Schedules only look forward: look for the previous run in growing
	// windows before this one, so a dense schedule costs few steps.
	for _, back := range []time.Duration{25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		var prev time.Time
		from := run.Add(-back)
		for t, n := s.next(from), 0; t.After(from) && t.Before(run) && n < maxMissedScan; t, n = s.next(t), n+1 {
			prev, from = t, t
		}
		if !prev.IsZero() {
			return prev
		}
	}
	return run.Add(-24 * time.Hour)
}

// Runs records digest runs so that each is posted once: a claim
// that exactly one caller wins, then where the post went.
type Runs interface {
	ClaimDigest(ctx context.Context, schedule string, runAt time.Time, channel string) (bool, error)
	DigestPosted(ctx context.Context, schedule string, runAt time.Time, ref bot.MessageRef) error
	ReleaseDigest(ctx context.Context, schedule string, runAt time.Time) error
	LastDigest(ctx context.Context, schedule string) (time.Time, bool, error)
}

// minDigestGrace is the least lateness a run may have: a timer never
// fires exactly on time.
const minDigestGrace = time.Minute

// maxMissedScan bounds the runs counted when a long outage skipped many.
const maxMissedScan = 100_000

// Options are the optional settings of Digests.
type Options struct {
	// Grace is how late a run may still be posted, after a restart for
	// example (at least a minute). Older runs are skipped and logged.
	Grace time.Duration
	// Retry is the wait before trying a failed run again (default 1
	// minute); it is retried while within Grace.
	Retry  time.Duration
	Limits Limits
	// Sources add time to acknowledge percentiles, deadline breaches
	// and tuning to each digest; a nil one leaves its figures out.
	Sources Sources
	// Chart and Uploader make and share the chart of each scheduled
	// digest; without both there is no chart.
	Chart    Chart
	Uploader Uploader
	Metrics  *Metrics
	Logger   *slog.Logger
	// Now and After are the clock and the timer.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// Digests posts the configured digests on their schedules, each run
// exactly once across restarts and replicas: a run is claimed in the
// store before it is posted, and a run missed while the bot was down is
// posted on start if it is still within the grace period.
type Digests struct {
	store     Store
	runs      Runs
	poster    handlers.Poster
	schedules []Schedule
	grace     time.Duration
	retry     time.Duration
	limits    Limits
	sources   Sources
	charts    *charts
	log       *slog.Logger
	now       func() time.Time
	after     func(time.Duration) <-chan time.Time
}

// NewDigests checks the schedules and returns Digests.
func NewDigests(store Store, runs Runs, poster handlers.Poster, schedules []Schedule, opts Options) (*Digests, error) {
	d := &Digests{store: store, runs: runs, poster: poster, grace: max(opts.Grace, minDigestGrace),
		retry: cmp.Or(opts.Retry, time.Minute), limits: opts.Limits, sources: opts.Sources, log: opts.Logger, now: opts.Now, after: opts.After}
	if opts.Chart != nil && opts.Uploader != nil {
		d.charts = &charts{chart: opts.Chart, uploader: opts.Uploader, metrics: cmp.Or(opts.Metrics, NewMetrics(nil)),
			done: map[string]bot.FileRef{}}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.after == nil {
		d.after = time.After
	}
	seen := map[string]bool{}
	for _, s := range schedules {
		switch {
		case s.Name == "" || s.Channel == "" || s.Spec == nil:
			return nil, bot.Errorf(bot.EInvalid, "digest schedule %q needs a name, a channel and a schedule", s.Name)
		case seen[s.Name]:
			return nil, bot.Errorf(bot.EInvalid, "two digest schedules are named %q", s.Name)
		case s.Period < 0:
			return nil, bot.Errorf(bot.EInvalid, "digest schedule %q has a negative period", s.Name)
		}
		seen[s.Name] = true
		s.Location = cmp.Or(s.Location, time.UTC)
		d.schedules = append(d.schedules, s)
	}
	return d, nil
}

// Run posts digests until ctx ends.
func (d *Digests) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, s := range d.schedules {
		wg.Go(func() { d.runSchedule(ctx, s) })
	}
	wg.Wait()
	<-ctx.Done()
	return nil
}

// PostRun posts the run of the schedule named name at run, claimed as a
// scheduled run is (so it is posted once, whoever asks); the demo uses it
// to show a scheduled digest, chart included, without waiting for its
// time. Why a run failed is logged.
func (d *Digests) PostRun(ctx context.Context, name string, run time.Time) error {
	for _, s := range d.schedules {
		if s.Name == name {
			if !d.fire(ctx, s, run, d.log.With("schedule", s.Name, "channel", s.Channel)) {
				return fmt.Errorf("digest %s of %s was not posted", name, run.Format(time.RFC3339))
			}
			return nil
		}
	}
	return fmt.Errorf("no digest schedule is named %q", name)
}

// DigestNow returns the digest of the last 24 hours, for /finding digest;
// it records nothing, and uploads no chart (an upload is shared in a
// channel, and the answer to a command is for one person).
func (d *Digests) DigestNow(ctx context.Context, tz *time.Location) (bot.Message, error) {
	now := d.now()
	dg, err := ComputeDigestWith(ctx, d.store, d.sources, now.Add(-24*time.Hour), now, d.limits)
	if err != nil {
		return bot.Message{}, err
	}
	return Message(dg, "last 24 hours", tz), nil
}

// runSchedule posts one schedule's runs until ctx ends.
func (d *Digests) runSchedule(ctx context.Context, s Schedule) {
	log := d.log.With("schedule", s.Name, "channel", s.Channel)
	last, ok := d.lastRun(ctx, s, log)
	for ctx.Err() == nil {
		now := d.now()
		p := d.plan(s, last, ok, now)
		if p.skipped > 0 {
			log.Warn("digest runs missed beyond the grace period were skipped", "skipped", p.skipped,
				"first", p.firstSkipped, "last", p.lastSkipped, "grace", d.grace.String())
			last, ok = p.lastSkipped, true
		}
		if p.due {
			if !d.fire(ctx, s, p.run, log) {
				d.sleep(ctx, d.retry)
				continue
			}
			last, ok = p.run, true
		}
		next := s.next(later(last, now))
		if next.IsZero() {
			log.Warn("digest schedule has no further runs")
			return
		}
		d.sleep(ctx, next.Sub(d.now()))
	}
}

// lastRun reads the schedule's last claimed run, retrying until it can.
func (d *Digests) lastRun(ctx context.Context, s Schedule, log *slog.Logger) (time.Time, bool) {
	for {
		last, ok, err := d.runs.LastDigest(ctx, s.Name)
		if err == nil || ctx.Err() != nil {
			return last, ok
		}
		log.Error("cannot read the last digest run; retrying", "err", err)
		d.sleep(ctx, d.retry)
	}
}

func (d *Digests) sleep(ctx context.Context, wait time.Duration) {
	select {
	case <-ctx.Done():
	case <-d.after(max(wait, 0)):
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// runPlan is what to do now: the run to post, if one is due, and the
// runs missed beyond the grace period.
type runPlan struct {
	run                       time.Time
	due                       bool
	skipped                   int
	firstSkipped, lastSkipped time.Time
}

// plan looks at the runs after last up to now: the latest one within the
// grace period (its edge included) is due; earlier ones are skipped.
// Without a last run (a new schedule) it looks back over the grace period
// only.
func (d *Digests) plan(s Schedule, last time.Time, hasLast bool, now time.Time) runPlan {
	var p runPlan
	edge := now.Add(-d.grace)
	from := edge.Add(-time.Nanosecond)
	if hasLast && last.After(from) {
		from = last
	}
	if hasLast && last.Before(edge) {
		for t := s.next(last); t.After(last) && t.Before(edge) && p.skipped < maxMissedScan; t = s.next(t) {
			if p.skipped == 0 {
				p.firstSkipped = t
			}
			p.skipped, p.lastSkipped, last = p.skipped+1, t, t
		}
	}
	for t := s.next(from); t.After(from) && !t.After(now); t = s.next(t) {
		p.run, p.due, from = t, true, t
	}
	return p
}

// fire claims and posts one run. It reports whether the run is dealt
// with: posted, or claimed by someone else (another replica, or this bot
// before a restart). A failed post gives the claim back for a retry.
func (d *Digests) fire(ctx context.Context, s Schedule, run time.Time, log *slog.Logger) bool {
	log = log.With("run", run)
	claimed, err := d.runs.ClaimDigest(ctx, s.Name, run, s.Channel)
	if err != nil {
		log.Error("cannot claim the digest run", "err", err)
		return false
	}
	if !claimed {
		log.Info("digest run already claimed; not posting it again")
		return true
	}
	if err := d.post(ctx, s, run, log); err != nil {
		log.Error("digest not posted", "err", err)
		if err := d.runs.ReleaseDigest(context.WithoutCancel(ctx), s.Name, run); err != nil {
			log.Error("cannot release the digest run; it will not be retried", "err", err)
			return true
		}
		return false
	}
	return true
}

// post computes and posts the digest of the period ending at run.
func (d *Digests) post(ctx context.Context, s Schedule, run time.Time, log *slog.Logger) error {
	dg, err := ComputeDigestWith(ctx, d.store, d.sources, s.periodStart(run), run, d.limits)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("digest/%s/%s", s.Name, run.UTC().Format(time.RFC3339Nano))
	dg.Chart = d.charts.link(ctx, d.store, d.sources.Deadlines, s, run, key, log)
	m := Message(dg, s.Name, handlers.DisplayZone())
	m.Key = key
	ref, err := d.poster.Post(ctx, s.Channel, m)
	if err != nil {
		return fmt.Errorf("post digest to %s: %w", s.Channel, err)
	}
	d.charts.forget(key)
	if err := d.runs.DigestPosted(ctx, s.Name, run, ref); err != nil {
		// It is posted and claimed: it will not be posted again, only
		// its message is not on record.
		log.Error("digest posted but not recorded", "ts", ref.TS, "err", err)
		return nil
	}
	log.Info("digest posted", "ts", ref.TS, "findings", dg.Total)
	return nil
}
