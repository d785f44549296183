package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/chart"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/handlers/digest"
	"github.com/sccbot/sccbot/handlers/escalate"
	"github.com/sccbot/sccbot/playbooks"
)

// escalator builds the acknowledgement deadlines: the escalator itself
// (a singleton) and the clock it adds to every card (on every replica).
func (a *app) escalator(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) *escalate.Escalator {
	esc := escalate.New(a.store, a.outbox, router(cfg), escalationPager{a.runner}, escalate.Options{
		Policy: escalationPolicy(cfg.Escalation), Every: time.Duration(cfg.Escalation.Every),
		Page: cfg.Escalation.Page, Silences: a.silences, Audit: a.store, Cards: a.cards,
		Logger: log.With("component", "escalation"), Registry: reg, Now: a.now})
	a.cards.AddNotes(esc.Note)
	return esc
}

// escalationPager pages a finding's owner through the response runner, so
// that an escalation's page is audited, shown in the card's thread and
// approved like any other (unless the configuration says it needs none).
type escalationPager struct{ runner *playbooks.Runner }

func (p escalationPager) PageOwner(ctx context.Context, f bot.Finding, reason string, approved bool) error {
	_, err := p.runner.Escalate(ctx, f, bot.ActionPageOwner, reason, approved)
	return err
}

// escalationPolicy turns the configuration's deadlines into the
// escalator's.
func escalationPolicy(c config.Escalation) escalate.Policy {
	p := escalate.Policy{Defaults: deadlines(c.Defaults), Routes: map[string]escalate.RoutePolicy{}}
	for name, rt := range c.Routes {
		if rt != nil {
			p.Routes[name] = escalate.RoutePolicy{OnCall: rt.OnCall, Deadlines: deadlines(rt.Deadlines)}
		}
	}
	return p
}

func deadlines(m map[string]*config.Deadline) map[bot.Severity]escalate.Deadline {
	out := map[bot.Severity]escalate.Deadline{}
	for sev, d := range m {
		s, ok := bot.ParseSeverity(sev)
		if !ok || d == nil {
			continue
		}
		ed := escalate.Deadline{Remind: time.Duration(d.Remind), Escalate: time.Duration(d.Escalate)}
		if bh := d.BusinessHours; bh != nil {
			from, to := bh.Window()
			ed.Hours = &escalate.BusinessHours{Zone: bh.Location(), Days: bh.Weekdays(), From: from, To: to}
		}
		out[s] = ed
	}
	return out
}

// digestChart draws the digest's chart with bot/chart.
type digestChart struct{}

func (digestChart) Findings(days []digest.Day, o digest.ChartOptions) ([]byte, error) {
	in := make([]chart.Day, len(days))
	for i, d := range days {
		in[i] = chart.Day(d)
	}
	return chart.Findings(in, chart.Options{Title: o.Title, Location: o.Location})
}

// digestUploader shares the chart through the outbox's upload flow.
type digestUploader struct{ outbox *slackbot.Outbox }

func (u digestUploader) UploadFile(ctx context.Context, f digest.Upload) (bot.FileRef, error) {
	return u.outbox.UploadFile(ctx, slackbot.Upload(f))
}
