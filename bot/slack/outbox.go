package slack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
)

// WebAPI is the part of slack-go's client the outbox uses.
type WebAPI interface {
	PostMessageContext(ctx context.Context, channelID string, options ...goslack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...goslack.MsgOption) (string, string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *goslack.GetConversationHistoryParameters) (*goslack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *goslack.GetConversationRepliesParameters) ([]goslack.Message, bool, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...goslack.MsgOption) (string, error)
	OpenViewContext(ctx context.Context, triggerID string, view goslack.ModalViewRequest) (*goslack.ViewResponse, error)
	GetUploadURLExternalContext(ctx context.Context, params goslack.GetUploadURLExternalParameters) (*goslack.GetUploadURLExternalResponse, error)
	UploadToURL(ctx context.Context, params goslack.UploadToURLParameters) error
	CompleteUploadExternalContext(ctx context.Context, params goslack.CompleteUploadExternalParameters) (*goslack.CompleteUploadExternalResponse, error)
	GetFileInfoContext(ctx context.Context, fileID string, count, page int) (*goslack.File, []goslack.Comment, *goslack.Paging, error)
}

// Outbox delivers messages to Slack the way Slack allows: each channel is a
// lane with its own FIFO queue and token bucket (about one post a second,
// short bursts), a 429 pauses the lane for Retry-After, and 5xx or network
// failures are retried with backoff after checking that the message did not
// land after all. Nothing is dropped: a caller waits until its message is
// posted, fails permanently, or the caller's context ends.
type Outbox struct {
	api     WebAPI
	opts    OutboxOptions
	log     *slog.Logger
	metrics *Metrics

	mu    sync.Mutex
	lanes map[string]*lane
	// files paces the files.* calls of UploadFile for the workspace.
	files  *bucket
	closed bool
	// ids maps channel names ("#secops") to the IDs Slack answered with:
	// conversations.history, which checks whether a failed post landed,
	// takes only IDs.
	ids  map[string]string
	wg   sync.WaitGroup
	done chan struct{}
	// shared is the pace store's link, nil when the pace is this
	// replica's alone.
	shared *sharedPace
}

// OutboxOptions tune an Outbox. Zero values take Slack's documented pace.
type OutboxOptions struct {
	// PostInterval and PostBurst pace chat.postMessage per channel.
	PostInterval time.Duration
	PostBurst    int
	// UpdateInterval and UpdateBurst pace chat.update for the workspace
	// (Tier 3: 50+ a minute).
	UpdateInterval time.Duration
	UpdateBurst    int
	// FileInterval and FileBurst pace the files.* calls of uploads for the
	// workspace (Tier 4: 100+ a minute).
	FileInterval time.Duration
	FileBurst    int
	// RequestTimeout bounds each HTTP attempt.
	RequestTimeout time.Duration
	// ModalTimeout bounds views.open: a trigger dies three seconds after
	// the click, so waiting longer cannot help.
	ModalTimeout time.Duration
	// MaxBackoff caps the wait between retries of failed requests.
	MaxBackoff time.Duration
	// IdleLane is how long an idle lane keeps its goroutine.
	IdleLane time.Duration
	Logger   *slog.Logger
	Metrics  *Metrics
	// Clock is for tests; nil means real time.
	Clock Clock
	// Pace shares the lanes' token buckets and 429 pauses between
	// replicas. Nil keeps them in memory, which is right for one replica.
	Pace PaceStore
}

// Clock is time for the outbox: now and a sleep that ends early with ctx.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error { return retry.Sleep(ctx, d) }

// errClosed is returned for work handed to a closed outbox.
var errClosed = bot.Errorf(bot.EUnavailable, "sccbot is shutting down")

// NewOutbox returns an Outbox posting through api. Run must be running for
// messages to flow.
func NewOutbox(api WebAPI, opts OutboxOptions) *Outbox {
	opts = outboxDefaults(opts)
	o := &Outbox{api: api, opts: opts, log: opts.Logger, metrics: opts.Metrics,
		lanes: map[string]*lane{}, ids: map[string]string{}, done: make(chan struct{}),
		files: newBucket(opts.FileInterval, opts.FileBurst, opts.Clock.Now())}
	if opts.Pace != nil {
		o.shared = &sharedPace{store: opts.Pace, log: opts.Logger, metrics: opts.Metrics}
	}
	return o
}

func outboxDefaults(o OutboxOptions) OutboxOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PostInterval, time.Second)
	def(&o.UpdateInterval, 1200*time.Millisecond)
	def(&o.FileInterval, 600*time.Millisecond)
	def(&o.RequestTimeout, 10*time.Second)
	def(&o.ModalTimeout, 2500*time.Millisecond)
	def(&o.MaxBackoff, 30*time.Second)
	def(&o.IdleLane, time.Minute)
	if o.PostBurst <= 0 {
		o.PostBurst = 3
	}
	if o.UpdateBurst <= 0 {
		o.UpdateBurst = 10
	}
	if o.FileBurst <= 0 {
		o.FileBurst = 5
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	return o
}

// Run keeps the outbox open until ctx ends, then refuses new work, lets each
// lane finish the request it is sending, fails what is still queued (its
// callers' sources will deliver it again) and returns.
func (o *Outbox) Run(ctx context.Context) error {
	<-ctx.Done()
	o.mu.Lock()
	o.closed = true
	close(o.done)
	o.mu.Unlock()
	o.wg.Wait()
	return nil
}

// Post posts m to channel and returns where it landed.
func (o *Outbox) Post(ctx context.Context, channel string, m bot.Message) (bot.MessageRef, error) {
	return o.submit(ctx, "post/"+channel, job{kind: jobPost, channel: channel, msg: m})
}

// Reply posts m in the thread of parent.
func (o *Outbox) Reply(ctx context.Context, parent bot.MessageRef, m bot.Message) (bot.MessageRef, error) {
	return o.submit(ctx, "post/"+parent.Channel, job{kind: jobReply, channel: parent.Channel, thread: parent.TS, msg: m})
}

// Update replaces the message at ref with m.
func (o *Outbox) Update(ctx context.Context, ref bot.MessageRef, m bot.Message) error {
	_, err := o.submit(ctx, "update", job{kind: jobUpdate, channel: ref.Channel, ts: ref.TS, msg: m})
	return err
}

func (o *Outbox) submit(ctx context.Context, laneKey string, j job) (bot.MessageRef, error) {
	j.ctx = ctx
	j.queued = time.Now()
	j.result = make(chan jobResult, 1)
	l, err := o.lane(laneKey, j.kind)
	if err != nil {
		return bot.MessageRef{}, err
	}
	l.push(j)
	o.metrics.outboxDepth.Inc()
	select {
	case r := <-j.result:
		return r.ref, r.err
	case <-ctx.Done():
		// The lane sees the cancelled context and skips or abandons the job.
		return bot.MessageRef{}, ctx.Err()
	}
}

// lane returns the lane for key, starting its goroutine when needed.
func (o *Outbox) lane(key string, kind jobKind) (*lane, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, errClosed
	}
	if l := o.lanes[key]; l != nil && l.retain() {
		return l, nil
	}
	interval, burst := o.opts.PostInterval, o.opts.PostBurst
	if kind == jobUpdate {
		interval, burst = o.opts.UpdateInterval, o.opts.UpdateBurst
	}
	l := newLane(key, &pacer{key: key, interval: interval, burst: burst,
		local: newBucket(interval, burst, o.opts.Clock.Now()), shared: o.shared})
	l.retain()
	o.lanes[key] = l
	o.wg.Add(1)
	go o.serve(l)
	return l, nil
}

// serve is a lane's goroutine: it sends the lane's jobs one by one, paced,
// and exits when the outbox closes or the lane has been idle for a while.
func (o *Outbox) serve(l *lane) {
	defer o.wg.Done()
	ctx, stop := o.jobContext(context.Background())
	defer stop()
	for {
		if !l.await(o.done, o.opts.IdleLane, func() bool { return o.retire(l) }) {
			o.failQueued(l)
			return
		}
		// Wait for the lane's slot before choosing what to send: what came
		// meanwhile may be more urgent, and a burst then names more.
		if err := o.awaitSlot(ctx, l); err != nil {
			o.failQueued(l)
			return
		}
		j, ok := l.take()
		if !ok {
			continue
		}
		if j.ctx.Err() != nil {
			o.metrics.outboxDepth.Dec()
			j.result <- jobResult{err: j.ctx.Err()}
			continue
		}
		j.prepaid = true
		o.metrics.outboxDepth.Dec()
		if j.burstable() {
			if others := l.takeBurst(); len(others) > 0 {
				all := append([]job{j}, others...)
				slices.SortStableFunc(all, func(a, b job) int { return cmp.Compare(a.msg.Priority, b.msg.Priority) })
				o.burst(l, all)
				continue
			}
		}
		ref, err := o.deliver(l, j)
		j.result <- jobResult{ref: ref, err: err}
	}
}

// awaitSlot takes a token of the lane's pace and waits for its slot. A
// slot reserved before another replica was given a 429 is not used: the
// lane takes again, behind the pause.
func (o *Outbox) awaitSlot(ctx context.Context, l *lane) error {
	for {
		wait := l.pace.take(ctx, o.opts.Clock.Now())
		if err := o.opts.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
		if wait == 0 || !l.pace.pausedAt(ctx, o.opts.Clock.Now()) {
			return nil
		}
	}
}

// retire removes an idle lane unless work arrived meanwhile.
func (o *Outbox) retire(l *lane) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !l.release() {
		return false
	}
	if o.lanes[l.key] == l {
		delete(o.lanes, l.key)
	}
	return true
}

func (o *Outbox) failQueued(l *lane) {
	for _, j := range l.drain() {
		o.metrics.outboxDepth.Dec()
		j.result <- jobResult{err: errClosed}
	}
}

// deliver sends one job, waiting for the lane's bucket and retrying
// rate limits and transient failures until the job's context ends.
func (o *Outbox) deliver(l *lane, j job) (bot.MessageRef, error) {
	ctx, stop := o.jobContext(j.ctx)
	defer stop()
	if !j.msg.Resume.IsZero() {
		// A crash may have come between an earlier post of this message
		// and its record: look before posting again.
		if ref, ok := o.landed(ctx, j, j.msg.Resume); ok {
			return ref, nil
		}
	}
	var firstTry time.Time
	for attempt := 0; ; attempt++ {
		if attempt > 0 || !j.prepaid {
			if err := o.awaitSlot(ctx, l); err != nil {
				return bot.MessageRef{}, o.abandoned(err)
			}
		}
		if attempt == 0 {
			firstTry = o.opts.Clock.Now()
		}
		ref, err := o.send(ctx, j)
		if err == nil {
			o.metrics.requests.WithLabelValues(j.kind.method(), "ok").Inc()
			o.learn(j.channel, ref.Channel)
			return ref, nil
		}
		n := o.afterFailure(ctx, l, j, err, attempt, firstTry)
		if n.done {
			return n.result.ref, n.result.err
		}
		j.degraded = j.degraded || n.degrade
		if err := o.opts.Clock.Sleep(ctx, n.wait); err != nil {
			return bot.MessageRef{}, o.abandoned(err)
		}
	}
}

// next is what follows a failed attempt.
type next struct {
	wait    time.Duration
	degrade bool
	done    bool
	result  jobResult
}

// learn remembers the ID Slack gave for a channel name.
func (o *Outbox) learn(channel, id string) {
	if id == "" || id == channel {
		return
	}
	o.mu.Lock()
	o.ids[channel] = id
	o.mu.Unlock()
}

// channelID returns the ID for channel when it is known.
func (o *Outbox) channelID(channel string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if id, ok := o.ids[channel]; ok {
		return id
	}
	return channel
}

// jobContext ends when the caller gives up or the outbox closes, whichever
// comes first.
func (o *Outbox) jobContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(parent, cancel)
	go func() {
		select {
		case <-o.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() { stop(); cancel() }
}

func (o *Outbox) abandoned(err error) error {
	select {
	case <-o.done:
		return errClosed
	default:
		return fmt.Errorf("slack delivery abandoned: %w", err)
	}
}

// afterFailure decides what follows a failed attempt: a wait and another
// try, or a final result (a permanent error, or the message found already
// posted).
func (o *Outbox) afterFailure(ctx context.Context, l *lane, j job, err error, attempt int, firstTry time.Time) next {
	method := j.kind.method()
	switch classify(err) {
	case failRateLimited:
		o.metrics.requests.WithLabelValues(method, "rate_limited").Inc()
		o.metrics.rateLimited.WithLabelValues(method).Inc()
		wait := retryAfter(err)
		l.pace.pause(ctx, o.opts.Clock.Now().Add(wait))
		o.log.Warn("slack rate limit; lane paused", "method", method, "lane", l.key, "retry_after", wait.String())
		return next{}
	case failAmbiguous:
		o.metrics.requests.WithLabelValues(method, "error").Inc()
		o.metrics.retries.WithLabelValues(method, "transient").Inc()
		if ref, ok := o.landed(ctx, j, firstTry); ok {
			return next{done: true, result: jobResult{ref: ref}}
		}
		wait := backoff(attempt, o.opts.MaxBackoff)
		o.log.Warn("slack request failed; retrying", "method", method, "lane", l.key, "attempt", attempt+1, "wait", wait.String(), "err", err)
		return next{wait: wait}
	}
	o.metrics.requests.WithLabelValues(method, "refused").Inc()
	if j.kind != jobUpdate && bot.ErrorCode(translate(err)) == bot.EInvalid && !j.degraded {
		// Slack refused the blocks. Post the bare text instead of losing
		// the message; the log says why.
		o.log.Error("slack refused the message blocks; posting text only", "method", method, "lane", l.key, "err", err)
		o.metrics.retries.WithLabelValues(method, "degraded").Inc()
		return next{degrade: true}
	}
	return next{done: true, result: jobResult{err: translate(err)}}
}

func retryAfter(err error) time.Duration {
	var rl *goslack.RateLimitedError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		return rl.RetryAfter
	}
	return time.Second
}

// backoff grows 1s, 2s, 4s... up to max.
func backoff(attempt int, max time.Duration) time.Duration {
	d := time.Second << min(attempt, 10)
	return min(d, max)
}
