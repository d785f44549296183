package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// Store is what the intake needs from the store: the finding itself,
// which notifications were handled, and where each finding's card is.
type Store interface {
	PutFinding(ctx context.Context, f bot.Finding) error
	// Sighting says whether the notification was handled, and the
	// stored finding's status and own card, at once.
	Sighting(ctx context.Context, key bot.NotificationKey) (bot.Sighting, error)
	MarkNotification(ctx context.Context, key bot.NotificationKey, outcome string) error
	Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error)
	// PutPostedCard records the card and marks the notification that
	// posted it, all or nothing.
	PutPostedCard(ctx context.Context, key bot.NotificationKey, ref bot.MessageRef, outcome string) error
	BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error)
	Intent(ctx context.Context, key string) (bot.PostIntent, bool, error)
	OweIntent(ctx context.Context, key string) error
}

// SilenceMatcher finds the silence, if any, that keeps a finding off chat.
type SilenceMatcher interface {
	Matching(ctx context.Context, f bot.Finding) (bot.Silence, bool, error)
}

// Intake turns each new finding notification into what people should see:
// a card, a line in a group's thread, a note on the existing card when the
// finding changed, or nothing when it is a duplicate or silenced. It
// dedupes against the store and records every outcome, so nothing is
// posted twice across redeliveries and restarts.
type Intake struct {
	store    Store
	groups   GroupStore
	silences SilenceMatcher
	poster   handlers.Poster
	router   *Router
	cards    *handlers.Cards
	log      *slog.Logger
	metrics  *Metrics
	locks    handlers.KeyedMutex
	now      func() time.Time
}

// Options are the optional collaborators of an Intake.
type Options struct {
	// Groups enables grouping on routes whose rule has a window.
	Groups GroupStore
	// Silences keeps matching findings off chat.
	Silences SilenceMatcher
	Logger   *slog.Logger
	Metrics  *Metrics
	Now      func() time.Time
}

// NewIntake returns an Intake that posts cards built by cards.
func NewIntake(store Store, poster handlers.Poster, router *Router, cards *handlers.Cards, opts Options) *Intake {
	in := &Intake{store: store, poster: poster, router: router, cards: cards, groups: opts.Groups,
		silences: opts.Silences, log: opts.Logger, metrics: opts.Metrics, now: opts.Now}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	if in.metrics == nil {
		in.metrics = NewMetrics(nil)
	}
	if in.now == nil {
		in.now = time.Now
	}
	return in
}

// Handle processes one notification. It returns nil when the notification
// is dealt with (now or before) and an error when it is not, so that the
// source delivers it again. Notifications of the same finding are handled
// one at a time.
func (in *Intake) Handle(ctx context.Context, f bot.Finding) error {
	if f.Name == "" {
		return bot.Errorf(bot.EInvalid, "the finding has no name")
	}
	defer in.locks.Lock(f.Name)()
	seen, err := in.store.Sighting(ctx, f.Key())
	if err != nil {
		return fmt.Errorf("check notification: %w", err)
	}
	handled, old, known := seen.Handled, seen.Status, seen.Known
	change := known && !f.EventTime.Before(old.EventTime) && describeChange(old, f.Status()) != ""
	if handled && !change {
		in.metrics.duplicates.Inc()
		return nil
	}
	if known && f.EventTime.Before(old.EventTime) {
		return in.mark(ctx, f, handlers.OutcomeStale) // a late copy of an older notification
	}
	if err := in.store.PutFinding(ctx, f); err != nil {
		return fmt.Errorf("save finding: %w", err)
	}
	if change {
		return in.lifecycle(ctx, old, f, seen.Card)
	}
	return in.route(ctx, f, seen.Card)
}

// route handles a notification that is new and not a change: a
// recurrence of a finding already shown, a silenced finding, or a new one.
// card is the finding's own card, as the store had it.
func (in *Intake) route(ctx context.Context, f bot.Finding, card bot.MessageRef) error {
	at, err := in.shownAt(ctx, f.Name, card)
	if err != nil {
		return err
	}
	if at.shown {
		return in.recur(ctx, f, at.ref)
	}
	if in.silences != nil {
		s, ok, err := in.silences.Matching(ctx, f)
		if err != nil {
			return fmt.Errorf("check silences: %w", err)
		}
		if ok {
			in.metrics.silenced.Inc()
			in.log.Info("finding silenced", "finding", f.Name, "silence", s.ID)
			return in.mark(ctx, f, handlers.OutcomeSilenced)
		}
	}
	d := in.router.Decide(f)
	if at.breakout != nil {
		return in.breakout(ctx, f, d, *at.breakout, nil)
	}
	if in.groups != nil && d.Group.Window > 0 {
		return in.grouped(ctx, f, d)
	}
	_, err = in.announce(ctx, f, d)
	return err
}

// showing is where a finding is shown, if anywhere.
type showing struct {
	ref   bot.MessageRef
	shown bool
	// breakout is set for a member of a group whose own card is due: it
	// broke out of the group (it is counted there and never listed) but
	// its card was not posted, the post failing or its replica dying
	// first. Its redelivery posts the card; joining would hide it.
	breakout *bot.Group
}

// shownAt returns where the finding is shown: its own card (card, read
// with the notification's sighting), or the card of the group it belongs
// to.
func (in *Intake) shownAt(ctx context.Context, name string, card bot.MessageRef) (showing, error) {
	if !card.Empty() {
		return showing{ref: card, shown: true}, nil
	}
	if in.groups == nil {
		return showing{}, nil
	}
	g, ok, err := in.groups.GroupOf(ctx, name)
	if err != nil {
		return showing{}, fmt.Errorf("look up group: %w", err)
	}
	if !ok {
		return showing{}, nil
	}
	_, due, err := in.store.Intent(ctx, bot.CardKey(name))
	switch {
	case err != nil:
		return showing{}, fmt.Errorf("look up card intent: %w", err)
	case due && g.Representative != name:
		return showing{breakout: &g}, nil
	case due || g.Card.Empty():
		// A group whose card is not posted yet shows nothing: its
		// representative's redelivery posts the card.
		return showing{}, nil
	}
	return showing{ref: g.Card, shown: true}, nil
}

// announce posts the finding's card, records where it went and marks the
// notification handled. The card's intent is recorded first: if a crash
// comes between the post and its record, the redelivery finds the intent
// and the poster looks for the card in the channel before posting again.
// A severe card the channel cannot take in time is named in a burst
// message first; it is then owed (ErrDeferred), and posted by Owed later.
func (in *Intake) announce(ctx context.Context, f bot.Finding, d Decision) (bot.MessageRef, error) {
	b, err := in.begin(ctx, f, d)
	if err != nil {
		return bot.MessageRef{}, err
	}
	return in.post(ctx, f, d, b)
}

// begun is a card's intent as recorded, and whether it was open already
// (a crash, or a dead replica, left it between the post and its record).
type begun struct {
	intent  bot.PostIntent
	existed bool
}

// begin records the intent of f's card.
func (in *Intake) begin(ctx context.Context, f bot.Finding, d Decision) (begun, error) {
	intent, existed, err := in.store.BeginIntent(ctx, bot.PostIntent{Key: bot.CardKey(f.Name), Channel: d.Channel, Finding: f.Name})
	if err != nil {
		return begun{}, fmt.Errorf("record intent: %w", err)
	}
	return begun{intent: intent, existed: existed}, nil
}

// post posts f's card under its recorded intent: see announce.
func (in *Intake) post(ctx context.Context, f bot.Finding, d Decision, b begun) (bot.MessageRef, error) {
	intent, existed := b.intent, b.existed
	if intent.Owed {
		return bot.MessageRef{}, in.deferred(ctx, f, intent.Channel)
	}
	msg, err := in.cards.Build(ctx, f)
	if err != nil {
		return bot.MessageRef{}, err
	}
	msg.Key, msg.Priority, msg.Brief = bot.CardKey(f.Name), cardPriority(f), brief(f)
	if existed {
		msg.Resume = intent.Created
		in.metrics.resumed.Inc()
	}
	ref, err := in.postWithFallback(ctx, intent.Channel, msg)
	if errors.Is(err, bot.ErrDeferred) {
		if err := in.store.OweIntent(ctx, intent.Key); err != nil {
			return bot.MessageRef{}, fmt.Errorf("owe card: %w", err)
		}
		return bot.MessageRef{}, in.deferred(ctx, f, intent.Channel)
	}
	if err != nil {
		in.metrics.failures.Inc()
		in.releaseClaim(ctx, intent.Key)
		return bot.MessageRef{}, fmt.Errorf("post card of %s to %s: %w", f.Name, d.Channel, err)
	}
	if err := in.store.PutPostedCard(ctx, f.Key(), ref, handlers.OutcomePosted); err != nil {
		// The card is on Slack but the store does not know; the intent
		// stays open, so the redelivery looks for the card before posting.
		return bot.MessageRef{}, fmt.Errorf("record card %s: %w", ref.TS, err)
	}
	in.metrics.posted.WithLabelValues(d.Route).Inc()
	in.log.Info("finding posted", "finding", f.Name, "category", f.Category, "finding_severity", f.Severity.String(),
		"route", d.Route, "channel", ref.Channel, "ts", ref.TS)
	return ref, nil
}

// releaseTimeout bounds the release of a claim after a failed post, which
// may come as the process shuts down.
const releaseTimeout = 2 * time.Second

// claimReleaser is a store whose post intents are claims between
// replicas (see bot/replica).
type claimReleaser interface {
	ReleaseIntent(ctx context.Context, key string) error
}

// releaseClaim lets go of the claim of a card this replica could not post,
// so that whichever replica the notification is redelivered to posts it
// (looking for it in the channel first) instead of waiting for this one.
func (in *Intake) releaseClaim(ctx context.Context, key string) {
	r, ok := in.store.(claimReleaser)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := r.ReleaseIntent(ctx, key); err != nil {
		in.log.Warn("claim not released; other replicas take it over once this one is dead", "key", key, "err", err)
	}
}

// deferred records that f was named in a burst message and its card is
// owed. The notification is handled: Owed posts the card.
func (in *Intake) deferred(ctx context.Context, f bot.Finding, channel string) error {
	in.metrics.deferred.Inc()
	in.log.Info("finding named in a burst; card owed", "finding", f.Name, "channel", channel)
	return in.mark(ctx, f, handlers.OutcomeDeferred)
}

// cardPriority puts severe findings ahead of everything else a channel
// waits to say, and other cards after listings: a group's members are
// named in the channel's storm thread while its card waits.
func cardPriority(f bot.Finding) bot.Priority {
	if f.Severity >= bot.SeverityHigh {
		return bot.PrioritySevere
	}
	return bot.PriorityLow
}

// brief is the line that names f in a burst message: severity, category,
// place and short id.
func brief(f bot.Finding) bot.Rich {
	return bot.R(bot.B(f.Severity.Label()), bot.T(" · "+handlers.Clip(f.Category, 70)+" · "+handlers.Clip(handlers.WhereOf(f), 80)+" · "), bot.M(f.ShortID()))
}

func (in *Intake) mark(ctx context.Context, f bot.Finding, outcome string) error {
	if err := in.store.MarkNotification(ctx, f.Key(), outcome); err != nil {
		return fmt.Errorf("mark notification: %w", err)
	}
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

// recur records a new notification of a finding that is already shown, as
// a reply in its card's thread.
func (in *Intake) recur(ctx context.Context, f bot.Finding, card bot.MessageRef) error {
	msg := recurrence(f)
	msg.Key = fmt.Sprintf("recur/%s/%d", f.Name, f.EventTime.UnixNano())
	if _, err := in.poster.Reply(ctx, card, msg); err != nil {
		in.metrics.failures.Inc()
		return fmt.Errorf("reply to card of %s: %w", f.Name, err)
	}
	if err := in.mark(ctx, f, handlers.OutcomeThreaded); err != nil {
		return err
	}
	in.metrics.threaded.Inc()
	return nil
}

func recurrence(f bot.Finding) bot.Message {
	text := bot.R(bot.T("SCC notified "), bot.M(f.ShortID()), bot.T(" again: event time "+handlers.FormatTime(f.EventTime)+", state "+handlers.StateLabel(f)+", severity "),
		bot.B(f.Severity.Label()), bot.T("."))
	m := bot.Message{Text: "Finding notified again at " + handlers.FormatTime(f.EventTime)}
	m.Blocks = append(m.Blocks, bot.Section{Text: text})
	m.Blocks = append(m.Blocks, handlers.ProcessBlocks(f)...)
	return m
}
