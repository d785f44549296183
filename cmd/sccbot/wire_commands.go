package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sccbot/sccbot/bot/scc"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/commands"
	"github.com/sccbot/sccbot/handlers/digest"
	"github.com/sccbot/sccbot/handlers/respond"
)

// digests builds the scheduled digests from the configuration.
func (a *app) digests(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) (*digest.Digests, error) {
	var scheds []digest.Schedule
	for _, s := range cfg.Digests.Schedules {
		scheds = append(scheds, digest.Schedule{Name: s.Name, Channel: s.Channel, Spec: s.Schedule(),
			Location: s.Location(), Period: time.Duration(s.Period)})
	}
	d, err := digest.NewDigests(a.store, a.store, a.outbox, scheds, digest.Options{
		Grace:   time.Duration(cfg.Digests.Grace),
		Limits:  digest.Limits{Top: cfg.Digests.Top, Unacknowledged: cfg.Digests.Unacknowledged},
		Sources: digest.Sources{AckTimes: a.store, Verdicts: a.store, Deadlines: a.store},
		Chart:   digestChart{}, Uploader: digestUploader{a.outbox}, Metrics: digest.NewMetrics(reg),
		Logger: log.With("component", "digests")})
	if err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	return d, nil
}

// commands wires the Acknowledge button and /finding.
func (a *app) commands(cfg *config.Config, d deps, inv investigations, flow *respond.Flow, mux *handlers.Mux, log *slog.Logger) {
	acks := respond.NewAckFlow(a.store, a.store, a.outbox, a.store, respond.AckOptions{Logger: log.With("component", "ack")})
	acks.Register(mux, a.cards)
	commands.NewCommands(commands.CommandDeps{
		Store: a.store, Stats: a.store, Chat: a.outbox, Cards: a.cards,
		Related: inv.related, Logs: inv.logs,
		Attack: d.attack, Notice: d.attack.Notice(), Enum: scc.AttackID,
		Acks: acks, Respond: flow, Unmute: d.scc, Audit: a.store,
		Silences: a.silences, Digests: a.digest, Location: cfg.Display.Location(),
		Logger: log.With("component", "commands"),
	}).Register(mux)
}
