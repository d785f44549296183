package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/handlers"
)

//go:embed demo.yaml
var demoConfig []byte

// demoFinding is a finding the demo publishes.
type demoFinding struct {
	key  string
	json []byte
}

// cmdDemo runs the whole bot against the built-in fakes: SCC publishes the
// three seed findings to Pub/Sub (one of them twice, as Pub/Sub may
// redeliver) together with a malformed message, the poller finds the same
// findings in SCC, and the transcript shows that each finding reached its
// routed channel exactly once.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sccbot demo [-v]", stderr)
	verbose := fs.Bool("v", false, "show the bot's log on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	d, err := newDemo(ctx, *verbose, stderr)
	if err != nil {
		return err
	}
	defer d.close()
	return d.play(ctx, stdout)
}

type demo struct {
	clock  demoClock
	fakes  *fakes
	app    *app
	reg    *prometheus.Registry
	dir    string
	cancel context.CancelFunc
	done   chan error
}

func newDemo(ctx context.Context, verbose bool, stderr io.Writer) (*demo, error) {
	cfg, err := config.Load(demoConfig)
	if err != nil {
		return nil, fmt.Errorf("demo config: %w", err)
	}
	d := &demo{reg: prometheus.NewRegistry()}
	if d.dir, err = os.MkdirTemp("", "sccbot-demo-"); err != nil {
		return nil, err
	}
	cfg.Store.Path = filepath.Join(d.dir, "sccbot.db")
	if d.fakes, err = startFakes(ctx, cfg.Sources.PubSub.Subscription); err != nil {
		d.close()
		return nil, err
	}
	log := slog.New(slog.DiscardHandler)
	if verbose {
		log = newLogger(stderr, "debug", "text")
	}
	d.addPeople()
	if d.app, err = newApp(ctx, cfg, d.fakes.env(), log, d.reg, withClock(d.clock.Now)); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *demo) play(ctx context.Context, stdout io.Writer) error {
	findings := d.seed()
	runCtx, cancel := context.WithCancel(ctx)
	d.cancel, d.done = cancel, make(chan error, 1)
	go func() { d.done <- d.app.Run(runCtx) }()
	if err := d.fakes.slack.WaitConnected(ctx); err != nil {
		return fmt.Errorf("the bot did not connect to the fake Slack: %w", err)
	}
	for _, f := range findings {
		d.fakes.publish(f.json)
	}
	d.fakes.publish(findings[0].json) // a redelivery
	d.fakes.publish([]byte(`{"notificationConfigName": "x", "finding": {`))
	if err := d.waitForCards(ctx, len(findings)); err != nil {
		return err
	}
	if err := d.clickButtons(ctx); err != nil {
		return err
	}
	if err := d.respond(ctx); err != nil {
		return err
	}
	if err := d.deadlines(ctx); err != nil {
		return err
	}
	d.printTranscript(stdout, findings)
	d.printEffects(stdout)
	return d.stop()
}

// demoButtons are clicked on every card, in order, by a responder.
var demoButtons = []string{handlers.ActionRelated, handlers.ActionLogs, handlers.ActionAttack, handlers.ActionPlaybook}

// clickButtons presses each investigation button on each card, as a
// responder would, and waits for every answer in the cards' threads.
func (d *demo) clickButtons(ctx context.Context) error {
	for _, ch := range d.fakes.slack.Channels() {
		for _, card := range d.fakes.slack.Messages(ch) {
			for _, action := range demoButtons {
				p := d.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: "U0ALICE", UserName: "alice",
					Channel: card.Channel, MessageTS: card.TS, ActionID: action})
				if _, err := d.fakes.slack.SendAndWaitAck(ctx, "interactive", p); err != nil {
					return fmt.Errorf("click %s: %w", action, err)
				}
			}
			if _, err := d.fakes.slack.WaitThread(ctx, card.Channel, card.TS, len(demoButtons)); err != nil {
				return fmt.Errorf("answers on %s: %w", card.TS, err)
			}
		}
	}
	return nil
}

// seed makes fresh copies of the seed findings (event times a few minutes
// ago, so the poller's lookback covers them) and puts them in the SCC fake
// as well, so both sources deliver each finding.
func (d *demo) seed() []demoFinding {
	var out []demoFinding
	now := time.Now().UTC().Truncate(time.Second)
	for i, key := range []string{sccfake.SeedGKECompiler, sccfake.SeedCloudRunCompiler, sccfake.SeedCloudRunMaliciousBinary} {
		raw, _ := sccfake.SeedJSON(key)
		at := now.Add(-time.Duration(10-i) * time.Minute)
		raw = sccfake.WithEventTime(raw, at)
		_ = d.fakes.scc.AddNotification(raw)
		d.fakes.logging.AddEntries(loggingfake.SeedEntries(key, at)...)
		out = append(out, demoFinding{key: key, json: raw})
	}
	// An earlier finding on the same pod, for the Related findings button.
	earlier, _ := sccfake.SeedJSON(sccfake.SeedGKECompiler)
	earlier = sccfake.WithEventTime(sccfake.WithFindingID(earlier, "4e61c0de0b1d4c2a9e8f7a6b5c4d3e2f"), now.Add(-3*time.Hour))
	_ = d.fakes.scc.AddNotification(earlier)
	return out
}

// waitForCards waits until every finding has its card and the duplicate
// and the malformed message have been dealt with.
func (d *demo) waitForCards(ctx context.Context, n int) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		posted := counterSum(d.reg, "sccbot_findings_posted_total")
		dupes := counterSum(d.reg, "sccbot_findings_duplicate_total")
		malformed := counterSum(d.reg, "sccbot_messages_malformed_total")
		if posted >= float64(n) && dupes >= 1 && malformed >= 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo timed out: %v cards posted of %d", posted, n)
		case <-tick.C:
		}
	}
}

func (d *demo) printTranscript(w io.Writer, findings []demoFinding) {
	fmt.Fprintln(w, "sccbot demo: the bot ran against fakes of Slack, Pub/Sub and Security Command Center.")
	fmt.Fprintf(w, "SCC published %d findings to Pub/Sub, one of them twice, plus a malformed message;\n", len(findings))
	fmt.Fprintln(w, "the poller found the same findings through the SCC API. A responder then clicked")
	fmt.Fprintln(w, "Related findings, Logs, ATT&CK and Playbook on each card; the answers are in the threads.")
	fmt.Fprintln(w, "On the GKE card alice collected evidence (the executed binary, checked against the finding's")
	fmt.Fprintln(w, "SHA-256, the pod's spec and logs, into the evidence bucket), then asked to isolate the pod;")
	fmt.Fprintln(w, "bob approved both. On the urgent Cloud Run")
	fmt.Fprintln(w, "card alice paged the project's owners. Then alice typed /finding list since=24h and")
	fmt.Fprintln(w, "/finding digest in #secops: the answers, shown to her alone, are at the end of #secops.")
	fmt.Fprintln(w, "Nobody acknowledged the urgent CRITICAL card: the demo's clock skipped 16 minutes (the")
	fmt.Fprintln(w, "escalator reminded the on-call group in its thread) and 15 more (it escalated and paged the")
	fmt.Fprintln(w, "owner); the card shows its clock. Last, the weekday digest was posted in #secops with its chart.")
	for _, ch := range []string{"#secops-gke", "#secops-urgent", "#secops"} {
		fmt.Fprintln(w)
		fmt.Fprint(w, d.fakes.slack.Transcript(d.fakes.slack.ChannelID(ch)))
	}
	fmt.Fprintf(w, "\n---- what the bot counted ----\n")
	for _, m := range []struct{ label, name string }{
		{"findings received", "sccbot_findings_received_total"},
		{"cards posted", "sccbot_findings_posted_total"},
		{"duplicates skipped", "sccbot_findings_duplicate_total"},
		{"malformed messages", "sccbot_messages_malformed_total"},
	} {
		fmt.Fprintf(w, "%-20s %v\n", m.label, counterSum(d.reg, m.name))
	}
}

func (d *demo) stop() error {
	d.cancel()
	err := <-d.done
	d.cancel = nil
	return err
}

func (d *demo) close() {
	if d.cancel != nil {
		_ = d.stop()
	}
	if d.fakes != nil {
		d.fakes.close()
	}
	if d.dir != "" {
		_ = os.RemoveAll(d.dir)
	}
}

// counterSum adds up every series of a counter in reg.
func counterSum(reg prometheus.Gatherer, name string) float64 {
	families, err := reg.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += metricValue(m)
		}
	}
	return sum
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	}
	return 0
}
