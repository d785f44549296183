package intake

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// OwedStore is what Owed needs from the store.
type OwedStore interface {
	OwedIntents(ctx context.Context, limit int) ([]bot.PostIntent, error)
	AttemptIntent(ctx context.Context, key string) (time.Time, error)
	Finding(ctx context.Context, name string) (bot.Finding, error)
	Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error)
	PutPostedCard(ctx context.Context, key bot.NotificationKey, ref bot.MessageRef, outcome string) error
	EndIntent(ctx context.Context, key string) error
}

// Owed posts the cards that burst messages promised: findings named in a
// burst because they came faster than their channel's pace. Each card
// waits at the lowest priority, so it takes only the pace that nothing
// else needs, and survives a restart in the store; a card whose post may
// have landed before a crash is looked for before it is posted again.
type Owed struct {
	store   OwedStore
	poster  handlers.Poster
	cards   *handlers.Cards
	every   time.Duration
	log     *slog.Logger
	metrics *Metrics

	mu       sync.Mutex
	inFlight map[string]bool
	// failing counts the failed attempts of each owed card still failing:
	// its first failure is logged with its cause, the next only counted,
	// and its eventual post says how many it took.
	failing map[string]int
	wg      sync.WaitGroup
}

// OwedOptions are the optional settings of Owed.
type OwedOptions struct {
	// Every is how often the store is read for owed cards (1s).
	Every   time.Duration
	Logger  *slog.Logger
	Metrics *Metrics
}

// owedBatch bounds the owed cards handed to the poster at once; the
// poster queues them per channel behind everything more urgent.
const owedBatch = 200

// NewOwed returns an Owed posting cards built by cards.
func NewOwed(store OwedStore, poster handlers.Poster, cards *handlers.Cards, opts OwedOptions) *Owed {
	o := &Owed{store: store, poster: poster, cards: cards, every: opts.Every, log: opts.Logger,
		metrics: opts.Metrics, inFlight: map[string]bool{}, failing: map[string]int{}}
	if o.every <= 0 {
		o.every = time.Second
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.metrics == nil {
		o.metrics = NewMetrics(nil)
	}
	return o
}

// Run posts owed cards until ctx ends, then waits for the posts under way
// (they end with ctx: what is not posted stays owed in the store).
func (o *Owed) Run(ctx context.Context) error {
	defer o.wg.Wait()
	tick := time.NewTicker(o.every)
	defer tick.Stop()
	for {
		o.Flush(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Flush hands every owed card not already under way to the poster.
func (o *Owed) Flush(ctx context.Context) {
	owed, err := o.store.OwedIntents(ctx, owedBatch)
	if err != nil {
		o.log.Warn("cannot read owed cards", "err", err)
		return
	}
	if len(owed) < owedBatch {
		o.forgetGone(owed)
	}
	for _, in := range owed {
		if !o.start(in.Key) {
			continue
		}
		o.wg.Go(func() {
			defer o.done(in.Key)
			err := o.post(ctx, in)
			if ctx.Err() == nil {
				o.outcome(in, err)
			}
		})
	}
}

// outcome logs an owed card's first failure and its recovery, and counts
// every failure: a card failing each second must not fill the log.
func (o *Owed) outcome(in bot.PostIntent, err error) {
	o.mu.Lock()
	n := o.failing[in.Key]
	if err != nil {
		o.failing[in.Key] = n + 1
	} else {
		delete(o.failing, in.Key)
	}
	o.mu.Unlock()
	switch {
	case err != nil:
		o.metrics.owedFailed.Inc()
		if n == 0 {
			o.log.Warn("owed card not posted; retrying, further failures only counted", "finding", in.Finding, "err", err)
		}
	case n > 0:
		o.log.Info("owed card posted after failures", "finding", in.Finding, "failures", n)
	}
}

// forgetGone drops the failure counts of cards no longer owed (posted by
// another path, or their finding gone), given the whole list of owed ones.
func (o *Owed) forgetGone(owed []bot.PostIntent) {
	still := make(map[string]bool, len(owed))
	for _, in := range owed {
		still[in.Key] = true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for key := range o.failing {
		if !still[key] {
			delete(o.failing, key)
		}
	}
}

// Wait waits for the posts under way.
func (o *Owed) Wait() { o.wg.Wait() }

func (o *Owed) start(key string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.inFlight[key] {
		return false
	}
	o.inFlight[key] = true
	return true
}

func (o *Owed) done(key string) {
	o.mu.Lock()
	delete(o.inFlight, key)
	o.mu.Unlock()
}

func (o *Owed) post(ctx context.Context, in bot.PostIntent) error {
	if _, ok, err := o.store.Card(ctx, in.Finding); err != nil || ok {
		if err != nil {
			return err
		}
		return o.store.EndIntent(ctx, in.Key) // posted by another path meanwhile
	}
	f, err := o.store.Finding(ctx, in.Finding)
	if err != nil {
		return fmt.Errorf("load owed finding: %w", err)
	}
	msg, err := o.cards.Build(ctx, f)
	if err != nil {
		return err
	}
	// An earlier attempt (before a crash) may have landed: the poster then
	// looks for the card before posting it again.
	prev, err := o.store.AttemptIntent(ctx, in.Key)
	if err != nil {
		return err
	}
	msg.Key, msg.Priority, msg.Resume = in.Key, bot.PriorityOwed, prev
	ref, err := o.poster.Post(ctx, in.Channel, msg)
	if err != nil {
		return err
	}
	if err := o.store.PutPostedCard(ctx, f.Key(), ref, handlers.OutcomePosted); err != nil {
		return fmt.Errorf("record owed card %s: %w", ref.TS, err)
	}
	// A group this finding started has its card now (PutPostedCard
	// records it), and its members are listed in the card's thread.
	o.metrics.posted.WithLabelValues("owed").Inc()
	return nil
}
