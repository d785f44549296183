package handlers

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sccbot/sccbot/bot"
)

// Poster puts messages in chat. Post and Reply block until the message is
// posted (the poster paces and retries as the platform requires) or ctx
// ends.
type Poster interface {
	Post(ctx context.Context, channel string, m bot.Message) (bot.MessageRef, error)
	Reply(ctx context.Context, parent bot.MessageRef, m bot.Message) (bot.MessageRef, error)
}

// IntakeStore is what the intake needs from the store: the finding itself,
// which notifications were handled, and where each finding's card is.
type IntakeStore interface {
	PutFinding(ctx context.Context, f bot.Finding) error
	NotificationHandled(ctx context.Context, key bot.NotificationKey) (bool, error)
	MarkNotification(ctx context.Context, key bot.NotificationKey, outcome string) error
	Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error)
	PutCard(ctx context.Context, findingName string, ref bot.MessageRef) error
}

// Notification outcomes recorded in the store.
const (
	OutcomePosted   = "posted"
	OutcomeThreaded = "threaded"
)

// Intake turns each new finding notification into exactly one card: it
// dedupes against the store, routes, renders and posts, and records the
// card. A notification of a finding that already has a card (SCC moved its
// event time because the activity recurred) becomes a reply in the card's
// thread instead of a second card.
type Intake struct {
	store   IntakeStore
	poster  Poster
	router  *Router
	cards   *Cards
	log     *slog.Logger
	metrics *IntakeMetrics
	locks   keyedMutex
}

// IntakeOptions are the optional collaborators of an Intake.
type IntakeOptions struct {
	Logger  *slog.Logger
	Metrics *IntakeMetrics
}

// NewIntake returns an Intake that posts cards built by cards.
func NewIntake(store IntakeStore, poster Poster, router *Router, cards *Cards, opts IntakeOptions) *Intake {
	in := &Intake{store: store, poster: poster, router: router, cards: cards, log: opts.Logger, metrics: opts.Metrics}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	if in.metrics == nil {
		in.metrics = NewIntakeMetrics(nil)
	}
	return in
}

// Handle processes one notification. It returns nil when the finding is on
// Slack (now or before) and an error when it is not, so that the source
// delivers the notification again. Notifications of the same finding are
// handled one at a time.
func (in *Intake) Handle(ctx context.Context, f bot.Finding) error {
	if f.Name == "" {
		return bot.Errorf(bot.EInvalid, "the finding has no name")
	}
	defer in.locks.lock(f.Name)()
	key := f.Key()
	handled, err := in.store.NotificationHandled(ctx, key)
	if err != nil {
		return fmt.Errorf("check notification: %w", err)
	}
	if handled {
		in.metrics.duplicates.Inc()
		return nil
	}
	if err := in.store.PutFinding(ctx, f); err != nil {
		return fmt.Errorf("save finding: %w", err)
	}
	ref, ok, err := in.store.Card(ctx, f.Name)
	if err != nil {
		return fmt.Errorf("look up card: %w", err)
	}
	if ok {
		return in.recur(ctx, f, ref)
	}
	return in.announce(ctx, f)
}

// announce posts the finding's card and records where it went.
func (in *Intake) announce(ctx context.Context, f bot.Finding) error {
	channel, route := in.router.Route(f)
	msg, err := in.cards.Build(ctx, f)
	if err != nil {
		return err
	}
	msg.Key = "card/" + f.Name
	ref, err := in.postWithFallback(ctx, channel, msg)
	if err != nil {
		in.metrics.failures.Inc()
		return fmt.Errorf("post card of %s to %s: %w", f.Name, channel, err)
	}
	if err := in.store.PutCard(ctx, f.Name, ref); err != nil {
		// The card is on Slack but the store does not know: a redelivery
		// would post it again. Say so loudly; there is nothing else to do.
		in.log.Error("card posted but not recorded", "finding", f.Name, "channel", ref.Channel, "ts", ref.TS, "err", err)
		return fmt.Errorf("record card: %w", err)
	}
	if err := in.store.MarkNotification(ctx, f.Key(), OutcomePosted); err != nil {
		return fmt.Errorf("mark notification: %w", err)
	}
	in.metrics.posted.WithLabelValues(route).Inc()
	in.log.Info("finding posted", "finding", f.Name, "category", f.Category, "severity", f.Severity.String(),
		"route", route, "channel", ref.Channel, "ts", ref.TS)
	return nil
}

// postWithFallback posts to channel and, when that channel cannot take the
// card (unknown, archived, the bot not a member), to the default channel
// with a note, so that a routing mistake never hides a finding.
func (in *Intake) postWithFallback(ctx context.Context, channel string, msg bot.Message) (bot.MessageRef, error) {
	ref, err := in.poster.Post(ctx, channel, msg)
	if err == nil || !channelProblem(err) || channel == in.router.defaultChannel {
		return ref, err
	}
	in.log.Warn("route channel refused the card; using the default channel", "channel", channel, "err", err)
	in.metrics.fallbacks.Inc()
	note := bot.Context{Elements: []bot.Rich{bot.R(
		bot.I("Posted here because channel "), bot.M(channel), bot.I(" refused it: "+bot.ErrorMessage(err)))}}
	msg.Blocks = append(msg.Blocks, note)
	return in.poster.Post(ctx, in.router.defaultChannel, msg)
}

func channelProblem(err error) bool {
	switch bot.ErrorCode(err) {
	case bot.ENotFound, bot.EPermission:
		return true
	}
	return false
}

// recur records a new notification of a finding that already has a card,
// as a reply in its thread.
func (in *Intake) recur(ctx context.Context, f bot.Finding, card bot.MessageRef) error {
	msg := recurrence(f)
	msg.Key = fmt.Sprintf("recur/%s/%d", f.Name, f.EventTime.UnixNano())
	if _, err := in.poster.Reply(ctx, card, msg); err != nil {
		in.metrics.failures.Inc()
		return fmt.Errorf("reply to card of %s: %w", f.Name, err)
	}
	if err := in.store.MarkNotification(ctx, f.Key(), OutcomeThreaded); err != nil {
		return fmt.Errorf("mark notification: %w", err)
	}
	in.metrics.threaded.Inc()
	return nil
}

func recurrence(f bot.Finding) bot.Message {
	text := bot.R(bot.T("SCC notified this finding again: event time "+formatTime(f.EventTime)+", state "+stateLabel(f)+", severity "),
		bot.B(f.Severity.Label()), bot.T("."))
	m := bot.Message{Text: "Finding notified again at " + formatTime(f.EventTime)}
	m.Blocks = append(m.Blocks, bot.Section{Text: text})
	m.Blocks = append(m.Blocks, processBlocks(f)...)
	return m
}
