package respond

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/playbooks"
)

// Feed is where the runner publishes request changes, in order.
type Feed interface {
	Ready() <-chan struct{}
	Take() []bot.ActionRequest
}

// Presenter is the one writer of what Slack shows about action requests:
// each request's message in its card's thread (posted once, then edited
// as the request moves) and the request lines on the card. The flow tells
// it about new requests; the runner's feed about every later change. Both
// arrive on one goroutine, so a quick approval can never race the post of
// the message it edits.
type Presenter struct {
	store    handlers.FindingResolver
	chat     handlers.Chat
	runner   Responses
	feed     Feed
	rule     RuleOf
	cards    *handlers.Cards
	verdicts VerdictReader
	log      *slog.Logger
	flushed  time.Duration

	mu     sync.Mutex
	intros []intro
	wake   chan struct{}
	// shown is what the presenter knows of each request it wrote: where
	// its message is and the latest state it showed. Only Run touches it.
	shown map[string]shownRequest
}

// intro is a request its requester just made: the lines only the request
// knows (who will be paged) and where to post when the finding has no card.
type intro struct {
	req      bot.ActionRequest
	extra    []string
	fallback bot.MessageRef
}

type shownRequest struct {
	msg   bot.MessageRef
	state bot.RequestState
	intro *intro
}

// PresenterOptions are a Presenter's collaborators.
type PresenterOptions struct {
	Store  handlers.FindingResolver
	Chat   handlers.Chat
	Runner Responses
	Feed   Feed
	Rule   RuleOf
	Cards  *handlers.Cards
	// Verdicts, when set, puts a resolved finding's verdict on its card.
	Verdicts VerdictReader
	Logger   *slog.Logger
}

// VerdictReader reads a finding's latest verdict.
type VerdictReader interface {
	VerdictOf(ctx context.Context, finding string) (bot.VerdictRecord, bool, error)
}

// NewPresenter returns a Presenter; Run must be running for it to show
// anything.
func NewPresenter(opts PresenterOptions) *Presenter {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Presenter{store: opts.Store, chat: opts.Chat, runner: opts.Runner, feed: opts.Feed, rule: opts.Rule,
		cards: opts.Cards, log: opts.Logger, flushed: 30 * time.Second,
		wake: make(chan struct{}, 1), shown: map[string]shownRequest{}}
	p.verdicts = opts.Verdicts
	p.cards.AddNotes(p.notes)
	return p
}

// Requested shows a new request. fallback is where its message goes when
// the finding has no card (a request typed in /finding).
func (p *Presenter) Requested(req bot.ActionRequest, extra []string, fallback bot.MessageRef) {
	p.mu.Lock()
	p.intros = append(p.intros, intro{req: req, extra: extra, fallback: fallback})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run shows requests until ctx ends, then shows what is still waiting
// (bounded), so that an outcome recorded during shutdown still reaches
// its message.
func (p *Presenter) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.flushed)
			defer cancel()
			p.flush(fctx)
			return nil
		case <-p.wake:
		case <-p.feed.Ready():
		}
		// A flush under way finishes even if shutdown begins: what it
		// took from the feed is shown, not dropped half way.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.flushed)
		p.flush(fctx)
		cancel()
	}
}

// flush shows the new requests, then the changes the runner published.
// Intros go first: a change of a request whose intro is waiting must find
// its message posted.
func (p *Presenter) flush(ctx context.Context) {
	p.mu.Lock()
	intros := p.intros
	p.intros = nil
	p.mu.Unlock()
	for i := range intros {
		p.show(ctx, intros[i].req, &intros[i])
	}
	for _, req := range p.feed.Take() {
		p.show(ctx, req, nil)
	}
}

// show posts or edits req's message and refreshes the card. A request
// never goes back to pending on screen: an intro can arrive after the
// runner already published the request's outcome.
func (p *Presenter) show(ctx context.Context, req bot.ActionRequest, in *intro) {
	s := p.shown[req.ID]
	if in != nil {
		s.intro = in
	}
	if s.state != "" && s.state != bot.RequestPending && req.State == bot.RequestPending {
		req.State = s.state
	}
	f, err := p.store.ResolveFinding(ctx, req.Finding)
	if err != nil {
		p.log.Warn("request changed for an unknown finding", "request", req.ID, "err", err)
		return
	}
	if s.msg.Empty() {
		s.msg = req.Message
	}
	if s.msg.Empty() {
		s.msg = p.recorded(ctx, req)
	}
	if s.msg.Empty() {
		s.msg = p.post(ctx, req, f, s.intro)
	} else if req.State != s.state {
		if err := p.chat.Update(ctx, s.msg, p.message(req, f, nil)); err != nil {
			p.log.Warn("request message not updated", "request", req.ID, "err", err)
			p.shown[req.ID] = s
			return
		}
	}
	if !s.msg.Empty() {
		s.state = req.State
	}
	p.shown[req.ID] = s
	if req.State.Final() && !s.msg.Empty() {
		defer delete(p.shown, req.ID)
	}
	p.cards.Touch(f.Name)
}

// recorded is the message the store has for req: an intro can come after
// the request finished and was forgotten here, carrying the request as it
// was before its message was posted.
func (p *Presenter) recorded(ctx context.Context, req bot.ActionRequest) bot.MessageRef {
	reqs, err := p.runner.Requests(ctx, req.Finding)
	if err != nil {
		p.log.Warn("request message not looked up", "request", req.ID, "err", err)
		return bot.MessageRef{}
	}
	for _, q := range reqs {
		if q.ID == req.ID {
			return q.Message
		}
	}
	return bot.MessageRef{}
}

// post puts a request's message in its card's thread, or where it was
// typed when the finding has no card, and records it. A change that
// arrives before the request's intro, for a finding without a card, waits
// for the intro (it says where to post).
func (p *Presenter) post(ctx context.Context, req bot.ActionRequest, f bot.Finding, in *intro) bot.MessageRef {
	var extra []string
	place, ok, err := p.store.Card(ctx, f.Name)
	if in != nil {
		extra = in.extra
		if err != nil || !ok {
			place = in.fallback
		}
	} else if err != nil || !ok {
		return bot.MessageRef{}
	}
	m := p.message(req, f, extra)
	var ref bot.MessageRef
	if place.TS == "" {
		ref, err = p.chat.Post(ctx, place.Channel, m)
	} else {
		ref, err = p.chat.Reply(ctx, place, m)
	}
	if err != nil {
		p.log.Warn("request message not posted", "request", req.ID, "err", err)
		return bot.MessageRef{}
	}
	if err := p.runner.SetMessage(ctx, req.ID, ref); err != nil {
		p.log.Warn("request message not recorded", "request", req.ID, "err", err)
	}
	return ref
}

// notes show the finding's requests on its card, newest last.
func (p *Presenter) notes(ctx context.Context, f bot.Finding) ([]bot.Rich, error) {
	reqs, err := p.runner.Requests(ctx, f.Name)
	if err != nil {
		return nil, err
	}
	var out []bot.Rich
	for _, req := range reqs {
		out = append(out, requestLine(req))
	}
	if p.verdicts == nil {
		return out, nil
	}
	rec, ok, err := p.verdicts.VerdictOf(ctx, f.Name)
	if err != nil {
		// The requests still show; the verdict will at the next refresh.
		p.log.Warn("verdict not shown on the card", "finding", f.Name, "err", err)
		return out, nil
	}
	if ok {
		out = append(out, verdictLine(rec))
	}
	return out, nil
}

// verdictLine is "Resolved as false positive by @alice: note". The note is
// user text and travels as a text span, which the chat adapter escapes.
func verdictLine(rec bot.VerdictRecord) bot.Rich {
	line := bot.R(bot.T("🏁 Resolved as "), bot.B(strings.ToLower(rec.Verdict.Label())), bot.T(" by "), bot.Mention(rec.By))
	if rec.Note != "" {
		line = append(line, bot.T(": "+rec.Note))
	}
	return line
}

// message is the request's message as it stands.
func (p *Presenter) message(req bot.ActionRequest, f bot.Finding, extra []string) bot.Message {
	return requestMessage(req, f, extra, p.runner.Preview, p.rule)
}

var _ Feed = (*playbooks.RequestFeed)(nil)
