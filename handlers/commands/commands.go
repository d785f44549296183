package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/digest"
	"github.com/sccbot/sccbot/handlers/findingcmd"
	"github.com/sccbot/sccbot/handlers/intake"
	"github.com/sccbot/sccbot/handlers/respond"
	"github.com/sccbot/sccbot/playbooks"
)

// SlashCommand is the command sccbot serves.
const SlashCommand = "/finding"

// CommandStore is what /finding reads from the store.
type CommandStore interface {
	handlers.FindingResolver
	playbooks.FindingWriter
	ListFindings(ctx context.Context, q bot.FindingQuery) ([]bot.Finding, int, error)
}

// StatsStore gives the figures of `/finding stats`.
type StatsStore interface {
	FindingGroups(ctx context.Context, by string, prevFrom, from, to time.Time, limit int) ([]digest.Count, int, error)
	FindingsWithOutcome(ctx context.Context, outcome string, from, to time.Time) (int, error)
	UnacknowledgedFindings(ctx context.Context, since, before time.Time, limit int) ([]bot.Finding, int, error)
}

// Unmuter lifts a finding's mute in SCC.
type Unmuter interface {
	SetMute(ctx context.Context, name string, muted bool) (bot.Finding, error)
}

// CommandDeps are the parts /finding drives: the same ones the card's
// buttons use, so that typing and clicking do the same thing.
type CommandDeps struct {
	Store   CommandStore
	Stats   StatsStore
	Chat    handlers.Chat
	Cards   *handlers.Cards
	Related handlers.Task
	Logs    handlers.Task
	// Attack describes techniques; Notice is MITRE's notice shown with
	// them; Enum maps an SCC technique enum to an ATT&CK id.
	Attack handlers.AttackCatalog
	Notice string
	Enum   func(enum string) (string, bool)
	Acks   *respond.AckFlow
	// Respond requests mutes through the response policy.
	Respond  *respond.Flow
	Unmute   Unmuter
	Audit    handlers.Auditor
	Silences *intake.Silences
	Digests  *digest.Digests
	// Location is the time zone of `/finding digest` (default UTC).
	Location *time.Location
	Logger   *slog.Logger
	Now      func() time.Time
}

// Commands serves /finding: it parses the text, runs the subcommand and
// answers the person who typed it, through the command's response URL.
type Commands struct {
	d   CommandDeps
	log *slog.Logger
}

// NewCommands returns the /finding handler.
func NewCommands(d CommandDeps) *Commands {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	return &Commands{d: d, log: d.Logger}
}

// Register serves /finding and the Share button of its answers.
func (c *Commands) Register(mux *handlers.Mux) {
	mux.HandleCommand(SlashCommand, handlers.HandlerFunc(c.serve))
	mux.HandleAction(handlers.ActionShare, handlers.HandlerFunc(c.share))
}

func (c *Commands) serve(ctx context.Context, r handlers.Request) error {
	cmd, err := findingcmd.ParseCommand(r.Text)
	var m bot.Message
	if err != nil {
		m = commandErrorMessage(err)
	} else {
		m, err = c.run(ctx, r, cmd)
		if err != nil {
			c.log.Warn("command failed", "command", cmd.Name, "user", r.UserID, "err", err)
			m = textMessage("`" + cmd.Name + "`: " + bot.ErrorMessage(err))
		}
	}
	if len(m.Blocks) == 0 && m.Text == "" {
		return nil // the subcommand answered in its own way
	}
	if err := c.d.Chat.Ephemeral(ctx, r.ResponseURL, r.Channel, r.UserID, m); err != nil {
		return fmt.Errorf("answer /finding %s: %w", cmd.Name, err)
	}
	return nil
}

func (c *Commands) run(ctx context.Context, r handlers.Request, cmd findingcmd.Command) (bot.Message, error) {
	switch cmd.Name {
	case findingcmd.CommandHelp:
		return helpMessage(cmd.Topic), nil
	case findingcmd.CommandShow:
		return c.show(ctx, cmd.Finding)
	case findingcmd.CommandList:
		return c.list(ctx, cmd.Filters)
	case findingcmd.CommandRelated:
		return c.task(ctx, cmd.Finding, c.d.Related)
	case findingcmd.CommandLogs:
		return c.task(ctx, cmd.Finding, c.d.Logs)
	case findingcmd.CommandMitre:
		return c.mitre(cmd.Technique), nil
	case findingcmd.CommandMute:
		return c.mute(ctx, r, cmd)
	case findingcmd.CommandMuteRule:
		return bot.Message{}, c.d.Respond.RequestMuteRule(ctx, r, cmd.Finding, cmd.Reason)
	case findingcmd.CommandResolve:
		return bot.Message{}, c.d.Respond.RequestResolve(ctx, r, cmd.Finding, cmd.Verdict, cmd.Reason)
	case findingcmd.CommandUnmute:
		return c.unmute(ctx, r, cmd.Finding)
	case findingcmd.CommandAck:
		return bot.Message{}, c.d.Acks.Acknowledge(ctx, r, cmd.Finding)
	case findingcmd.CommandDigest:
		return c.d.Digests.DigestNow(ctx, c.d.Location)
	case findingcmd.CommandStats:
		return c.stats(ctx, cmd.Filters)
	case findingcmd.CommandSilence:
		return c.silence(ctx, r, cmd)
	}
	return bot.Message{}, bot.Errorf(bot.EInvalid, "unknown command %q", cmd.Name)
}

// commandErrorMessage says what is wrong with the command and how to
// write it.
func commandErrorMessage(err error) bot.Message {
	var ce *findingcmd.CommandError
	if !errors.As(err, &ce) {
		return textMessage(bot.ErrorMessage(err))
	}
	m := bot.Message{Text: ce.Message}
	m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.T("⚠️ " + ce.Message))})
	if ce.Usage != "" {
		m.Blocks = append(m.Blocks, bot.Code{Text: ce.Usage})
	}
	return m
}

func helpMessage(topic string) bot.Message {
	text := findingcmd.HelpText()
	if topic != "" {
		text = findingcmd.SubcommandHelp(topic)
	}
	return bot.Message{Text: "How to use /finding", Blocks: []bot.Block{bot.Code{Text: text}}}
}

func textMessage(text string) bot.Message {
	return bot.Message{Text: text, Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T(text))}}}
}

// task runs a card button's work for a typed command; the answer goes to
// the person only.
func (c *Commands) task(ctx context.Context, ref string, task handlers.Task) (bot.Message, error) {
	f, err := c.d.Store.ResolveFinding(ctx, ref)
	if err != nil {
		return bot.Message{}, err
	}
	return task(ctx, f)
}
