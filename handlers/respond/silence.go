package respond

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/intake"
)

// Dialogs opens modal dialogs.
type Dialogs interface {
	OpenModal(ctx context.Context, triggerID string, m bot.Modal) error
}

// Silence scopes offered by the dialog.
const (
	scopeSimilar = "similar"
	scopeProject = "project"
	scopePod     = "pod"
)

// silenceDurations are the dialog's choices, shortest first.
var silenceDurations = []struct {
	value string
	d     time.Duration
	label string
}{
	{"1h", time.Hour, "1 hour"},
	{"4h", 4 * time.Hour, "4 hours"},
	{"24h", 24 * time.Hour, "1 day"},
	{"168h", 7 * 24 * time.Hour, "7 days"},
}

// SilenceFlow is "Silence similar…" on a card: a dialog with the scope,
// the duration and a required reason; the silence is announced in the
// card's thread with a button that removes it.
type SilenceFlow struct {
	store    handlers.FindingResolver
	chat     handlers.Chat
	dialogs  Dialogs
	silences *intake.Silences
	log      *slog.Logger
}

// SilenceFlowOptions are the optional collaborators of a SilenceFlow.
type SilenceFlowOptions struct {
	Logger *slog.Logger
}

// NewSilenceFlow returns a SilenceFlow creating silences in silences.
func NewSilenceFlow(store handlers.FindingResolver, chat handlers.Chat, dialogs Dialogs, silences *intake.Silences,
	opts SilenceFlowOptions) *SilenceFlow {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &SilenceFlow{store: store, chat: chat, dialogs: dialogs, silences: silences, log: opts.Logger}
}

// Register serves the flow's actions and puts its button on every card.
func (s *SilenceFlow) Register(mux *handlers.Mux, cards *handlers.Cards) {
	mux.HandleAction(handlers.ActionSilence, handlers.HandlerFunc(s.open))
	mux.ValidateSubmit(handlers.CallbackSilence, validateSilence)
	mux.HandleSubmit(handlers.CallbackSilence, handlers.HandlerFunc(s.create))
	mux.HandleAction(handlers.ActionSilenceRemove, handlers.HandlerFunc(s.remove))
	cards.AddButtons(func(f bot.Finding) []bot.Button {
		return []bot.Button{{ActionID: handlers.ActionSilence, Label: "Silence similar…", Value: f.ShortID()}}
	})
}

func (s *SilenceFlow) open(ctx context.Context, r handlers.Request) error {
	f, err := s.store.ResolveFinding(ctx, r.Value)
	if err != nil {
		return s.tell(ctx, r, "Silence: "+bot.ErrorMessage(err))
	}
	if err := s.dialogs.OpenModal(ctx, r.TriggerID, silenceModal(f, handlers.DialogMetadata(f, r))); err != nil {
		return s.tell(ctx, r, "Silence: "+bot.ErrorMessage(err))
	}
	return nil
}

func silenceModal(f bot.Finding, meta string) bot.Modal {
	scopes := []bot.Option{{Value: scopeSimilar, Label: "Like this one", Description: intake.DescribeMatchers(bot.SimilarMatchers(f))}}
	if f.Project() != "" {
		scopes = append(scopes, bot.Option{Value: scopeProject, Label: "This category in the project",
			Description: intake.DescribeMatchers(silenceMatchers(f, scopeProject))})
	}
	if f.Target.Pod != "" {
		scopes = append(scopes, bot.Option{Value: scopePod, Label: "This category on this pod",
			Description: intake.DescribeMatchers(silenceMatchers(f, scopePod))})
	}
	var durations []bot.Option
	for _, d := range silenceDurations {
		durations = append(durations, bot.Option{Value: d.value, Label: d.label})
	}
	return bot.Modal{CallbackID: handlers.CallbackSilence, Title: "Silence findings", Submit: "Silence", Close: "Cancel",
		Metadata: meta,
		Blocks:   []bot.Block{bot.Section{Text: bot.R(bot.T("Matching findings are stored and counted in the digest, but not posted until the silence ends. Everyone sees who silenced what, and why."))}},
		Inputs: []bot.Input{
			{ID: "scope", Kind: bot.InputRadio, Label: "Silence", Options: scopes, Initial: scopeSimilar},
			{ID: "duration", Kind: bot.InputSelect, Label: "For", Options: durations, Initial: "4h"},
			{ID: "reason", Kind: bot.InputMultiline, Label: "Why", MaxLength: 500,
				Hint: "For example: the team runs this build step in production on purpose."},
		}}
}

// silenceMatchers are the matchers of a scope.
func silenceMatchers(f bot.Finding, scope string) []bot.Matcher {
	switch scope {
	case scopeProject:
		return []bot.Matcher{{Field: bot.MatchCategory, Value: f.Category}, {Field: bot.MatchProject, Value: f.Project()}}
	case scopePod:
		return []bot.Matcher{{Field: bot.MatchCategory, Value: f.Category}, {Field: bot.MatchCluster, Value: f.Target.Cluster},
			{Field: bot.MatchNamespace, Value: f.Target.Namespace}, {Field: bot.MatchPod, Value: f.Target.Pod}}
	}
	return bot.SimilarMatchers(f)
}

// validateSilence checks the dialog before Slack closes it.
func validateSilence(r handlers.Request) map[string]string {
	problems := map[string]string{}
	if strings.TrimSpace(r.Values["reason"]) == "" {
		problems["reason"] = "Say why: a silence hides findings from everyone."
	}
	if _, ok := silenceDuration(r.Values["duration"]); !ok {
		problems["duration"] = "Choose how long."
	}
	switch r.Values["scope"] {
	case scopeSimilar, scopeProject, scopePod:
	default:
		problems["scope"] = "Choose what to silence."
	}
	return problems
}

func silenceDuration(v string) (time.Duration, bool) {
	for _, d := range silenceDurations {
		if d.value == v {
			return d.d, true
		}
	}
	return 0, false
}

// create checks the submission again (validation is a courtesy), creates
// the silence and announces it in the card's thread.
func (s *SilenceFlow) create(ctx context.Context, r handlers.Request) error {
	if problems := validateSilence(r); len(problems) > 0 {
		return fmt.Errorf("silence submission refused: %v", problems)
	}
	ref, r := handlers.FromDialog(r)
	f, err := s.store.ResolveFinding(ctx, ref)
	if err != nil {
		return fmt.Errorf("silence: %w", err)
	}
	d, _ := silenceDuration(r.Values["duration"])
	sil, err := s.silences.Create(ctx, silenceMatchers(f, r.Values["scope"]), d, r.Values["reason"], r.UserID)
	if err != nil {
		return fmt.Errorf("silence: %w", err)
	}
	card, ok, err := s.store.Card(ctx, f.Name)
	if err != nil || !ok {
		card = bot.MessageRef{Channel: r.Channel, TS: r.MessageTS}
	}
	if card.Empty() {
		return err
	}
	_, err = s.chat.Reply(ctx, card, SilenceAnnouncement(sil, r.UserID))
	return err
}

// SilenceAnnouncement is the channel message that tells who silenced what, until when.
func SilenceAnnouncement(sil bot.Silence, user string) bot.Message {
	text := bot.R(bot.T("🔕 "), bot.Mention(user), bot.T(" silenced findings matching "), bot.M(intake.DescribeMatchers(sil.Matchers)),
		bot.T(" until "+handlers.FormatTime(sil.ExpiresAt)+". Reason: "+sil.Reason))
	return bot.Message{Text: "Findings silenced until " + handlers.FormatTime(sil.ExpiresAt), Blocks: []bot.Block{
		bot.Section{Text: text},
		bot.Actions{Buttons: []bot.Button{{ActionID: handlers.ActionSilenceRemove, Label: "Remove silence", Value: sil.ID, Style: bot.ButtonDanger}}},
	}}
}

func (s *SilenceFlow) remove(ctx context.Context, r handlers.Request) error {
	sil, err := s.silences.Remove(ctx, r.Value, r.UserID)
	if err != nil {
		return s.tell(ctx, r, "Remove silence: "+bot.ErrorMessage(err))
	}
	if sil.RemovedBy != r.UserID {
		return s.tell(ctx, r, "That silence was already removed.")
	}
	thread := r.ThreadTS
	if thread == "" {
		thread = r.MessageTS
	}
	msg := bot.Message{Text: "Silence removed", Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T("🔔 "),
		bot.Mention(r.UserID), bot.T(" removed the silence of "), bot.M(intake.DescribeMatchers(sil.Matchers)), bot.T("."))}}}
	_, err = s.chat.Reply(ctx, bot.MessageRef{Channel: r.Channel, TS: thread}, msg)
	return err
}

func (s *SilenceFlow) tell(ctx context.Context, r handlers.Request, text string) error {
	m := bot.Message{Text: text, Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T(text))}}}
	return s.chat.Ephemeral(ctx, r.ResponseURL, r.Channel, r.UserID, m)
}
