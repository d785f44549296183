package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/sccbot/sccbot/handlers"
)

// Dispatcher serves decoded requests; handlers.Mux is one.
type Dispatcher interface {
	Serve(ctx context.Context, r handlers.Request) error
}

// Bot is the socket-mode side of the adapter. Its event loop only
// acknowledges and hands off: every envelope is acked the moment it is
// read (Slack wants an ack within three seconds, and a slow reader stalls
// pings until the socket drops), then decoded and queued for a bounded pool
// of workers that do the real work.
type Bot struct {
	sm       *socketmode.Client
	dispatch Dispatcher
	opts     BotOptions
	log      *slog.Logger
	metrics  *Metrics
	queue    chan handlers.Request
	// dialogs holds requests that open a dialog: Slack's trigger for it
	// lives three seconds, so they are served ahead of everything else.
	dialogs chan handlers.Request

	connected   atomic.Bool
	lastHello   atomic.Int64
	connections atomic.Int64
}

// BotOptions tune a Bot.
type BotOptions struct {
	// Workers bound the interactions served at once; QueueSize bounds those
	// waiting.
	Workers   int
	QueueSize int
	// AppID and TeamID, when set, refuse payloads from other apps or
	// workspaces.
	AppID  string
	TeamID string
	// HandlerTimeout bounds one interaction; DrainTimeout bounds the work
	// finished after shutdown begins.
	HandlerTimeout time.Duration
	DrainTimeout   time.Duration
	// AckTimeout bounds the enqueueing of an ack.
	AckTimeout time.Duration
	// PingInterval is how long the client waits for Slack's pings before it
	// reconnects (slack-go's default is 30s).
	PingInterval time.Duration
	// Validate checks a modal submission before its ack, so that Slack can
	// show the errors on the open dialog: it returns input id → message,
	// nothing when the submission is fine. It runs on the event loop, so it
	// must be fast and pure (no I/O, no locks held long); a submission it
	// rejects is not dispatched. It is a courtesy to the person, not a
	// guard: a panic counts as no errors, so handlers check again. Nil
	// accepts every submission.
	Validate func(r handlers.Request) map[string]string
	// OpensDialog says whether serving r starts with opening a dialog
	// (views.open with r's trigger). Such requests have a queue of their
	// own, DialogWorkers that serve nothing else, and every other worker
	// takes them first, so a dialog opens in time even when every worker
	// is busy with slow investigations. Nil means none does.
	OpensDialog func(r handlers.Request) bool
	// DialogWorkers serve only dialog openers; default 4.
	DialogWorkers int
	Logger        *slog.Logger
	Metrics       *Metrics
}

func botDefaults(o BotOptions) BotOptions {
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.DialogWorkers <= 0 {
		o.DialogWorkers = 4
	}
	if o.OpensDialog == nil {
		o.OpensDialog = func(handlers.Request) bool { return false }
	}
	if o.HandlerTimeout <= 0 {
		o.HandlerTimeout = 2 * time.Minute
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 20 * time.Second
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	return o
}

// NewBot returns a Bot that connects with api, whose client must carry the
// app-level token (goslack.OptionAppLevelToken).
func NewBot(api *goslack.Client, dispatch Dispatcher, opts BotOptions) *Bot {
	opts = botDefaults(opts)
	smOpts := []socketmode.Option{socketmode.OptionLog(slogOutput{opts.Logger})}
	if opts.PingInterval > 0 {
		smOpts = append(smOpts, socketmode.OptionPingInterval(opts.PingInterval))
	}
	return &Bot{
		sm:       socketmode.New(api, smOpts...),
		dispatch: dispatch,
		opts:     opts,
		log:      opts.Logger,
		metrics:  opts.Metrics,
		queue:    make(chan handlers.Request, opts.QueueSize),
		dialogs:  make(chan handlers.Request, opts.QueueSize),
	}
}

// Connected reports whether the socket is up and Slack said hello.
func (b *Bot) Connected() bool { return b.connected.Load() }

// Run connects and serves until ctx ends, then stops reading, lets the
// workers finish what is queued (for at most DrainTimeout) and returns. It
// returns an error only when Slack refuses the app token for good.
func (b *Bot) Run(ctx context.Context) error {
	sockCtx, stopSocket := context.WithCancel(ctx)
	defer stopSocket()
	sockErr := make(chan error, 1)
	go func() { sockErr <- b.sm.RunContext(sockCtx) }()

	workCtx, stopWork := drainContext(ctx, b.opts.DrainTimeout)
	defer stopWork()
	var wg sync.WaitGroup
	for range b.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.work(workCtx)
		}()
	}
	for range b.opts.DialogWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.workDialogs(workCtx)
		}()
	}

	socketDone, err := b.loop(ctx, sockErr)
	stopSocket()
	close(b.queue)
	close(b.dialogs)
	wg.Wait()
	if !socketDone {
		// The socket was stopped above: its error is that stop, which
		// says nothing; waiting is what matters.
		<-sockErr //nolint:errcheck // see above
	}
	b.connected.Store(false)
	return err
}

// drainContext is ctx without its cancellation, cancelled instead a grace
// period after ctx ends: in-flight work gets to finish, but not forever.
func drainContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(work, func() { t.Stop() })
	})
	return work, func() { stop(); cancel() }
}

// loop reads events until ctx ends or the socket stops for good. It says
// whether it consumed the socket's result.
func (b *Bot) loop(ctx context.Context, sockErr <-chan error) (socketDone bool, err error) {
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case err := <-sockErr:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return true, nil
			}
			return true, fmt.Errorf("slack socket mode: %w", err)
		case evt := <-b.sm.Events:
			b.handle(ctx, evt)
		}
	}
}

// work serves queued requests, dialog openers first, until both queues
// are closed and empty.
func (b *Bot) work(ctx context.Context) {
	queue, dialogs := b.queue, b.dialogs
	for queue != nil || dialogs != nil {
		r, ok, from := nextRequest(queue, dialogs)
		switch {
		case ok:
			b.served(ctx, r)
		case from == dialogs:
			dialogs = nil
		default:
			queue = nil
		}
	}
}

// nextRequest takes a dialog opener if one waits, else whichever request comes
// first. It returns the channel it read, so that a closed one (ok false)
// can be dropped; a nil channel is never read.
func nextRequest(queue, dialogs chan handlers.Request) (handlers.Request, bool, chan handlers.Request) {
	select {
	case r, ok := <-dialogs:
		return r, ok, dialogs
	default:
	}
	select {
	case r, ok := <-dialogs:
		return r, ok, dialogs
	case r, ok := <-queue:
		return r, ok, queue
	}
}

// workDialogs serves dialog openers only, so that some worker is always
// free for them.
func (b *Bot) workDialogs(ctx context.Context) {
	for r := range b.dialogs {
		b.served(ctx, r)
	}
}

// served serves a request taken off a queue.
func (b *Bot) served(ctx context.Context, r handlers.Request) {
	b.metrics.queueDepth.Dec()
	b.serve(ctx, r)
}

func (b *Bot) serve(ctx context.Context, r handlers.Request) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.HandlerTimeout)
	defer cancel()
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("interaction handler panicked", "request", r, "panic", fmt.Sprint(p))
		}
		b.metrics.handled.Observe(time.Since(start).Seconds())
	}()
	if err := b.dispatch.Serve(ctx, r); err != nil {
		b.log.Error("interaction failed", "request", r, "err", err)
	}
}
