package respond

import (
	"context"
	"fmt"
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
}

// Options are a Flow's optional collaborators.
type Options struct {
	// Owners shows who will be paged before the page is requested.
	Owners playbooks.OwnerLookup
	Logger *slog.Logger
}

// NewRespondFlow returns a Flow.
func NewRespondFlow(store handlers.FindingResolver, chat handlers.Chat, dialogs Dialogs, runner Responses, rule RuleOf, fits Fits,
	cards *handlers.Cards, opts Options) *Flow {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Flow{store: store, chat: chat, dialogs: dialogs, runner: runner, rule: rule, fits: fits,
		cards: cards, owners: opts.Owners, log: opts.Logger}
}

// Register serves the response actions, adds the buttons that fit each
// finding to its card, and shows the finding's requests on the card.
func (rf *Flow) Register(mux *handlers.Mux) {
	mux.HandleAction(handlers.ActionContain, handlers.HandlerFunc(rf.openContain))
	mux.ValidateSubmit(handlers.CallbackContain, validateContain)
	mux.HandleSubmit(handlers.CallbackContain, handlers.HandlerFunc(rf.submitContain))
	mux.HandleAction(handlers.ActionMute, handlers.HandlerFunc(rf.openMute))
	mux.ValidateSubmit(handlers.CallbackMute, validateReason)
	mux.HandleSubmit(handlers.CallbackMute, handlers.HandlerFunc(rf.submitMute))
	mux.HandleAction(handlers.ActionResolve, handlers.HandlerFunc(rf.resolve))
	mux.HandleAction(handlers.ActionPageOwner, handlers.HandlerFunc(rf.page))
	mux.HandleAction(handlers.ActionEvidence, handlers.HandlerFunc(rf.collect))
	mux.HandleAction(handlers.ActionApprove, handlers.HandlerFunc(rf.approve))
	mux.HandleAction(handlers.ActionDeny, handlers.HandlerFunc(rf.deny))
	rf.cards.AddButtons(rf.buttons)
	rf.cards.AddNotes(rf.notes)
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
		{bot.ActionResolve, handlers.ActionResolve, "Resolve"},
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

// notes show the finding's requests on its card, newest last.
func (rf *Flow) notes(ctx context.Context, f bot.Finding) ([]bot.Rich, error) {
	reqs, err := rf.runner.Requests(ctx, f.Name)
	if err != nil {
		return nil, err
	}
	var out []bot.Rich
	for _, req := range reqs {
		out = append(out, requestLine(req))
	}
	return out, nil
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
	req, msg, err := rf.runner.Request(ctx, f, action, r.UserID, reason)
	if err != nil {
		rf.tell(ctx, r, playbooks.ActionLabel(action)+": "+bot.ErrorMessage(err))
		return nil
	}
	if msg == playbooks.MsgNeedsEvidence {
		rf.refusedForEvidence(ctx, r, f, action)
		return nil
	}
	if msg != "" {
		rf.tell(ctx, r, playbooks.ActionLabel(action)+": "+msg)
		return nil
	}
	ref, err := rf.postRequest(ctx, r, f, rf.requestMessage(req, f, extra))
	if err != nil {
		return fmt.Errorf("post request %s: %w", req.ID, err)
	}
	if r.Kind == handlers.RequestCommand {
		rf.tell(ctx, r, playbooks.ActionLabel(action)+": requested; follow it in the finding's thread.")
	}
	if err := rf.runner.SetMessage(ctx, req.ID, ref); err != nil {
		rf.log.Warn("request message not recorded", "request", req.ID, "err", err)
	} else {
		rf.catchUp(ctx, req.ID, ref, f)
	}
	rf.cards.Touch(f.Name)
	return nil
}

// catchUp edits a request's message when the request moved while the
// message was being posted: Changed could not edit a message it did not
// know yet, so without this a quick approval would leave Approve and Deny
// showing on a decided request.
func (rf *Flow) catchUp(ctx context.Context, id string, ref bot.MessageRef, f bot.Finding) {
	reqs, err := rf.runner.Requests(ctx, f.Name)
	if err != nil {
		rf.log.Warn("request state not rechecked", "request", id, "err", err)
		return
	}
	for _, req := range reqs {
		if req.ID == id && req.State != bot.RequestPending {
			if err := rf.chat.Update(ctx, ref, rf.requestMessage(req, f, nil)); err != nil {
				rf.log.Warn("request message not updated", "request", id, "err", err)
			}
		}
	}
}

// postRequest puts a request in the card's thread; a finding without a
// card of its own (typed about in /finding) gets it in the channel.
func (rf *Flow) postRequest(ctx context.Context, r handlers.Request, f bot.Finding, m bot.Message) (bot.MessageRef, error) {
	card, ok, err := rf.store.Card(ctx, f.Name)
	if err != nil || !ok {
		card = bot.MessageRef{Channel: r.Channel, TS: r.MessageTS}
	}
	if card.TS == "" {
		return rf.chat.Post(ctx, card.Channel, m)
	}
	return rf.chat.Reply(ctx, card, m)
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

// Changed keeps Slack current when a request moves: its message in the
// thread is rebuilt, a final outcome is announced in the thread, and the
// card shows it. The runner calls it after every transition.
func (rf *Flow) Changed(ctx context.Context, req bot.ActionRequest) {
	f, err := rf.store.ResolveFinding(ctx, req.Finding)
	if err != nil {
		rf.log.Warn("request changed for an unknown finding", "request", req.ID, "err", err)
		return
	}
	if !req.Message.Empty() {
		if err := rf.chat.Update(ctx, req.Message, rf.requestMessage(req, f, nil)); err != nil {
			rf.log.Warn("request message not updated", "request", req.ID, "err", err)
		}
	}
	// A request that finished before its message was posted (one that
	// needs no approval runs at once) shows the outcome in that message.
	if req.State.Final() && !req.Message.Empty() {
		rf.announce(ctx, req, f)
	}
	rf.cards.Touch(f.Name)
}

// announce replies in the card's thread with a request's outcome, so that
// the people following the thread are told.
func (rf *Flow) announce(ctx context.Context, req bot.ActionRequest, f bot.Finding) {
	card, ok, err := rf.store.Card(ctx, f.Name)
	if err != nil || !ok {
		card = req.Message
	}
	if card.Empty() {
		return
	}
	line := requestLine(req)
	m := bot.Message{Text: handlers.PlainOf(line), Blocks: []bot.Block{bot.Section{Text: line}}}
	m.Key = "outcome/" + req.ID
	if _, err := rf.chat.Reply(ctx, card, m); err != nil {
		rf.log.Warn("request outcome not announced", "request", req.ID, "err", err)
	}
}

func (rf *Flow) approve(ctx context.Context, r handlers.Request) error {
	_, msg, err := rf.runner.Approve(ctx, r.Value, r.UserID)
	switch {
	case err != nil:
		rf.tell(ctx, r, "Approve: "+bot.ErrorMessage(err))
	case msg != "":
		rf.tell(ctx, r, msg)
	}
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
