package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	logging "cloud.google.com/go/logging/apiv2"
	"cloud.google.com/go/pubsub/v2"
	securitycenter "cloud.google.com/go/securitycenter/apiv2"
	"github.com/prometheus/client_golang/prometheus"
	goslack "github.com/slack-go/slack"
	"google.golang.org/api/option"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/cloudlogging"
	"github.com/sccbot/sccbot/bot/mitre"
	"github.com/sccbot/sccbot/bot/scc"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/intake"
	"github.com/sccbot/sccbot/handlers/investigate"
	"github.com/sccbot/sccbot/playbooks"
)

// deps are the clients and catalogues the handlers use.
type deps struct {
	attack    *mitre.Catalog
	playbooks *playbooks.Library
	sccAPI    *securitycenter.Client
	scc       *scc.Client
	logs      *cloudlogging.Client
	pubsub    *pubsub.Client
	// watch reports the subscription's health from its client's streams.
	watch *scc.StreamWatch
}

// dependencies builds the catalogues and the Google clients. Clients do not
// connect until used, so a bot whose Google access is broken still starts
// and says so on the first click.
func (a *app) dependencies(ctx context.Context, cfg *config.Config, e env, log *slog.Logger, reg prometheus.Registerer) (deps, error) {
	var d deps
	var err error
	if d.attack, err = mitre.Load(); err != nil {
		return d, fmt.Errorf("load ATT&CK catalogue: %w", err)
	}
	if d.playbooks, err = loadPlaybooks(cfg.Playbooks.Dir); err != nil {
		return d, err
	}
	if d.sccAPI, err = securitycenter.NewClient(ctx, googleOptions(e.sccEmulator)...); err != nil {
		return d, fmt.Errorf("security command center client: %w", err)
	}
	a.closers = append(a.closers, d.sccAPI.Close)
	d.scc = scc.NewClient(d.sccAPI, scc.ClientOptions{Logger: log.With("component", "scc")})
	logAPI, err := logging.NewClient(ctx, googleOptions(e.loggingEmulator)...)
	if err != nil {
		return d, fmt.Errorf("cloud logging client: %w", err)
	}
	a.closers = append(a.closers, logAPI.Close)
	d.logs = cloudlogging.New(logAPI, cloudlogging.Options{Logger: log.With("component", "logging"),
		Metrics: cloudlogging.NewMetrics(reg)})
	if ps := cfg.Sources.PubSub; ps != nil {
		d.watch = scc.NewStreamWatch(scc.NewHealth(scc.SubscriptionSource(ps.Subscription), sourceHealth(cfg, log, reg)), 0)
		if d.pubsub, err = pubsubClient(ctx, ps.Subscription, e, d.watch.ClientOption()); err != nil {
			return d, err
		}
		a.closers = append(a.closers, d.pubsub.Close)
	}
	return d, nil
}

func loadPlaybooks(dir string) (*playbooks.Library, error) {
	if dir == "" {
		lib, err := playbooks.Load()
		if err != nil {
			return nil, fmt.Errorf("load playbooks: %w", err)
		}
		return lib, nil
	}
	lib, err := playbooks.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load playbooks from %s (check them with sccbot playbooks lint %s):\n%w", dir, dir, err)
	}
	return lib, nil
}

func pubsubClient(ctx context.Context, subscription string, e env, extra ...option.ClientOption) (*pubsub.Client, error) {
	project, err := projectOfSubscription(subscription)
	if err != nil {
		return nil, err
	}
	client, err := pubsub.NewClient(ctx, project, append(googleOptions(e.pubsubEmulator), extra...)...)
	if err != nil {
		return nil, fmt.Errorf("pubsub client: %w", err)
	}
	return client, nil
}

// sourceHealth is how every source reports its health. The sources' own
// log lines carry their "source" key, so the logger adds none.
func sourceHealth(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) scc.HealthOptions {
	return scc.HealthOptions{UnhealthyAfter: time.Duration(cfg.Sources.UnhealthyAfter),
		Logger: log.With("component", "sources"), Metrics: scc.NewMetrics(reg)}
}

func (a *app) addSources(cfg *config.Config, d deps, log *slog.Logger, reg prometheus.Registerer) {
	metrics := scc.NewMetrics(reg)
	srcLog := log.With("component", "sources")
	if ps := cfg.Sources.PubSub; ps != nil {
		a.sources = append(a.sources, scc.NewSubscription(d.pubsub, ps.Subscription, scc.SubscriptionOptions{
			Logger: srcLog, Metrics: metrics, Rejects: a.store, Watch: d.watch,
			NackMalformed: ps.Malformed == config.MalformedNack, MaxOutstanding: ps.MaxOutstanding, Streams: ps.Streams}))
	}
	if p := cfg.Sources.Poll; p != nil {
		poller := scc.NewPoller(d.sccAPI, scc.PollOptions{
			Parent: p.Parent, Filter: p.Filter, Interval: time.Duration(p.Interval), Lookback: time.Duration(p.Lookback),
			Cursors: a.store, Logger: srcLog, Metrics: metrics,
			Health: scc.NewHealth(scc.PollSource(p.Parent), sourceHealth(cfg, log, reg))})
		// Every replica receives from the subscription; one polls.
		a.sources = append(a.sources, a.replicas.singletonSource(rolePoller, poller))
	}
}

// investigations are the work behind the card's investigation buttons;
// /finding runs the same work.
type investigations struct{ related, logs, attack, playbook handlers.Task }

// The playbook's checklist ends with the response buttons that fit, so
// that the responder can act where they read.
func investigationTasks(cfg *config.Config, d deps, respond func(bot.Finding) []bot.Button) investigations {
	inv := cfg.Investigate
	lib := d.playbooks
	return investigations{
		related: investigate.RelatedTask(d.scc, time.Duration(inv.RelatedWindow)),
		logs: investigate.LogsTask(d.logs, func(f bot.Finding, start, end time.Time, limit int) ([]bot.LogQuery, []string) {
			return lib.Lookup(f).Queries(f, start, end, limit)
		}, time.Duration(inv.LogsWindow), inv.LogsLimit),
		attack: investigate.AttackTask(d.attack, d.attack.Notice(), func(f bot.Finding) []string { return lib.Lookup(f).Techniques }),
		playbook: investigate.PlaybookTask(func(f bot.Finding, start, end time.Time) bot.Message {
			zone := cfg.Display.Location() // the checklist writes its window in the zone it is given
			m := lib.Lookup(f).Checklist(f, start.In(zone), end.In(zone))
			if buttons := respond(f); len(buttons) > 0 {
				m.Blocks = append(m.Blocks, bot.Actions{Buttons: buttons})
			}
			return m
		}, time.Duration(inv.LogsWindow)),
	}
}

// registerButtons puts the investigation buttons on every card.
func registerButtons(mux *handlers.Mux, tasks *investigate.Tasks, inv investigations) {
	tasks.Register(mux,
		handlers.Button{Action: handlers.ActionRelated, Label: "Related findings", Task: inv.related},
		handlers.Button{Action: handlers.ActionLogs, Label: "Logs", Task: inv.logs},
		handlers.Button{Action: handlers.ActionAttack, Label: "ATT&CK", Task: inv.attack},
		handlers.Button{Action: handlers.ActionPlaybook, Label: "Playbook", Task: inv.playbook},
	)
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

func outboxOptions(cfg *config.Config, st store, log *slog.Logger, m *slackbot.Metrics) slackbot.OutboxOptions {
	return slackbot.OutboxOptions{
		Pace:           sharedPace(st),
		PostInterval:   time.Duration(cfg.Slack.PostInterval),
		PostBurst:      cfg.Slack.PostBurst,
		RequestTimeout: time.Duration(cfg.Slack.RequestTimeout),
		Logger:         log.With("component", "outbox"),
		Metrics:        m,
	}
}

func botOptions(cfg *config.Config, log *slog.Logger, m *slackbot.Metrics, mux *handlers.Mux) slackbot.BotOptions {
	return slackbot.BotOptions{
		Validate:     mux.Validate,
		OpensDialog:  mux.OpensDialog,
		Workers:      cfg.Slack.Workers,
		QueueSize:    cfg.Slack.QueueSize,
		AppID:        cfg.Slack.AppID,
		TeamID:       cfg.Slack.TeamID,
		DrainTimeout: drainGrace,
		Logger:       log.With("component", "socket"),
		Metrics:      m,
	}
}

func router(cfg *config.Config) *intake.Router {
	var routes []intake.Route
	for _, r := range cfg.Routes {
		rt := intake.Route{Name: r.Name, Channel: r.Channel, Match: match(r.Match)}
		if r.Group != nil {
			g := groupRule(*r.Group)
			rt.Group = &g
		}
		routes = append(routes, rt)
	}
	return intake.NewGroupingRouter(cfg.Slack.DefaultChannel, groupRule(cfg.Grouping), routes)
}

func groupRule(g config.Grouping) intake.GroupRule {
	return intake.GroupRule{By: g.By, Window: time.Duration(g.Window), Repeat: time.Duration(g.Repeat)}
}

func match(m config.Match) intake.Match {
	out := intake.Match{Categories: m.Category, Projects: m.Project, Classes: m.Class}
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
