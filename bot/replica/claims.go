package replica

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sccbot/sccbot/bot"
)

// Kinds of claims taken over, the label of sccbot_claim_takeovers_total.
const (
	KindCard    = "card"
	KindListing = "listing"
	KindOwed    = "owed"
	KindAction  = "action"
)

// Metrics is sccbot_claim_takeovers_total{kind}. A nil *Metrics counts
// nothing.
type Metrics struct {
	takeovers *prometheus.CounterVec
}

// NewMetrics creates the counter and registers it with reg (unless nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{takeovers: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sccbot_claim_takeovers_total",
		Help: "Claims of a dead replica taken over by this one, by kind (card, listing, owed, action).",
	}, []string{"kind"})}
	for _, k := range []string{KindCard, KindListing, KindOwed, KindAction} {
		m.takeovers.WithLabelValues(k)
	}
	if reg != nil {
		reg.MustRegister(m.takeovers)
	}
	return m
}

// TakenOver counts one claim of kind taken over.
func (m *Metrics) TakenOver(kind string) {
	if m != nil {
		m.takeovers.WithLabelValues(kind).Inc()
	}
}

// ClaimStore is what Claims needs from the store.
type ClaimStore interface {
	BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error)
	Intent(ctx context.Context, key string) (bot.PostIntent, bool, error)
	AttemptIntent(ctx context.Context, key string) (time.Time, error)
	OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error)
	OwedIntents(ctx context.Context, limit int) ([]bot.PostIntent, error)
	ReleaseIntents(ctx context.Context, holder, prefix string, owed bool) (int64, error)
	ReplicaAlive(ctx context.Context, id string, deadAfter time.Duration) (bool, error)
	TakeOverIntent(ctx context.Context, key, from, to string) (bool, error)
}

// ClaimsOptions configure Claims.
type ClaimsOptions struct {
	// ID is this replica's id (Name).
	ID string
	// DeadAfter is how long a replica may go without a heartbeat before
	// its claims are taken over (DefaultDeadAfter).
	DeadAfter time.Duration
	Metrics   *Metrics
	Logger    *slog.Logger
}

// Claims makes post intents claims between replicas: an intent is held by
// the replica that recorded it, and only the holder posts. It offers the
// store's BeginIntent and AttemptIntent with that rule, so that the use
// cases that post (intake, owed cards, listings) keep calling the same
// methods.
type Claims struct {
	store ClaimStore
	opts  ClaimsOptions
}

// NewClaims returns the claims of replica opts.ID on store.
func NewClaims(store ClaimStore, opts ClaimsOptions) *Claims {
	if opts.DeadAfter <= 0 {
		opts.DeadAfter = DefaultDeadAfter
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Claims{store: store, opts: opts}
}

// BeginIntent records in as held by this replica, unless an intent with
// its key is open. An open intent held by another replica that is alive
// is refused with EUnavailable (that replica is posting it: try again
// later); one held by nobody is claimed, and one held by a dead replica
// taken over, and returned as existing, so that the caller looks for the
// message before posting, as after a restart. An owed intent is returned
// as it is: the owed drainer claims it.
func (c *Claims) BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error) {
	in.Holder = c.opts.ID
	got, existed, err := c.store.BeginIntent(ctx, in)
	if err != nil || !existed || got.Owed {
		return got, existed, err
	}
	if err := c.acquire(ctx, got, kindOf(got.Key)); err != nil {
		return bot.PostIntent{}, false, err
	}
	got.Holder = c.opts.ID
	return got, true, nil
}

// OpenIntents returns the open intents with key prefix that this replica
// holds or has just claimed (held by nobody, or by a dead replica); those
// a live replica holds are left to it.
func (c *Claims) OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error) {
	open, err := c.store.OpenIntents(ctx, prefix)
	if err != nil {
		return nil, err
	}
	mine := open[:0]
	for _, in := range open {
		err := c.acquire(ctx, in, kindOf(in.Key))
		switch {
		case err == nil:
			in.Holder = c.opts.ID
			mine = append(mine, in)
		case bot.ErrorCode(err) != bot.EUnavailable:
			return nil, err
		}
	}
	return mine, nil
}

// HeldElsewhere returns the open intents with key prefix that another
// live replica holds: messages it may be posting right now. Their members
// must not be named by a new message until the holder finishes them or,
// dead, they are taken over (OpenIntents), or a member would be shown
// twice.
func (c *Claims) HeldElsewhere(ctx context.Context, prefix string) ([]bot.PostIntent, error) {
	open, err := c.store.OpenIntents(ctx, prefix)
	if err != nil {
		return nil, err
	}
	alive := map[string]bool{}
	var held []bot.PostIntent
	for _, in := range open {
		if in.Holder == "" || in.Holder == c.opts.ID {
			continue
		}
		live, seen := alive[in.Holder]
		if !seen {
			if live, err = c.store.ReplicaAlive(ctx, in.Holder, c.opts.DeadAfter); err != nil {
				return nil, err
			}
			alive[in.Holder] = live
		}
		if live {
			held = append(held, in)
		}
	}
	return held, nil
}

// OwedIntents returns the owed intents (up to limit, oldest first) that
// this replica may post: its own, nobody's, and those of dead replicas
// (AttemptIntent takes them over). Those a live replica holds are left
// out, so that the drainer does not try, fail and warn about each one
// every pass until the other stops.
func (c *Claims) OwedIntents(ctx context.Context, limit int) ([]bot.PostIntent, error) {
	owed, err := c.store.OwedIntents(ctx, limit)
	if err != nil {
		return nil, err
	}
	alive := map[string]bool{}
	mine := owed[:0]
	for _, in := range owed {
		if in.Holder != "" && in.Holder != c.opts.ID {
			held, seen := alive[in.Holder]
			if !seen {
				if held, err = c.store.ReplicaAlive(ctx, in.Holder, c.opts.DeadAfter); err != nil {
					return nil, err
				}
				alive[in.Holder] = held
			}
			if held {
				continue
			}
		}
		mine = append(mine, in)
	}
	return mine, nil
}

// Release lets go of this replica's open intents with key prefix and the
// owed mark, when it stops running the singleton that posts them, so that
// the next holder of that singleton claims them at once instead of
// waiting for this replica to die.
func (c *Claims) Release(ctx context.Context, prefix string, owed bool) {
	n, err := c.store.ReleaseIntents(ctx, c.opts.ID, prefix, owed)
	if err != nil {
		c.opts.Logger.Warn("intents not released; others take them over once this replica is dead",
			"prefix", prefix, "owed", owed, "err", err)
		return
	}
	if n > 0 {
		c.opts.Logger.Info("released intents", "prefix", prefix, "owed", owed, "count", n)
	}
}

// ReleaseIntent lets go of the intent with key if this replica holds it:
// it failed to post it, and whoever tries next may claim it at once.
func (c *Claims) ReleaseIntent(ctx context.Context, key string) error {
	if _, err := c.store.TakeOverIntent(ctx, key, c.opts.ID, ""); err != nil {
		return fmt.Errorf("release %s: %w", key, err)
	}
	return nil
}

// acquire makes in this replica's: its own already, claimed when nobody
// holds it, taken over when its holder is dead.
func (c *Claims) acquire(ctx context.Context, in bot.PostIntent, kind string) error {
	switch in.Holder {
	case c.opts.ID:
		return nil
	case "":
		return c.claim(ctx, in)
	}
	return c.takeOver(ctx, in, kind)
}

// AttemptIntent claims an owed intent for this replica and records the
// attempt (the store's AttemptIntent). An owed intent is held by nobody
// until a drainer claims it; one held by another drainer that is alive is
// refused with EUnavailable, and one held by a dead drainer taken over.
func (c *Claims) AttemptIntent(ctx context.Context, key string) (time.Time, error) {
	in, ok, err := c.store.Intent(ctx, key)
	if err != nil {
		return time.Time{}, err
	}
	if ok {
		if err := c.acquire(ctx, in, KindOwed); err != nil {
			return time.Time{}, err
		}
	}
	return c.store.AttemptIntent(ctx, key)
}

// takeOver takes in over from its holder if the holder is dead.
func (c *Claims) takeOver(ctx context.Context, in bot.PostIntent, kind string) error {
	alive, err := c.store.ReplicaAlive(ctx, in.Holder, c.opts.DeadAfter)
	if err != nil {
		return err
	}
	if alive {
		return bot.Errorf(bot.EUnavailable, "replica %s is posting %s", in.Holder, in.Key)
	}
	if err := c.claim(ctx, in); err != nil {
		return err
	}
	c.opts.Metrics.TakenOver(kind)
	c.opts.Logger.Info("took over the claim of a dead replica", "key", in.Key, "holder", in.Holder, "kind", kind)
	return nil
}

// claim moves in from its holder to this replica; losing the race to
// another replica is EUnavailable, like meeting a live holder.
func (c *Claims) claim(ctx context.Context, in bot.PostIntent) error {
	ok, err := c.store.TakeOverIntent(ctx, in.Key, in.Holder, c.opts.ID)
	if err != nil {
		return fmt.Errorf("claim %s: %w", in.Key, err)
	}
	if !ok {
		return bot.Errorf(bot.EUnavailable, "another replica claimed %s first", in.Key)
	}
	return nil
}

// kindOf names the kind of claim an intent key is.
func kindOf(key string) string {
	if strings.HasPrefix(key, "list/") {
		return KindListing
	}
	return KindCard
}
