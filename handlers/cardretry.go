package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// errCardInFlight is a refresh of a card that is being posted: its intent
// is open and its record not written yet. A touch then (an acknowledgement
// clicked the moment the card appeared, or served by another replica
// while this one posts) must not be lost: the card was built before it.
var errCardInFlight = errors.New("card is being posted")

// noCard tells a card still being posted (errCardInFlight, tried again
// later) from a finding that has no card at all: a grouped member, a
// silenced finding.
func (c *Cards) noCard(ctx context.Context, findingName string) error {
	_, open, err := c.store.Intent(ctx, bot.CardKey(findingName))
	if err != nil {
		return fmt.Errorf("card intent: %w", err)
	}
	if open {
		return errCardInFlight
	}
	return nil
}

const (
	// retryCeiling bounds the pause between tries, as a multiple of the
	// first one.
	retryCeiling = 30
	// maxFailedRefreshes is how many refreshes of a card may fail in a row
	// (about two minutes with the default pause) before it is given up.
	maxFailedRefreshes = 8
	// maxInFlight is how long a refresh waits for its card to be posted. An
	// owed card waits for the channel's pace, and is built when posted.
	maxInFlight = 15 * time.Minute
)

type retryPolicy struct{ first time.Duration }

func (p retryPolicy) pause(tries int) time.Duration {
	d := p.first
	for i := 1; i < tries && d < retryCeiling*p.first; i++ {
		d *= 2
	}
	return min(d, retryCeiling*p.first)
}

// retrying is a card whose refresh is to be tried again.
type retrying struct {
	since time.Time
	tries int
	timer *time.Timer // pending try, nil once it fired
}

// settle records the outcome of a card's refresh: a success ends its
// retries; a failure, or a card still in flight, is tried again after a
// growing pause, and given up (counted and logged once, with its cause)
// when it keeps failing.
func (c *Cards) settle(name string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.retries[name]
	if err == nil {
		if r != nil {
			if r.timer != nil {
				r.timer.Stop()
			}
			delete(c.retries, name)
		}
		return
	}
	if r == nil {
		r = &retrying{since: c.now()}
		c.retries[name] = r
	}
	r.tries++
	if c.exhausted(r, err) {
		if r.timer != nil {
			r.timer.Stop()
		}
		delete(c.retries, name)
		c.givenUp.Inc()
		c.log.Warn("card not refreshed; gave up", "finding", name, "tries", r.tries, "err", err)
		return
	}
	if r.timer != nil {
		return // a try is already due
	}
	c.log.Debug("card refresh to be tried again", "finding", name, "tries", r.tries, "err", err)
	r.timer = time.AfterFunc(c.retry.pause(r.tries), func() {
		c.mu.Lock()
		r.timer = nil
		c.mu.Unlock()
		c.Touch(name)
	})
}

func (c *Cards) exhausted(r *retrying, err error) bool {
	if errors.Is(err, errCardInFlight) {
		return c.now().Sub(r.since) >= maxInFlight
	}
	return r.tries >= maxFailedRefreshes
}

// retryCount is how many cards wait to be refreshed again.
func (c *Cards) retryCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.retries)
}
