package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	securitycenter "cloud.google.com/go/securitycenter/apiv2"
	"github.com/prometheus/client_golang/prometheus"
	goslack "github.com/slack-go/slack"
	"golang.org/x/sync/errgroup"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/mitre"
	"github.com/sccbot/sccbot/bot/ops"
	"github.com/sccbot/sccbot/bot/scc"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/handlers"
)

// drainGrace bounds the work finished after shutdown begins. Cloud Run and
// Kubernetes give 10 to 30 seconds between SIGTERM and SIGKILL.
const drainGrace = 20 * time.Second

// source is a supplier of findings: the Pub/Sub subscription or the poller.
type source interface {
	Run(ctx context.Context, h scc.Handler) error
}

// app is the wired bot. main builds it from the configuration; the demo
// and the end-to-end tests build the same thing pointed at fakes.
type app struct {
	log     *slog.Logger
	store   *sqlite.DB
	outbox  *slackbot.Outbox
	bot     *slackbot.Bot
	intake  *handlers.Intake
	sources []source
	ops     *ops.Server
	closers []func() error
}

// newApp builds every component. Nothing connects until Run.
func newApp(ctx context.Context, cfg *config.Config, e env, log *slog.Logger, reg *prometheus.Registry) (_ *app, err error) {
	a := &app{log: log}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.store, err = sqlite.Open(ctx, cfg.Store.Path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", cfg.Store.Path, err)
	}
	a.closers = append(a.closers, a.store.Close)
	attack, err := mitre.Load()
	if err != nil {
		return nil, fmt.Errorf("load ATT&CK catalogue: %w", err)
	}
	api := slackClient(e)
	slackMetrics := slackbot.NewMetrics(reg)
	a.outbox = slackbot.NewOutbox(api, outboxOptions(cfg, log, slackMetrics))
	cards := handlers.NewCards(a.store, a.outbox, attack, nil)
	a.intake = handlers.NewIntake(a.store, a.outbox, router(cfg), cards, handlers.IntakeOptions{
		Logger: log, Metrics: handlers.NewIntakeMetrics(reg)})
	mux := handlers.NewMux(log)
	a.bot = slackbot.NewBot(api, mux, botOptions(cfg, log, slackMetrics))
	if err := a.addSources(ctx, cfg, e, log, reg); err != nil {
		return nil, err
	}
	if cfg.Ops.Listen != config.ListenOff {
		a.ops = ops.New(cfg.Ops.Listen, reg, a.readiness(), log)
	}
	return a, nil
}

func slackClient(e env) *goslack.Client {
	opts := []goslack.Option{
		goslack.OptionAppLevelToken(e.slackAppToken),
		goslack.OptionHTTPClient(&http.Client{Timeout: 30 * time.Second}),
	}
	if e.slackAPIURL != "" {
		opts = append(opts, goslack.OptionAPIURL(e.slackAPIURL))
	}
	return goslack.New(e.slackBotToken, opts...)
}

func outboxOptions(cfg *config.Config, log *slog.Logger, m *slackbot.Metrics) slackbot.OutboxOptions {
	return slackbot.OutboxOptions{
		PostInterval:   time.Duration(cfg.Slack.PostInterval),
		PostBurst:      cfg.Slack.PostBurst,
		RequestTimeout: time.Duration(cfg.Slack.RequestTimeout),
		Logger:         log.With("component", "outbox"),
		Metrics:        m,
	}
}

func botOptions(cfg *config.Config, log *slog.Logger, m *slackbot.Metrics) slackbot.BotOptions {
	return slackbot.BotOptions{
		Workers:      cfg.Slack.Workers,
		QueueSize:    cfg.Slack.QueueSize,
		AppID:        cfg.Slack.AppID,
		TeamID:       cfg.Slack.TeamID,
		DrainTimeout: drainGrace,
		Logger:       log.With("component", "socket"),
		Metrics:      m,
	}
}

func router(cfg *config.Config) *handlers.Router {
	var routes []handlers.Route
	for _, r := range cfg.Routes {
		routes = append(routes, handlers.Route{Name: r.Name, Channel: r.Channel, Match: match(r.Match)})
	}
	return handlers.NewRouter(cfg.Slack.DefaultChannel, routes)
}

func match(m config.Match) handlers.Match {
	out := handlers.Match{Categories: m.Category, Projects: m.Project, Classes: m.Class}
	for _, s := range m.Severity {
		sev, _ := bot.ParseSeverity(s) // validated by config
		out.Severities = append(out.Severities, sev)
	}
	if m.MinSeverity != "" {
		out.MinSeverity, _ = bot.ParseSeverity(m.MinSeverity)
	}
	for _, p := range m.Product {
		prod, _ := bot.ParseProduct(p)
		out.Products = append(out.Products, prod)
	}
	return out
}

func (a *app) addSources(ctx context.Context, cfg *config.Config, e env, log *slog.Logger, reg prometheus.Registerer) error {
	metrics := scc.NewMetrics(reg)
	if ps := cfg.Sources.PubSub; ps != nil {
		project, err := projectOfSubscription(ps.Subscription)
		if err != nil {
			return err
		}
		client, err := pubsub.NewClient(ctx, project, googleOptions(e.pubsubEmulator)...)
		if err != nil {
			return fmt.Errorf("pubsub client: %w", err)
		}
		a.closers = append(a.closers, client.Close)
		a.sources = append(a.sources, scc.NewSubscription(client, ps.Subscription, scc.SubscriptionOptions{
			Logger: log.With("source", "pubsub"), Metrics: metrics, Rejects: a.store,
			NackMalformed: ps.Malformed == config.MalformedNack, MaxOutstanding: ps.MaxOutstanding}))
	}
	if p := cfg.Sources.Poll; p != nil {
		client, err := securitycenter.NewClient(ctx, googleOptions(e.sccEmulator)...)
		if err != nil {
			return fmt.Errorf("security command center client: %w", err)
		}
		a.closers = append(a.closers, client.Close)
		a.sources = append(a.sources, scc.NewPoller(client, scc.PollOptions{
			Parent: p.Parent, Filter: p.Filter, Interval: time.Duration(p.Interval), Lookback: time.Duration(p.Lookback),
			Cursors: a.store, Logger: log.With("source", "poll"), Metrics: metrics}))
	}
	return nil
}

func (a *app) readiness() []ops.Check {
	return []ops.Check{
		{Name: "store", Fn: a.store.Ping},
		{Name: "slack", Fn: func(context.Context) error {
			if !a.bot.Connected() {
				return errors.New("socket mode is not connected")
			}
			return nil
		}},
	}
}

// Run runs every component until ctx ends. Shutdown is ordered so that
// nothing in flight is lost: the sources stop taking findings and finish
// the ones they hold (for at most drainGrace), the socket stops and its
// workers drain, and only then does the outbox close.
func (a *app) Run(ctx context.Context) error {
	defer a.close()
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
	g.Go(func() error {
		<-gctx.Done()
		feeders.Wait()
		stopOutbox()
		return nil
	})
	err := g.Wait()
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

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Warn("close", "err", err)
		}
	}
	a.closers = nil
}
