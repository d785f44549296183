package slack

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/pace"
)

type jobKind int

const (
	jobPost jobKind = iota
	jobReply
	jobUpdate
)

func (k jobKind) method() string {
	if k == jobUpdate {
		return "chat.update"
	}
	return "chat.postMessage"
}

// job is one message waiting for delivery.
type job struct {
	ctx     context.Context
	kind    jobKind
	channel string
	thread  string // parent ts of a reply
	ts      string // ts of the message an update replaces
	msg     bot.Message
	// degraded asks for the text-only form after Slack refused the blocks.
	degraded bool
	// queued is when the job was submitted, for aging.
	queued time.Time
	// prepaid says the lane already waited for this job's first slot.
	prepaid bool
	result  chan jobResult
}

type jobResult struct {
	ref bot.MessageRef
	err error
}

// lane is one FIFO queue with its own pace. refs counts submitters that
// hold it, so an idle lane is only retired when nobody is about to push.
type lane struct {
	key  string
	pace *pacer

	mu    sync.Mutex
	queue []job
	refs  int
	wake  chan struct{}
	// lastSevere says the last job taken was a severe card or burst.
	lastSevere bool
}

func newLane(key string, p *pacer) *lane {
	return &lane{key: key, pace: p, wake: make(chan struct{}, 1)}
}

// retain marks a submitter; it fails when the lane was retired.
func (l *lane) retain() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refs < 0 {
		return false
	}
	l.refs++
	return true
}

// release is called by the lane's goroutine when idle: it retires the lane
// if it has no queued work, and reports whether it did.
func (l *lane) release() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) > 0 {
		return false
	}
	l.refs = -1
	return true
}

func (l *lane) push(j job) {
	l.mu.Lock()
	l.queue = append(l.queue, j)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// await waits until the lane has work. It returns false when done closes,
// or when the lane stayed idle for idle and retire agreed.
func (l *lane) await(done <-chan struct{}, idle time.Duration, retire func() bool) bool {
	for {
		l.mu.Lock()
		n := len(l.queue)
		l.mu.Unlock()
		if n > 0 {
			return true
		}
		timer := time.NewTimer(idle)
		select {
		case <-done:
			timer.Stop()
			return false
		case <-l.wake:
			timer.Stop()
		case <-timer.C:
			if retire() {
				return false
			}
		}
	}
}

// take removes and returns the waiting job to send next: the most urgent
// (lowest rank), oldest first within a rank. After a severe post, anything
// else that waits (but owed cards) goes first, so that severe findings and
// everything else take turns when both wait.
func (l *lane) take() (job, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) == 0 {
		return job{}, false
	}
	now := time.Now()
	best, bestRank := -1, 0
	for pass := 0; pass < 2 && best < 0; pass++ {
		for i, j := range l.queue {
			if pass == 0 && l.lastSevere && (j.msg.Priority == bot.PrioritySevere || j.msg.Priority >= bot.PriorityOwed) {
				continue
			}
			if r := j.rank(now); best < 0 || r < bestRank {
				best, bestRank = i, r
			}
		}
	}
	j := l.queue[best]
	l.queue = append(l.queue[:best], l.queue[best+1:]...)
	l.lastSevere = j.msg.Priority == bot.PrioritySevere
	return j, true
}

// agingStep is how long a waiting post takes to gain one priority step.
const agingStep = 2 * time.Second

// rank is the job's priority less one step per agingStep waited, never
// more urgent than a severe card: an old job then takes turns with severe
// ones (the older goes first) instead of starving. Owed cards do not age:
// they wait for a channel with nothing else to say.
func (j job) rank(now time.Time) int {
	p := int(j.msg.Priority)
	if j.msg.Priority >= bot.PriorityOwed {
		return p
	}
	return max(p-int(now.Sub(j.queued)/agingStep), int(bot.PrioritySevere))
}

// takeBurst removes and returns the other waiting cards that carry a
// brief, severe ones first, oldest first within that: the candidates for
// a burst message.
func (l *lane) takeBurst() []job {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []job
	kept := l.queue[:0]
	for _, j := range l.queue {
		if j.burstable() && j.ctx.Err() == nil {
			out = append(out, j)
		} else {
			kept = append(kept, j)
		}
	}
	clear(l.queue[len(kept):])
	l.queue = kept
	slices.SortStableFunc(out, func(a, b job) int { return cmp.Compare(a.msg.Priority, b.msg.Priority) })
	return out
}

// putBack returns jobs a burst could not hold to the front of the queue.
func (l *lane) putBack(js []job) {
	if len(js) == 0 {
		return
	}
	l.mu.Lock()
	l.queue = append(append([]job{}, js...), l.queue...)
	l.mu.Unlock()
}

// burstable says whether j may be named in a burst message instead of
// waiting for its own post: a top-level card with a brief, severe or not
// (owed cards are past that).
func (j job) burstable() bool {
	p := j.msg.Priority
	return j.kind == jobPost && len(j.msg.Brief) > 0 && (p == bot.PrioritySevere || p == bot.PriorityLow)
}

func (l *lane) drain() []job {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queue
	l.queue = nil
	return q
}

// bucket is this replica's own token bucket (see internal/pace): the
// lane's pace when no store shares it, and the fallback when the store
// cannot be reached.
type bucket struct {
	mu       sync.Mutex
	interval time.Duration
	burst    int
	state    pace.State
}

func newBucket(interval time.Duration, burst int, now time.Time) *bucket {
	return &bucket{interval: interval, burst: burst, state: pace.Fresh(burst, now)}
}

// wait takes a token and returns how long to wait before using it.
func (b *bucket) wait(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var d time.Duration
	b.state, d = b.state.Take(now, b.interval, b.burst)
	return d
}

// pause stops the bucket until t: the next slot is at t at the earliest.
func (b *bucket) pause(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state = b.state.Pause(t)
}

// pausedAt reports whether now falls in a pause.
func (b *bucket) pausedAt(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, paused := b.state.PausedAt(now)
	return paused
}
