package respond

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// AckStore keeps who acknowledged each finding first, and when the
// finding arrived, which together give its time to acknowledge.
type AckStore interface {
	// Ack records user's acknowledgement at the store's clock; when the
	// finding already has one it changes nothing and returns that one
	// with first false.
	Ack(ctx context.Context, findingName, user string) (by string, at time.Time, first bool, err error)
	// AckOf returns the finding's acknowledgement, if any.
	AckOf(ctx context.Context, findingName string) (by string, at time.Time, ok bool, err error)
	// FindingSeen returns when the store first (and last) saw the finding.
	FindingSeen(ctx context.Context, name string) (first, last time.Time, err error)
}

// AuditAcknowledged is the audit event of a finding's first acknowledgement.
const AuditAcknowledged = "acknowledged"

// AckFlow is "Acknowledge" on a card: the first person to click takes the
// finding, the card says who and when, and the time it took counts in the
// digest's mean time to acknowledge. Taking a finding is audited like the
// other things people do to it, so the export shows who owned it when.
type AckFlow struct {
	store    AckStore
	findings handlers.FindingResolver
	chat     handlers.Chat
	audit    handlers.Auditor
	cards    *handlers.Cards
	log      *slog.Logger
}

// AckOptions are the optional collaborators of an AckFlow.
type AckOptions struct {
	Logger *slog.Logger
}

// NewAckFlow returns an AckFlow that records acknowledgements in store and
// in the audit log.
func NewAckFlow(store AckStore, findings handlers.FindingResolver, chat handlers.Chat, audit handlers.Auditor,
	opts AckOptions) *AckFlow {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &AckFlow{store: store, findings: findings, chat: chat, audit: audit, log: opts.Logger}
}

// Register serves the button, puts it on every card and shows the
// acknowledgement on the card.
func (a *AckFlow) Register(mux *handlers.Mux, cards *handlers.Cards) {
	a.cards = cards
	mux.HandleAction(handlers.ActionAck, handlers.HandlerFunc(a.click))
	cards.AddButtons(func(f bot.Finding) []bot.Button {
		// The value is the finding's short id, looked up again on click.
		return []bot.Button{{ActionID: handlers.ActionAck, Label: "Acknowledge", Value: f.ShortID(), Style: bot.ButtonPrimary}}
	})
	cards.AddNotes(a.Note)
}

// Note is the card line of the acknowledgement, if any.
func (a *AckFlow) Note(ctx context.Context, f bot.Finding) ([]bot.Rich, error) {
	by, at, ok, err := a.store.AckOf(ctx, f.Name)
	if err != nil || !ok {
		return nil, err
	}
	line := bot.R(bot.T("✅ Acknowledged by "), bot.Mention(by), bot.T(" at "+handlers.InDisplayZone(at).Format("15:04 MST")))
	first, _, err := a.store.FindingSeen(ctx, f.Name)
	if err != nil {
		return nil, fmt.Errorf("acknowledgement note: %w", err)
	}
	return []bot.Rich{append(line, bot.T(" ("+handlers.FormatDuration(at.Sub(first))+" after it arrived)"))}, nil
}

// Acknowledge is `/finding ack ID`: what the button does.
func (a *AckFlow) Acknowledge(ctx context.Context, r handlers.Request, ref string) error {
	r.Value = ref
	return a.click(ctx, r)
}

func (a *AckFlow) click(ctx context.Context, r handlers.Request) error {
	f, err := a.findings.ResolveFinding(ctx, r.Value)
	if err != nil {
		return a.tell(ctx, r, bot.R(bot.T("Acknowledge: "+bot.ErrorMessage(err))))
	}
	by, at, first, err := a.store.Ack(ctx, f.Name, r.UserID)
	if err != nil {
		a.log.Warn("acknowledgement not recorded", "finding", f.Name, "user", r.UserID, "err", err)
		return a.tell(ctx, r, bot.R(bot.T("Acknowledge: "+bot.ErrorMessage(err))))
	}
	when := handlers.InDisplayZone(at).Format("2006-01-02 15:04 MST")
	if !first {
		who := bot.R(bot.T("Already acknowledged by "), bot.Mention(by))
		if by == r.UserID {
			who = bot.R(bot.T("You already acknowledged it"))
		}
		return a.tell(ctx, r, append(who, bot.T(" at "+when+".")))
	}
	a.record(ctx, f.Name, r, at)
	a.cards.Touch(f.Name)
	return a.tell(ctx, r, bot.R(bot.T("You acknowledged "), bot.M(f.ShortID()), bot.T(" at "+when+"; the card shows it.")))
}

// record audits the acknowledgement, once: later clicks change nothing.
func (a *AckFlow) record(ctx context.Context, finding string, r handlers.Request, at time.Time) {
	via := "Acknowledge button"
	if r.Kind == handlers.RequestCommand {
		via = "/finding ack"
	}
	handlers.WriteAudit(ctx, a.log, a.audit, bot.AuditEvent{At: at, Event: AuditAcknowledged, Finding: finding,
		Action: "ack", Actor: r.UserID, Detail: via})
}

// tell answers the person who clicked, and only them.
func (a *AckFlow) tell(ctx context.Context, r handlers.Request, text bot.Rich) error {
	m := bot.Message{Text: handlers.PlainOf(text), Blocks: []bot.Block{bot.Section{Text: text}}}
	if err := a.chat.Ephemeral(ctx, r.ResponseURL, r.Channel, r.UserID, m); err != nil {
		return fmt.Errorf("ephemeral answer: %w", err)
	}
	return nil
}
