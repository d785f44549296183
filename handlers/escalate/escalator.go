package escalate

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// Store is what escalation needs from the store.
type Store interface {
	// PendingAcks lists the findings whose card, posted after
	// postedAfter, nobody acknowledged, that are ACTIVE and not MUTED,
	// with the stages already claimed, by posted time.
	PendingAcks(ctx context.Context, postedAfter time.Time) ([]bot.PendingAck, error)
	// ClaimDeadline records that stage came due for finding at at; only
	// the first claim of a (finding, stage) wins, across restarts.
	ClaimDeadline(ctx context.Context, finding string, stage bot.DeadlineStage, at time.Time) (won bool, err error)
	BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error)
	EndIntent(ctx context.Context, key string) error
	OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error)
	AckOf(ctx context.Context, findingName string) (by string, at time.Time, ok bool, err error)
	AuditForFinding(ctx context.Context, finding string) ([]bot.AuditEvent, error)
}

// SilenceMatcher finds the active silence, if any, that covers a finding.
type SilenceMatcher interface {
	Matching(ctx context.Context, f bot.Finding) (bot.Silence, bool, error)
}

// Router names the route a finding takes ("default" when none matches).
type Router interface {
	Route(f bot.Finding) (channel, route string)
}

// Pager pages a finding's owner. approved is true when the configuration
// lets an escalation page without approval; false asks for the page under
// the page_owner approval policy. Calling it twice for one finding must
// not page twice (PagerDuty merges pages with the same dedup key).
type Pager interface {
	PageOwner(ctx context.Context, f bot.Finding, reason string, approved bool) error
}

// CardToucher asks for a finding's card to be rebuilt soon.
type CardToucher interface {
	Touch(findingName string)
}

// Audit events of deadlines.
const (
	AuditReminded  = "deadline_reminder"
	AuditEscalated = "deadline_escalation"
)

// intentPrefix starts the post-intent keys of deadline messages.
const intentPrefix = "deadline/"

// Options are the settings and optional collaborators of an Escalator.
type Options struct {
	Policy Policy
	// Every is how often deadlines are checked (30s).
	Every time.Duration
	// Page lets escalations page without approval.
	Page     bool
	Silences SilenceMatcher
	Audit    handlers.Auditor
	Cards    CardToucher
	Logger   *slog.Logger
	Registry prometheus.Registerer
	Now      func() time.Time
	// Horizon bounds how old a card can be and still be watched: by
	// default the policy's Span plus Late, so that no stage the policy
	// can bring due is out of sight.
	Horizon time.Duration
	// Late: a stage that came due longer ago than this (while no
	// escalator ran) is recorded and counted as missed, not sent (24h).
	Late time.Duration
	// ResumeAfter is how old a claimed stage's open intent must be before
	// it is taken for the leftover of a crash or a failure and finished
	// (5m); younger, a live escalator may still be sending it.
	ResumeAfter time.Duration
	// GiveUpAfter ends a stage that kept failing this long (1h).
	GiveUpAfter time.Duration
	// ClockRefresh is how often a card's running clock is redrawn (5m).
	ClockRefresh time.Duration
}

// Escalator sends the reminders and escalations that come due, and draws
// the clock on cards. Run it on one replica; Note on all of them.
type Escalator struct {
	store   Store
	poster  handlers.Poster
	router  Router
	pager   Pager
	opts    Options
	log     *slog.Logger
	metrics *metrics

	snapMu   sync.Mutex
	snapAt   time.Time
	posted   map[string]time.Time // finding → card posted, for the clock
	phases   map[string]phase     // clocks drawn at the last tick
	redrawAt map[string]time.Time

	// tickMu makes Ticks take turns: Run's and one asked for by hand (the
	// demo, an operator's test) may come at the same moment.
	tickMu sync.Mutex
	// Stages in doubt, kept by Tick only: when each was last tried, so a
	// failing one is retried every ResumeAfter, not every tick; and the
	// escalations whose page went out while their reply did not, so a
	// retry does not page again (after a restart it does, and the pager
	// merges it).
	tried map[string]time.Time
	paged map[string]bool
}

// New returns an Escalator replying through poster and paging through
// pager.
func New(store Store, poster handlers.Poster, router Router, pager Pager, opts Options) *Escalator {
	setDefault(&opts.Every, 30*time.Second)
	setDefault(&opts.Late, 24*time.Hour)
	setDefault(&opts.Horizon, opts.Policy.Span()+opts.Late+opts.Every)
	setDefault(&opts.ResumeAfter, 5*time.Minute)
	setDefault(&opts.GiveUpAfter, time.Hour)
	setDefault(&opts.ClockRefresh, 5*time.Minute)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Escalator{store: store, poster: poster, router: router, pager: pager, opts: opts, log: opts.Logger,
		metrics: newMetrics(opts.Registry), phases: map[string]phase{}, redrawAt: map[string]time.Time{},
		tried: map[string]time.Time{}, paged: map[string]bool{}}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Run checks deadlines every Options.Every until ctx ends.
func (e *Escalator) Run(ctx context.Context) error {
	tick := time.NewTicker(e.opts.Every)
	defer tick.Stop()
	for {
		e.Tick(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Tick acts on every stage that is due: it sends what is due and not
// claimed, finishes what a crash or a failure left half done, and redraws
// the cards whose clock changed. Calls take turns; other escalators may
// run at the same time (the store's claims keep them from doubling).
func (e *Escalator) Tick(ctx context.Context) {
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	now := e.opts.Now()
	pending, err := e.store.PendingAcks(ctx, now.Add(-e.opts.Horizon))
	if err != nil {
		e.metrics.checkErrors.Inc()
		e.log.Warn("cannot read the cards waiting for acknowledgement", "err", err)
		return
	}
	e.remember(now, pending)
	open, err := e.openIntents(ctx)
	if err != nil {
		e.metrics.checkErrors.Inc()
		e.log.Warn("cannot read deadline messages in doubt", "err", err)
		return
	}
	clocks := map[string]phase{}
	for _, p := range pending {
		if ph := e.check(ctx, now, p, open); ph != phaseNone {
			clocks[p.Finding.Name] = ph
		}
		delete(open, intentKey(bot.StageReminder, p.Finding.Name))
		delete(open, intentKey(bot.StageEscalation, p.Finding.Name))
	}
	e.dropStopped(ctx, now, open)
	e.redraw(now, clocks)
}

func (e *Escalator) openIntents(ctx context.Context) (map[string]bot.PostIntent, error) {
	list, err := e.store.OpenIntents(ctx, intentPrefix)
	if err != nil {
		return nil, err
	}
	open := make(map[string]bot.PostIntent, len(list))
	for _, in := range list {
		open[in.Key] = in
	}
	return open, nil
}

// dropStopped ends the intents of findings that left the pending list
// (acknowledged, resolved, muted): their clock stopped, so what was not
// sent is no longer owed. Young intents are left to whoever is sending.
func (e *Escalator) dropStopped(ctx context.Context, now time.Time, open map[string]bot.PostIntent) {
	for key, in := range open {
		if now.Sub(in.Created) < e.opts.ResumeAfter {
			continue
		}
		if err := e.store.EndIntent(ctx, key); err != nil {
			e.log.Warn("cannot end a deadline message no longer owed", "key", key, "err", err)
		}
	}
}

func (e *Escalator) forget(key string) {
	delete(e.tried, key)
	delete(e.paged, key)
}

func intentKey(stage bot.DeadlineStage, finding string) string {
	return intentPrefix + stageName(stage) + "/" + finding
}

func stageName(s bot.DeadlineStage) string {
	if s == bot.StageEscalation {
		return "escalation"
	}
	return "reminder"
}

// phase is where a finding's clock stands, as its card shows it.
type phase int

const (
	phaseNone phase = iota
	phaseRunning
	phaseReminded
	phaseEscalated
)

// check acts on the due stages of one pending card and returns its phase.
func (e *Escalator) check(ctx context.Context, now time.Time, p bot.PendingAck, open map[string]bot.PostIntent) phase {
	d, oncall, ok, err := e.deadlineOf(ctx, p.Finding)
	if err != nil {
		e.metrics.checkErrors.Inc()
		e.log.Warn("cannot check a finding's deadline", "finding", p.Finding.Name, "err", err)
		return phaseNone
	}
	if !ok {
		return phaseNone
	}
	ph := phaseRunning
	for _, stage := range []bot.DeadlineStage{bot.StageReminder, bot.StageEscalation} {
		due, ok := d.Due(stage, p.PostedAt)
		if !ok || now.Before(due) {
			break
		}
		ph = phaseReminded + phase(stage-bot.StageReminder)
		j := job{p: p, stage: stage, due: due, d: d, oncall: oncall, key: intentKey(stage, p.Finding.Name), now: now}
		if claimed(p, stage) {
			if in, ok := open[j.key]; ok {
				e.resume(ctx, j, in)
			}
			continue
		}
		e.start(ctx, j)
	}
	return ph
}

// deadlineOf returns the finding's deadline and on-call group; ok is
// false when it has none or a silence covers it.
func (e *Escalator) deadlineOf(ctx context.Context, f bot.Finding) (Deadline, string, bool, error) {
	_, route := e.router.Route(f)
	d, oncall, ok := e.opts.Policy.For(route, f.Severity)
	if !ok {
		return Deadline{}, "", false, nil
	}
	if e.opts.Silences != nil {
		_, silenced, err := e.opts.Silences.Matching(ctx, f)
		if err != nil || silenced {
			return Deadline{}, "", false, err
		}
	}
	return d, oncall, true, nil
}

func claimed(p bot.PendingAck, stage bot.DeadlineStage) bool {
	for _, s := range p.Stages {
		if s == stage {
			return true
		}
	}
	return false
}

// job is one stage of one finding to act on.
type job struct {
	p      bot.PendingAck
	stage  bot.DeadlineStage
	due    time.Time
	d      Deadline
	oncall string
	key    string
	now    time.Time
	// resume: an earlier attempt may have sent the message.
	resume bool
}

// start claims a stage that came due and, if this escalator won the
// claim, acts on it. The intent is written before the claim: a crash
// after the claim then leaves the intent open, and whoever finds it
// finishes the stage (resume), looking for the message before sending it
// again. A crash before the claim leaves the stage unclaimed, and the
// next tick claims it. The loser of a claim leaves the intent alone: the
// winner ends it.
func (e *Escalator) start(ctx context.Context, j job) {
	f := j.p.Finding
	if j.now.Sub(j.due) > e.opts.Late {
		if won, err := e.store.ClaimDeadline(ctx, f.Name, j.stage, j.due); err == nil && won {
			e.metrics.stages.WithLabelValues(stageName(j.stage), "missed").Inc()
			e.log.Warn("deadline came due while no escalator ran; too late to act on", "finding", f.Name,
				"stage", stageName(j.stage), "due", j.due)
		}
		return
	}
	in, existed, err := e.store.BeginIntent(ctx, bot.PostIntent{Key: j.key, Channel: j.p.Card.Channel,
		Thread: j.p.Card.TS, Finding: f.Name})
	if err != nil {
		e.metrics.checkErrors.Inc()
		e.log.Warn("cannot record a deadline message before sending it; will retry", "finding", f.Name, "err", err)
		return
	}
	won, err := e.store.ClaimDeadline(ctx, f.Name, j.stage, j.due)
	if err != nil {
		e.metrics.checkErrors.Inc()
		e.log.Warn("cannot claim a deadline; will retry", "finding", f.Name, "stage", stageName(j.stage), "err", err)
		return
	}
	if !won {
		// The winner sends and ends the intent. An intent this escalator
		// created itself came after the winner ended its own (the winner
		// writes its intent before claiming), so nobody else would end
		// it. In the one interleaving where the winner's Begin came after
		// this one, ending it only reopens the small window a crash of
		// the winner would need: two replicas racing is a leadership
		// handover, not the normal case.
		if !existed {
			if err := e.store.EndIntent(ctx, j.key); err != nil {
				e.log.Warn("cannot end a deadline message another escalator sends", "key", j.key, "err", err)
			}
		}
		return
	}
	j.resume = existed && !in.Created.IsZero()
	e.act(ctx, j)
}

// resume finishes a claimed stage whose intent is still open: the
// escalator that claimed it crashed or failed to send. A young intent may
// belong to a live escalator still sending, so it is left alone; one that
// kept failing is given up, loudly.
func (e *Escalator) resume(ctx context.Context, j job, in bot.PostIntent) {
	age := j.now.Sub(in.Created)
	if age < e.opts.ResumeAfter || j.now.Sub(e.tried[j.key]) < e.opts.ResumeAfter {
		return
	}
	if age > e.opts.GiveUpAfter {
		e.metrics.stages.WithLabelValues(stageName(j.stage), "given_up").Inc()
		e.log.Error("deadline message given up after failing since its deadline", "finding", j.p.Finding.Name,
			"stage", stageName(j.stage), "since", in.Created)
		if err := e.store.EndIntent(ctx, j.key); err != nil {
			e.log.Warn("cannot end a deadline message given up", "key", j.key, "err", err)
		}
		e.forget(j.key)
		return
	}
	j.resume = true
	e.act(ctx, j)
}

// act sends the stage's message (and, for an escalation, pages), then
// ends its intent. On failure the intent stays open and resume retries.
func (e *Escalator) act(ctx context.Context, j job) {
	f, name := j.p.Finding, stageName(j.stage)
	var err error
	detail := ""
	if j.stage == bot.StageEscalation {
		detail, err = e.escalate(ctx, j)
	} else {
		detail, err = e.remind(ctx, j)
	}
	if err != nil {
		e.tried[j.key] = j.now
		e.metrics.stages.WithLabelValues(name, "failed").Inc()
		e.log.Warn("deadline "+name+" not sent; will retry", "finding", f.Name, "err", err,
			"retry_after", e.opts.ResumeAfter)
		return
	}
	e.forget(j.key)
	if err := e.store.EndIntent(ctx, j.key); err != nil {
		e.log.Warn("deadline "+name+" sent but not recorded; a retry will find it before sending", "finding", f.Name, "err", err)
	}
	e.metrics.stages.WithLabelValues(name, "sent").Inc()
	event := AuditReminded
	if j.stage == bot.StageEscalation {
		event = AuditEscalated
	}
	handlers.WriteAudit(ctx, e.log, e.opts.Audit, bot.AuditEvent{At: j.now, Event: event, Finding: f.Name,
		Action: name, Actor: "sccbot", Detail: detail})
	if e.opts.Cards != nil {
		e.opts.Cards.Touch(f.Name)
	}
}

// remind replies in the card's thread, mentioning the on-call group.
func (e *Escalator) remind(ctx context.Context, j job) (string, error) {
	m := reminderMessage(j)
	if _, err := e.poster.Reply(ctx, j.p.Card, e.keyed(m, j)); err != nil {
		return "", fmt.Errorf("reply in the card's thread: %w", err)
	}
	return "unacknowledged for " + handlers.FormatDuration(j.now.Sub(j.p.PostedAt)), nil
}

// escalate pages the owner, then says so in the card's thread. A retry
// after a failed reply pages again, which the pager merges into the same
// page.
func (e *Escalator) escalate(ctx context.Context, j job) (string, error) {
	reason := "unacknowledged for " + handlers.FormatDuration(j.now.Sub(j.p.PostedAt)) +
		" (escalation deadline " + handlers.FormatDuration(j.d.Escalate) + ")"
	if !e.paged[j.key] {
		if err := e.pager.PageOwner(ctx, j.p.Finding, reason, e.opts.Page); err != nil {
			return "", fmt.Errorf("page the owner: %w", err)
		}
		e.paged[j.key] = true
	}
	if _, err := e.poster.Reply(ctx, j.p.Card, e.keyed(escalationMessage(j, e.opts.Page), j)); err != nil {
		return "", fmt.Errorf("say the finding was escalated: %w", err)
	}
	if e.opts.Page {
		return reason + "; owner paged", nil
	}
	return reason + "; page requested for approval", nil
}

// keyed gives m its idempotency key and, when an earlier attempt may have
// landed, tells the poster to look for it first: since the stage came
// due, which is before any attempt.
func (e *Escalator) keyed(m bot.Message, j job) bot.Message {
	m.Key = j.key
	if j.resume {
		m.Resume = j.due
	}
	return m
}
