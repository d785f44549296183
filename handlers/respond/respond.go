package respond

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/playbooks"
)

// containment are the actions that change a workload.
var containment = []string{bot.ActionIsolatePod, bot.ActionDeletePod, bot.ActionCordonNode,
	bot.ActionCloudRunRollback, bot.ActionCloudRunCancelExecution}

// IsContainment reports whether action changes a workload.
func IsContainment(action string) bool { return slices.Contains(containment, action) }

// Responses is what the response buttons need from the action runner.
type Responses interface {
	Request(ctx context.Context, f bot.Finding, action, userID, reason string) (bot.ActionRequest, string, error)
	Approve(ctx context.Context, id, userID string) (bot.ActionRequest, string, error)
	Deny(ctx context.Context, id, userID, reason string) (bot.ActionRequest, string, error)
	Preview(f bot.Finding, action string) ([]string, error)
	SetMessage(ctx context.Context, id string, ref bot.MessageRef) error
	Requests(ctx context.Context, finding string) ([]bot.ActionRequest, error)
}

// RuleOf says how an action is approved; ok is false for actions the
// operator did not enable.
type RuleOf func(action string) (playbooks.Rule, bool)

// Fits lists the responses of a finding's playbook that fit it, suggested
// one first.
type Fits func(f bot.Finding) []playbooks.Response

// Flow is the respond half of the procedure: "Contain…", "Page
// owner", "Mute…" and "Resolve" on the card, each a request posted in the
// card's thread with Approve and Deny buttons (or run at once when the
// operator's policy needs no approval), kept current as it is approved,
// denied, expires, runs and finishes.
type Flow struct {
	store   handlers.FindingResolver
	chat    handlers.Chat
	dialogs Dialogs
	runner  Responses
	rule    RuleOf
	fits    Fits
	cards   *handlers.Cards
	owners  playbooks.OwnerLookup
	log     *slog.Logger

	presenter *Presenter
	work      executions
}

// Options are a Flow's optional collaborators.
type Options struct {
	// Owners shows who will be paged before the page is requested.
	Owners playbooks.OwnerLookup
	// Feed is where the runner publishes request changes (Runner.Feed);
	// the flow's presenter edits the requests' messages from it.
	Feed Feed
	// Verdicts shows a resolved finding's verdict on its card.
	Verdicts VerdictReader
	Logger   *slog.Logger
}

// NewRespondFlow returns a Flow.
func NewRespondFlow(store handlers.FindingResolver, chat handlers.Chat, dialogs Dialogs, runner Responses, rule RuleOf, fits Fits,
	cards *handlers.Cards, opts Options) *Flow {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Feed == nil {
		opts.Feed = noFeed{}
	}
	return &Flow{store: store, chat: chat, dialogs: dialogs, runner: runner, rule: rule, fits: fits,
		cards: cards, owners: opts.Owners, log: opts.Logger,
		presenter: NewPresenter(PresenterOptions{Store: store, Chat: chat, Runner: runner, Feed: opts.Feed,
			Rule: rule, Cards: cards, Verdicts: opts.Verdicts, Logger: opts.Logger})}
}

// Run shows the requests' messages until ctx ends. Shutdown first waits
// for the actions running in the background, then shows their outcomes.
func (rf *Flow) Run(ctx context.Context) error {
	pctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	shown := make(chan error, 1)
	go func() { shown <- rf.presenter.Run(pctx) }()
	<-ctx.Done()
	rf.work.close()
	stop()
	return <-shown
}

// settle waits for the background work and shows its outcome; tests call
// it instead of Run.
func (rf *Flow) settle(ctx context.Context) {
	rf.work.wg.Wait()
	rf.presenter.flush(ctx)
}

// noFeed is the feed of a flow told of no changes.
type noFeed struct{}

func (noFeed) Ready() <-chan struct{}    { return nil }
func (noFeed) Take() []bot.ActionRequest { return nil }

// Register serves the response actions, adds the buttons that fit each
// finding to its card, and shows the finding's requests on the card.
func (rf *Flow) Register(mux *handlers.Mux) {
	mux.HandleAction(handlers.ActionContain, handlers.HandlerFunc(rf.openContain))
	mux.ValidateSubmit(handlers.CallbackContain, validateContain)
	mux.HandleSubmit(handlers.CallbackContain, handlers.HandlerFunc(rf.submitContain))
	mux.HandleAction(handlers.ActionMute, handlers.HandlerFunc(rf.openMute))
	mux.ValidateSubmit(handlers.CallbackMute, validateReason)
	mux.HandleSubmit(handlers.CallbackMute, handlers.HandlerFunc(rf.submitMute))
	mux.HandleAction(handlers.ActionResolve, handlers.HandlerFunc(rf.openResolve))
	mux.ValidateSubmit(handlers.CallbackResolve, validateResolve)
	mux.HandleSubmit(handlers.CallbackResolve, handlers.HandlerFunc(rf.submitResolve))
	// Resolve opens its dialog first thing, so it is served ahead of slow
	// work, within the trigger's 3 seconds.
	mux.MarkDialogs(handlers.ActionResolve)
	mux.HandleAction(handlers.ActionPageOwner, handlers.HandlerFunc(rf.page))
	mux.HandleAction(handlers.ActionEvidence, handlers.HandlerFunc(rf.collect))
	mux.HandleAction(handlers.ActionApprove, handlers.HandlerFunc(rf.approve))
	mux.HandleAction(handlers.ActionDeny, handlers.HandlerFunc(rf.deny))
	rf.cards.AddButtons(rf.buttons)
}

// Buttons are the response buttons that fit f and that the operator
// enabled: the card's, and the playbook checklist's.
func (rf *Flow) Buttons(f bot.Finding) []bot.Button { return rf.buttons(f) }

func (rf *Flow) buttons(f bot.Finding) []bot.Button {
	out := rf.evidenceButton(f)
	if len(rf.containActions(f)) > 0 {
		out = append(out, bot.Button{ActionID: handlers.ActionContain, Label: "Contain…", Value: f.ShortID(), Style: bot.ButtonDanger})
	}
	for _, b := range []struct{ action, id, label string }{
		{bot.ActionPageOwner, handlers.ActionPageOwner, "Page owner"},
		{bot.ActionMute, handlers.ActionMute, "Mute…"},
		{bot.ActionResolve, handlers.ActionResolve, "Resolve…"},
	} {
		if _, ok := rf.rule(b.action); ok {
			out = append(out, bot.Button{ActionID: b.id, Label: b.label, Value: f.ShortID()})
		}
	}
	return out
}

// containActions are the containment responses of f's playbook that fit f
// and are enabled, suggested first.
func (rf *Flow) containActions(f bot.Finding) []playbooks.Response {
	var out []playbooks.Response
	for _, r := range rf.fits(f) {
		if _, ok := rf.rule(r.Action); ok && IsContainment(r.Action) {
			out = append(out, r)
		}
	}
	return out
}

// finding resolves the finding a button or dialog names.
func (rf *Flow) finding(ctx context.Context, r handlers.Request, ref string) (bot.Finding, bool) {
	f, err := rf.store.ResolveFinding(ctx, ref)
	if err != nil {
		rf.tell(ctx, r, bot.ErrorMessage(err))
		return bot.Finding{}, false
	}
	return f, true
}

// tell answers only the person who clicked; failing to is logged.
func (rf *Flow) tell(ctx context.Context, r handlers.Request, text string, spans ...bot.Span) {
	rich := append(bot.R(bot.T(text)), spans...)
	m := bot.Message{Text: text, Blocks: []bot.Block{bot.Section{Text: rich}}}
	if err := rf.chat.Ephemeral(ctx, r.ResponseURL, r.Channel, r.UserID, m); err != nil {
		rf.log.Warn("could not answer the person who clicked", "user", r.UserID, "err", err)
	}
}

// request asks the runner for an action and shows the request in the
// card's thread.
func (rf *Flow) request(ctx context.Context, r handlers.Request, f bot.Finding, action, reason string, extra []string) error {
	rf.work.run(ctx, func(ctx context.Context) { rf.requestNow(ctx, r, f, action, reason, extra) })
	return nil
}

// requestNow is request on a background goroutine: with no approval
// required, the runner runs the action before it returns.
func (rf *Flow) requestNow(ctx context.Context, r handlers.Request, f bot.Finding, action, reason string, extra []string) {
	req, msg, err := rf.runner.Request(ctx, f, action, r.UserID, reason)
	if err != nil {
		rf.tell(ctx, r, playbooks.ActionLabel(action)+": "+bot.ErrorMessage(err))
		return
	}
	if msg == playbooks.MsgNeedsEvidence {
		rf.refusedForEvidence(ctx, r, f, action)
		return
	}
	if msg != "" {
		rf.tell(ctx, r, playbooks.ActionLabel(action)+": "+msg)
		return
	}
	rf.presenter.Requested(req, extra, bot.MessageRef{Channel: r.Channel, TS: r.MessageTS})
	if r.Kind == handlers.RequestCommand {
		rf.tell(ctx, r, playbooks.ActionLabel(action)+": requested; follow it in the finding's thread.")
	}
}

// RequestMute is `/finding mute ID reason`: the request the card's Mute…
// dialog makes.
func (rf *Flow) RequestMute(ctx context.Context, r handlers.Request, ref, reason string) error {
	f, ok := rf.finding(ctx, r, ref)
	if !ok {
		return nil
	}
	return rf.request(ctx, r, f, bot.ActionMute, reason, nil)
}

// RequestMuteRule is `/finding mute-rule ID [reason]`. Without a reason it
// only shows the person the rule it would propose (what it matches, and
// where): nothing is requested. With one it requests the rule under the
// policy, and the request in the finding's thread shows the rule again
// for the approvers.
func (rf *Flow) RequestMuteRule(ctx context.Context, r handlers.Request, ref, reason string) error {
	f, ok := rf.finding(ctx, r, ref)
	if !ok {
		return nil
	}
	label := playbooks.ActionLabel(bot.ActionMuteRule)
	if _, ok := rf.rule(bot.ActionMuteRule); !ok {
		rf.tell(ctx, r, label+": not enabled (responses.actions has no mute_rule or mute).")
		return nil
	}
	lines, err := rf.runner.Preview(f, bot.ActionMuteRule)
	if err != nil {
		rf.tell(ctx, r, label+": "+bot.ErrorMessage(err))
		return nil
	}
	if reason != "" {
		return rf.request(ctx, r, f, bot.ActionMuteRule, reason, nil)
	}
	text := "Proposed for finding " + f.ShortID() + ", not created:"
	for _, l := range lines {
		text += "\n• " + l
	}
	rf.tell(ctx, r, text, bot.T("\nTo request it (under the mute policy), add a reason: "),
		bot.M("/finding mute-rule "+f.ShortID()+" <reason>"))
	return nil
}

// approve runs the approved action in the background: the click is
// answered at once, the outcome shows in the request's message.
func (rf *Flow) approve(ctx context.Context, r handlers.Request) error {
	rf.work.run(ctx, func(ctx context.Context) {
		_, msg, err := rf.runner.Approve(ctx, r.Value, r.UserID)
		switch {
		case err != nil:
			rf.tell(ctx, r, "Approve: "+bot.ErrorMessage(err))
		case msg != "":
			rf.tell(ctx, r, msg)
		}
	})
	return nil
}

func (rf *Flow) deny(ctx context.Context, r handlers.Request) error {
	_, msg, err := rf.runner.Deny(ctx, r.Value, r.UserID, "denied in Slack")
	switch {
	case err != nil:
		rf.tell(ctx, r, "Deny: "+bot.ErrorMessage(err))
	case msg != "":
		rf.tell(ctx, r, msg)
	}
	return nil
}

// joinReasons keeps a reason to one readable line.
func joinReasons(s string) string { return strings.Join(strings.Fields(s), " ") }
