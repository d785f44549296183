package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sccbot/sccbot/bot"
)

// CardStore is what cards need from the store.
type CardStore interface {
	Finding(ctx context.Context, name string) (bot.Finding, error)
	Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error)
	// Intent tells a card being posted (open intent, no record yet)
	// from a finding that has no card.
	Intent(ctx context.Context, key string) (bot.PostIntent, bool, error)
}

// Updater replaces a posted message.
type Updater interface {
	Update(ctx context.Context, ref bot.MessageRef, m bot.Message) error
}

// CardNotes adds lines to a finding's card: who acknowledged it, what was
// done. Capabilities register one each.
type CardNotes func(ctx context.Context, f bot.Finding) ([]bot.Rich, error)

// Cards builds finding cards and keeps posted cards current. A card is a
// function of the stored finding and its state, so it can be rebuilt at
// any time and shows the same thing whoever rebuilds it.
type Cards struct {
	store   CardStore
	chat    Updater
	attack  AttackCatalog
	tracker *Tracker
	buttons []CardButtons
	notes   []CardNotes
	groups  GroupReader
	locks   KeyedMutex
	lock    CardLocker
	log     *slog.Logger

	retry   retryPolicy
	givenUp prometheus.Counter
	now     func() time.Time

	mu      sync.Mutex
	dirty   []string        // cards to refresh, oldest first
	queued  map[string]bool // names in dirty
	shown   map[string][sha256.Size]byte
	retries map[string]*retrying // cards whose refresh waits to be tried again
	wake    chan struct{}
}

// CardsOptions are the optional collaborators of Cards.
type CardsOptions struct {
	// Attack names techniques on cards; nil leaves their names out.
	Attack AttackCatalog
	// Tracker is the work in progress cards show; nil starts an empty one.
	Tracker *Tracker
	// Groups makes the cards of group representatives show their group.
	Groups GroupReader
	// Logger is where refresh failures are logged.
	Logger *slog.Logger
	// Lock makes replicas that refresh the same card take turns (each
	// renders inside its turn, so the last write is of the latest state);
	// nil, for one replica, needs no turns.
	Lock CardLocker
	// RetryAfter is the first pause before a refresh is tried again
	// (1s); each further try doubles it, up to 30 times as long.
	RetryAfter time.Duration
	// Registry receives the count of refreshes given up; nil keeps it
	// private.
	Registry prometheus.Registerer
}

// CardLocker runs fn while holding a card's lock across replicas.
type CardLocker interface {
	WithCardLock(ctx context.Context, key string, fn func(context.Context) error) error
}

// NewCards returns Cards writing through chat.
func NewCards(store CardStore, chat Updater, opts CardsOptions) *Cards {
	if opts.Tracker == nil {
		opts.Tracker = NewTracker()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	givenUp := prometheus.NewCounter(prometheus.CounterOpts{Name: "sccbot_card_refreshes_given_up_total",
		Help: "Card refreshes abandoned after repeated failures; the card shows an older state until its next change."})
	opts.Registry.MustRegister(givenUp)
	return &Cards{store: store, chat: chat, attack: opts.Attack, tracker: opts.Tracker, groups: opts.Groups,
		log: opts.Logger, lock: opts.Lock, retry: retryPolicy{first: opts.RetryAfter}, givenUp: givenUp, now: time.Now,
		queued: map[string]bool{}, retries: map[string]*retrying{}, wake: make(chan struct{}, 1)}
}

// GroupReader finds the group a finding belongs to.
type GroupReader interface {
	GroupOf(ctx context.Context, findingName string) (bot.Group, bool, error)
}

// Pending is how many cards wait for a refresh.
func (c *Cards) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.dirty)
}

// Touch asks for the card of the named finding to be refreshed soon. It
// never blocks: card updates are cosmetic, Slack allows about 50 a minute,
// and a worker answering a click must not wait for one. Touching a card
// that is already waiting merges into that refresh, which will show the
// state at the time it runs.
func (c *Cards) Touch(findingName string) {
	c.mu.Lock()
	if !c.queued[findingName] {
		c.queued[findingName] = true
		c.dirty = append(c.dirty, findingName)
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run refreshes touched cards, one at a time, until ctx ends.
func (c *Cards) Run(ctx context.Context) error {
	for {
		name, ok := c.next()
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-c.wake:
			}
			continue
		}
		err := c.Refresh(ctx, name)
		if ctx.Err() != nil {
			return nil
		}
		c.settle(name, err)
	}
}

func (c *Cards) next() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dirty) == 0 {
		return "", false
	}
	name := c.dirty[0]
	c.dirty = c.dirty[1:]
	delete(c.queued, name)
	return name, true
}

// AddButtons adds a capability's buttons to every card.
func (c *Cards) AddButtons(b CardButtons) { c.buttons = append(c.buttons, b) }

// AddNotes adds a source of card notes.
func (c *Cards) AddNotes(n CardNotes) { c.notes = append(c.notes, n) }

// Tracker returns the tracker of work in progress shown on cards.
func (c *Cards) Tracker() *Tracker { return c.tracker }

// Build returns the card of f in its current state.
func (c *Cards) Build(ctx context.Context, f bot.Finding) (bot.Message, error) {
	state := CardState{Running: c.tracker.Running(f.Name)}
	if c.groups != nil {
		g, ok, err := c.groups.GroupOf(ctx, f.Name)
		if err != nil {
			return bot.Message{}, fmt.Errorf("card group: %w", err)
		}
		if ok && g.Representative == f.Name && g.Count > 1 {
			state.Group = &g
		}
	}
	for _, n := range c.notes {
		lines, err := n(ctx, f)
		if err != nil {
			return bot.Message{}, fmt.Errorf("card notes: %w", err)
		}
		state.Notes = append(state.Notes, lines...)
	}
	return Card(f, c.attack, c.allButtons, state), nil
}

func (c *Cards) allButtons(f bot.Finding) []bot.Button {
	var out []bot.Button
	for _, b := range c.buttons {
		out = append(out, b(f)...)
	}
	return out
}

// Refresh rebuilds the card of the named finding and replaces the posted
// one. Refreshes of one card are serialised so that the last state wins.
func (c *Cards) Refresh(ctx context.Context, findingName string) error {
	defer c.locks.Lock(findingName)()
	if c.lock == nil {
		return c.refresh(ctx, findingName)
	}
	return c.lock.WithCardLock(ctx, bot.CardKey(findingName), func(ctx context.Context) error {
		return c.refresh(ctx, findingName)
	})
}

// refresh renders the finding's card from the store and writes it.
func (c *Cards) refresh(ctx context.Context, findingName string) error {
	ref, ok, err := c.store.Card(ctx, findingName)
	if err != nil {
		return err
	}
	if !ok {
		return c.noCard(ctx, findingName)
	}
	f, err := c.store.Finding(ctx, findingName)
	if err != nil {
		return fmt.Errorf("reload finding: %w", err)
	}
	m, err := c.Build(ctx, f)
	if err != nil {
		return err
	}
	m.Key = bot.CardKey(findingName)
	// With replicas another may have written the card since this one
	// did, so only one replica alone may trust its memory of the card.
	sum, same := c.unchanged(findingName, m)
	if same && c.lock == nil {
		return nil
	}
	if err := c.chat.Update(ctx, ref, m); err != nil {
		return fmt.Errorf("update card of %s: %w", findingName, err)
	}
	c.remember(findingName, sum)
	return nil
}

// maxRemembered bounds the cards whose last content is remembered; past
// it the memory starts afresh (a card then gets one update it did not
// need).
const maxRemembered = 10_000

// unchanged reports whether m is what this process last wrote on the
// finding's card: chat.update has about 50 calls a minute for the whole
// workspace, and a touch that changes nothing must not spend one.
func (c *Cards) unchanged(findingName string, m bot.Message) ([sha256.Size]byte, bool) {
	b, err := json.Marshal(m)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	sum := sha256.Sum256(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	return sum, c.shown[findingName] == sum
}

func (c *Cards) remember(findingName string, sum [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shown == nil || len(c.shown) >= maxRemembered {
		c.shown = map[string][sha256.Size]byte{}
	}
	c.shown[findingName] = sum
}
