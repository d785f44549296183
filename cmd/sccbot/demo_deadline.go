package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// demoClock is the demo's time: the real one, moved on when the demo
// skips ahead to show what happens to a card nobody acknowledges.
type demoClock struct{ ahead atomic.Int64 }

func (c *demoClock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

func (c *demoClock) skip(d time.Duration) { c.ahead.Add(int64(d)) }

// deadlines lets the urgent CRITICAL card sit unacknowledged: 16 minutes
// on, the escalator reminds the on-call group in its thread; 31 minutes
// on, it escalates and pages the owner. Then the weekday digest is posted
// with its chart.
func (d *demo) deadlines(ctx context.Context) error {
	urgent, err := d.card(ctx, "#secops-urgent")
	if err != nil {
		return err
	}
	for _, step := range []struct {
		skip time.Duration
		want string
	}{{16 * time.Minute, "nobody has acknowledged"}, {15 * time.Minute, "Escalated"}} {
		d.clock.skip(step.skip)
		d.app.deadline.Tick(ctx)
		if _, err := d.replyWith(ctx, urgent, step.want); err != nil {
			return err
		}
	}
	// The escalation's page is a request of the bot's own, shown in the
	// thread like any other once it has run.
	if _, err := d.fakes.slack.WaitReply(ctx, urgent.Channel, urgent.TS, func(_ int, m slackfake.Message) bool {
		text := m.Text + string(m.Blocks)
		return strings.Contains(text, "requested by sccbot") && strings.Contains(text, "✅")
	}); err != nil {
		return fmt.Errorf("the escalation's page is not shown as done: %w", err)
	}
	if _, err := d.fakes.slack.WaitMessage(ctx, urgent.Channel, urgent.TS, func(m slackfake.Message) bool {
		return strings.Contains(m.Text+string(m.Blocks), "Escalated")
	}); err != nil {
		return fmt.Errorf("the card does not show the escalation: %w", err)
	}
	return d.app.digest.PostRun(ctx, "weekdays", d.clock.Now().Truncate(time.Minute))
}

// card returns the first card of a channel.
func (d *demo) card(ctx context.Context, channel string) (m slackfake.Message, err error) {
	msgs, err := d.fakes.slack.WaitMessages(ctx, d.fakes.slack.ChannelID(channel), 1)
	if err != nil {
		return m, fmt.Errorf("the card in %s: %w", channel, err)
	}
	return msgs[0], nil
}
