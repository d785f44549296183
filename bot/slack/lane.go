package slack

import (
	"context"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
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
	result chan jobResult
}

type jobResult struct {
	ref bot.MessageRef
	err error
}

// lane is one FIFO queue with its own pace. refs counts submitters that
// hold it, so an idle lane is only retired when nobody is about to push.
type lane struct {
	key    string
	bucket *bucket

	mu    sync.Mutex
	queue []job
	refs  int
	wake  chan struct{}
}

func newLane(key string, b *bucket) *lane {
	return &lane{key: key, bucket: b, wake: make(chan struct{}, 1)}
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

// pop returns the next job whose caller still waits. It returns false when
// done closes, or when the lane stayed idle for idle and retire agreed.
func (l *lane) pop(done <-chan struct{}, idle time.Duration, retire func() bool) (job, bool) {
	for {
		if j, ok := l.take(); ok {
			if j.ctx.Err() != nil {
				j.result <- jobResult{err: j.ctx.Err()}
				continue
			}
			return j, true
		}
		timer := time.NewTimer(idle)
		select {
		case <-done:
			timer.Stop()
			return job{}, false
		case <-l.wake:
			timer.Stop()
		case <-timer.C:
			if retire() {
				return job{}, false
			}
		}
	}
}

// take removes and returns the waiting job to send next: the most urgent
// (lowest priority), oldest first within a priority. Waiting makes a job
// more urgent, one step per agingStep, so that a steady flow of severe
// cards cannot starve listings and answers to people.
func (l *lane) take() (job, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) == 0 {
		return job{}, false
	}
	now := time.Now()
	best, bestRank := 0, 0
	for i, j := range l.queue {
		if r := j.rank(now); i == 0 || r < bestRank {
			best, bestRank = i, r
		}
	}
	j := l.queue[best]
	l.queue = append(l.queue[:best], l.queue[best+1:]...)
	return j, true
}

// agingStep is how long a waiting post takes to gain one priority step.
const agingStep = 2 * time.Second

// rank is the job's priority less one step per agingStep waited. Owed
// cards do not age: they wait for a channel with nothing else to say.
func (j job) rank(now time.Time) int {
	p := int(j.msg.Priority)
	if j.msg.Priority >= bot.PriorityOwed {
		return p
	}
	return p - int(now.Sub(j.queued)/agingStep)
}

// takeBurst removes and returns, oldest first, the other waiting severe
// top-level posts that carry a brief: the candidates for a burst message.
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
// waiting for its own post.
func (j job) burstable() bool {
	return j.kind == jobPost && j.msg.Priority == bot.PrioritySevere && len(j.msg.Brief) > 0
}

func (l *lane) drain() []job {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queue
	l.queue = nil
	return q
}

// bucket is a token bucket: one token per interval, at most burst saved,
// and a pause that a 429 imposes.
type bucket struct {
	mu       sync.Mutex
	interval time.Duration
	burst    int
	tokens   float64
	last     time.Time
	until    time.Time
}

func newBucket(interval time.Duration, burst int, now time.Time) *bucket {
	return &bucket{interval: interval, burst: burst, tokens: float64(burst), last: now}
}

// wait takes a token and returns how long to wait before using it.
func (b *bucket) wait(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.until) {
		// Paused by a 429: the pause ends with one token available.
		d := b.until.Sub(now)
		b.last, b.tokens = b.until, 0
		return d
	}
	b.tokens = min(float64(b.burst), b.tokens+float64(now.Sub(b.last))/float64(b.interval))
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens * float64(b.interval))
}

// pause stops the bucket until t and empties it.
func (b *bucket) pause(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.After(b.until) {
		b.until = t
	}
	b.tokens = 0
}
