package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/ops"
	"github.com/sccbot/sccbot/bot/scc"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/digest"
	"github.com/sccbot/sccbot/handlers/escalate"
	"github.com/sccbot/sccbot/handlers/intake"
	"github.com/sccbot/sccbot/handlers/investigate"
	"github.com/sccbot/sccbot/handlers/respond"
	"github.com/sccbot/sccbot/playbooks"
)

// drainGrace bounds the work finished after shutdown begins. Cloud Run and
// Kubernetes give 10 to 30 seconds between SIGTERM and SIGKILL.
const drainGrace = 20 * time.Second

// storePingTimeout bounds the store's readiness check.
const storePingTimeout = time.Second

// source is a supplier of findings: the Pub/Sub subscription or the poller.
type source interface {
	Run(ctx context.Context, h scc.Handler) error
	// Health is what the source reports about itself, nil if nothing.
	Health() *scc.Health
}

// app is the wired bot. main builds it from the configuration; the demo
// and the end-to-end tests build the same thing pointed at fakes.
type app struct {
	log      *slog.Logger
	store    store
	outbox   *slackbot.Outbox
	cards    *handlers.Cards
	lister   *intake.Lister
	owed     *intake.Owed
	silences *intake.Silences
	bot      *slackbot.Bot
	intake   *intake.Intake
	runner   *playbooks.Runner
	flow     *respond.Flow
	digest   *digest.Digests
	deadline *escalate.Escalator
	sources  []source
	ops      *ops.Server
	// replicas is the coordination of several replicas on PostgreSQL;
	// nil on SQLite.
	replicas *replicas
	closers  []func() error
	// now is the clock of the response runner: request expiry is the one
	// decision the bot takes by the clock alone.
	now func() time.Time
}

// appOption adjusts how newApp builds the bot; the tests use it.
type appOption func(*app)

// withClock sets the clock of the response runner.
func withClock(now func() time.Time) appOption { return func(a *app) { a.now = now } }

// newApp builds every component. Nothing connects until Run.
func newApp(ctx context.Context, cfg *config.Config, e env, log *slog.Logger, reg *prometheus.Registry, opts ...appOption) (_ *app, err error) {
	handlers.SetDisplayZone(cfg.Display.Location())
	a := &app{log: log, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.store, err = openStore(ctx, cfg.Store, e); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.store.Close)
	a.replicas = newReplicas(a.store, e, log, reg)
	// What posts does so under a claim when replicas share the store.
	posting := a.replicas.posting(a.store)
	deps, err := a.dependencies(ctx, cfg, e, log, reg)
	if err != nil {
		return nil, err
	}
	api := slackClient(e)
	slackMetrics := slackbot.NewMetrics(reg)
	a.outbox = slackbot.NewOutbox(api, outboxOptions(cfg, a.store, log, slackMetrics))
	a.cards = handlers.NewCards(a.store, a.outbox, handlers.CardsOptions{Attack: deps.attack, Groups: a.store,
		Lock: cardLock(a.store), Logger: log.With("component", "cards"), Registry: reg})
	intakeMetrics := intake.NewMetrics(reg)
	a.lister = intake.NewLister(posting, a.outbox, intake.ListerOptions{Fits: slackbot.Fits,
		Logger: log.With("component", "lister"), Metrics: intakeMetrics})
	a.owed = intake.NewOwed(posting, a.outbox, a.cards, intake.OwedOptions{
		Logger: log.With("component", "owed"), Metrics: intakeMetrics})
	a.silences = intake.NewSilences(a.store, intake.SilencesOptions{Audit: a.store, Logger: log.With("component", "silences")})
	a.intake = intake.NewIntake(posting, a.outbox, router(cfg), a.cards, intake.Options{
		Groups: a.store, Silences: a.silences, Logger: log, Metrics: intakeMetrics})
	dir := slackbot.NewDirectory(api, a.outbox, slackbot.DirectoryOptions{Logger: log.With("component", "directory")})
	flow, err := a.respond(ctx, cfg, e, deps, dir, log)
	if err != nil {
		return nil, err
	}
	a.flow = flow
	// The card's buttons, in this order: investigate, silence, respond.
	mux := handlers.NewMux(log)
	inv := investigationTasks(cfg, deps, flow.Buttons)
	registerButtons(mux, investigate.NewTasks(a.store, a.outbox, a.cards,
		investigate.TasksOptions{Timeout: time.Duration(cfg.Investigate.Timeout), Logger: log}), inv)
	respond.NewSilenceFlow(a.store, a.outbox, a.outbox, a.silences, respond.SilenceFlowOptions{Logger: log}).Register(mux, a.cards)
	flow.Register(mux)
	// These buttons open a dialog first thing: they are served ahead of
	// slow work so that the click's trigger is used within its 3 seconds.
	mux.MarkDialogs(handlers.ActionContain, handlers.ActionMute, handlers.ActionSilence)
	if a.digest, err = a.digests(cfg, log, reg); err != nil {
		return nil, err
	}
	a.deadline = a.escalator(cfg, log, reg)
	a.commands(cfg, deps, inv, flow, mux, log)
	a.bot = slackbot.NewBot(api, mux, botOptions(cfg, log, slackMetrics, mux))
	a.addSources(cfg, deps, log, reg)
	if cfg.Ops.Listen != config.ListenOff {
		a.ops = ops.New(cfg.Ops.Listen, reg, a.readiness(), log)
	}
	return a, nil
}

func (a *app) readiness() []ops.Check {
	checks := []ops.Check{
		{Name: "store", Fn: func(ctx context.Context) error {
			// A database that stopped answering must not hold /readyz
			// past the probe's own timeout, nor starve the checks after.
			ctx, cancel := context.WithTimeout(ctx, storePingTimeout)
			defer cancel()
			return a.store.Ping(ctx)
		}},
		{Name: "slack", Fn: func(context.Context) error {
			if !a.bot.Connected() {
				return errors.New("socket mode is not connected")
			}
			return nil
		}},
	}
	// A source that cannot receive is named, so that whoever reads /readyz
	// knows which one.
	for _, s := range a.sources {
		if h := s.Health(); h != nil {
			checks = append(checks, ops.Check{Name: "source", Fn: func(context.Context) error {
				// A source another replica runs is that replica's to report.
				if ls, ok := s.(leasedSource); ok && !ls.lease.Holding() {
					return nil
				}
				return h.Ready()
			}})
		}
	}
	return checks
}

// Run runs every component until ctx ends. Shutdown is ordered so that
// nothing in flight is lost: the sources stop taking findings and finish
// the ones they hold (for at most drainGrace), the socket stops and its
// workers drain, and only then do the card refresher and the outbox stop.
func (a *app) Run(ctx context.Context) error {
	defer a.close()
	// The heartbeat outlives every other component: this replica is alive
	// to the others until its last action is recorded.
	stopBeating := a.replicas.beat(ctx)
	defer stopBeating()
	g, gctx := errgroup.WithContext(ctx)
	handle, stopDrain := a.drainingHandler(gctx)
	defer stopDrain()
	var feeders sync.WaitGroup
	for _, s := range a.sources {
		feeders.Add(1)
		g.Go(func() error { defer feeders.Done(); return s.Run(gctx, handle) })
	}
	feeders.Add(1)
	g.Go(func() error { defer feeders.Done(); return a.bot.Run(gctx) })
	if a.ops != nil {
		g.Go(func() error { return a.ops.Run(gctx) })
	}
	outboxCtx, stopOutbox := context.WithCancel(context.WithoutCancel(ctx))
	g.Go(func() error { return a.outbox.Run(outboxCtx) })
	for _, run := range a.singletons() {
		g.Go(func() error { return run(outboxCtx) })
	}
	// The responses stop once nothing can ask for one, and before the
	// outbox: their last outcomes still edit the requests' messages.
	respondCtx, stopRespond := context.WithCancel(context.WithoutCancel(ctx))
	responded := make(chan struct{})
	g.Go(func() error { defer close(responded); return a.flow.Run(respondCtx) })
	g.Go(func() error {
		<-gctx.Done()
		feeders.Wait()
		stopRespond()
		<-responded
		stopOutbox()
		return nil
	})
	err := g.Wait()
	stopBeating()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// drainingHandler gives each finding a context that survives shutdown by
// drainGrace, so that a finding already taken from a source is posted
// rather than abandoned mid-way.
func (a *app) drainingHandler(ctx context.Context) (scc.Handler, func()) {
	drain, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(drainGrace, cancel) })
	h := func(_ context.Context, f bot.Finding) error { return a.intake.Handle(drain, f) }
	return h, func() { stop(); cancel() }
}

// singletons are the components that run once for all replicas: under
// their role's lease with replicas, directly on one replica. The response
// runner's drain runs on every replica, its sweeps on one. The card
// refresher runs on every replica: its queue of touched cards is in
// memory, filled by the intake and the clicks each replica serves, so
// under a lease the other replicas' refreshes would be lost.
func (a *app) singletons() []func(ctx context.Context) error {
	r := a.replicas
	runs := []func(ctx context.Context) error{
		a.cards.Run,
		r.singleton(roleListings, r.releasing("list/", false, a.lister.Run)),
		r.singleton(roleOwed, r.releasing(bot.CardKey(""), true, a.owed.Run)),
		r.singleton(roleSilences, a.silences.Run),
		r.singleton(roleDigests, a.digest.Run),
		r.singleton(roleEscalation, a.deadline.Run),
	}
	if r == nil {
		return append(runs, a.runner.Run)
	}
	return append(runs, a.runner.RunExecutor, r.singleton(roleRequests, a.runner.RunSweeps))
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Warn("close", "err", err)
		}
	}
	a.closers = nil
}
