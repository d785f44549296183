package investigate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// Tasks runs card buttons: it resolves the finding, refuses a second run
// of work already in progress, shows the work on the card while it runs,
// and answers in the card's thread, naming who asked.
type Tasks struct {
	store   handlers.FindingResolver
	chat    handlers.Chat
	cards   *handlers.Cards
	timeout time.Duration
	// showAfter is how long work runs before the card shows it: quick
	// answers do not cost two card updates (Slack allows about 50 a
	// minute). Zero shows all work at once.
	showAfter time.Duration
	log       *slog.Logger
	now       func() time.Time
}

// TasksOptions are the settings of Tasks.
type TasksOptions struct {
	// Timeout bounds each task's work (default a minute).
	Timeout time.Duration
	Logger  *slog.Logger
}

// NewTasks returns Tasks answering in the cards' threads.
func NewTasks(store handlers.FindingResolver, chat handlers.Chat, cards *handlers.Cards, opts TasksOptions) *Tasks {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	return &Tasks{store: store, chat: chat, cards: cards, timeout: opts.Timeout, showAfter: time.Second,
		log: opts.Logger, now: time.Now}
}

// Handler returns the handler of a card button whose work is task.
// label names the work for people ("Related findings").
func (t *Tasks) Handler(label string, task handlers.Task) handlers.Handler {
	return handlers.HandlerFunc(func(ctx context.Context, r handlers.Request) error {
		return t.run(ctx, r, label, task)
	})
}

func (t *Tasks) run(ctx context.Context, r handlers.Request, label string, task handlers.Task) error {
	f, card, err := t.resolve(ctx, r)
	if err != nil {
		return t.tell(ctx, r, bot.R(bot.T(label+": "+bot.ErrorMessage(err))))
	}
	tracker := t.cards.Tracker()
	started, prev := tracker.Start(f.Name, handlers.Running{Action: r.ActionID, Label: label, UserID: r.UserID, Since: t.now()})
	if !started {
		return t.tell(ctx, r, bot.R(bot.T(label+" is already running for this finding, asked by "),
			bot.Mention(prev.UserID), bot.T(" at "+handlers.InDisplayZone(prev.Since).Format("15:04:05 MST")+". The answer will be in the thread.")))
	}
	answer, shown := t.workShown(ctx, f, label, task)
	tracker.Done(f.Name, r.ActionID)
	answer.Blocks = append([]bot.Block{bot.Section{Text: bot.R(bot.Mention(r.UserID), bot.T(" asked for "), bot.B(label), bot.T(":"))}}, answer.Blocks...)
	_, err = t.chat.Reply(ctx, card, answer)
	if shown {
		t.cards.Touch(f.Name)
	}
	if err != nil {
		return fmt.Errorf("reply with %s: %w", label, err)
	}
	return nil
}

// workShown runs the task and, when it takes longer than showAfter, shows
// it on the card meanwhile. It reports whether the card was changed.
func (t *Tasks) workShown(ctx context.Context, f bot.Finding, label string, task handlers.Task) (bot.Message, bool) {
	if t.showAfter <= 0 {
		t.cards.Touch(f.Name)
		return t.work(ctx, f, label, task), true
	}
	done := make(chan bot.Message, 1)
	go func() { done <- t.work(ctx, f, label, task) }()
	timer := time.NewTimer(t.showAfter)
	defer timer.Stop()
	select {
	case m := <-done:
		return m, false
	case <-timer.C:
		t.cards.Touch(f.Name)
		return <-done, true
	}
}

// work runs task within the timeout and turns a failure into an answer
// that says what happened and what to do.
func (t *Tasks) work(ctx context.Context, f bot.Finding, label string, task handlers.Task) bot.Message {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	m, err := task(ctx, f)
	if err == nil {
		if m.Text == "" {
			m.Text = label + " for " + bot.CategoryOf(f)
		}
		return m
	}
	t.log.Warn("card task failed", "task", label, "finding", f.Name, "err", err)
	return bot.Message{Text: label + " failed", Blocks: []bot.Block{
		bot.Section{Text: bot.R(bot.T("⚠️ " + label + " failed: " + failureText(err)))},
	}}
}

func failureText(err error) string {
	if errors.Is(err, context.DeadlineExceeded) && bot.ErrorCode(err) == bot.EInternal {
		return "it took too long and was stopped. Try again; if it keeps happening, the backend is slow."
	}
	return bot.ErrorMessage(err)
}

// resolve finds the finding the button names (its value is the finding's
// short id) and the card to answer under.
func (t *Tasks) resolve(ctx context.Context, r handlers.Request) (bot.Finding, bot.MessageRef, error) {
	f, err := t.store.ResolveFinding(ctx, r.Value)
	if err != nil {
		return bot.Finding{}, bot.MessageRef{}, err
	}
	card, ok, err := t.store.Card(ctx, f.Name)
	if err != nil {
		return bot.Finding{}, bot.MessageRef{}, err
	}
	if !ok {
		// A finding shown without a card (a /finding show) answers in the
		// channel where it was asked.
		card = bot.MessageRef{Channel: r.Channel, TS: r.MessageTS}
	}
	return f, card, nil
}

// tell answers the person who clicked, and only them.
func (t *Tasks) tell(ctx context.Context, r handlers.Request, text bot.Rich) error {
	m := bot.Message{Text: handlers.PlainOf(text), Blocks: []bot.Block{bot.Section{Text: text}}}
	if err := t.chat.Ephemeral(ctx, r.ResponseURL, r.Channel, r.UserID, m); err != nil {
		return fmt.Errorf("ephemeral answer: %w", err)
	}
	return nil
}

// Register serves each button's action with its task and puts the buttons,
// in order, on every card.
func (t *Tasks) Register(mux *handlers.Mux, buttons ...handlers.Button) {
	for _, b := range buttons {
		mux.HandleAction(b.Action, t.Handler(b.Label, b.Task))
	}
	t.cards.AddButtons(func(f bot.Finding) []bot.Button {
		out := make([]bot.Button, 0, len(buttons))
		for _, b := range buttons {
			// The value is the finding's short id: an opaque reference the
			// handler looks up again; it carries no parameter.
			out = append(out, bot.Button{ActionID: b.Action, Label: b.Label, Value: f.ShortID()})
		}
		return out
	})
}

// Checklist renders a finding's playbook for the window [start, end].
type Checklist func(f bot.Finding, start, end time.Time) bot.Message

// PlaybookTask answers the Playbook button: the step-by-step procedure for
// the finding's category with the finding's own values filled in.
func PlaybookTask(checklist Checklist, window time.Duration) handlers.Task {
	return func(_ context.Context, f bot.Finding) (bot.Message, error) {
		at := f.EventTime
		if at.IsZero() {
			at = time.Now()
		}
		return checklist(f, at.Add(-window), at.Add(window)), nil
	}
}
