package commands

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/digest"
	"github.com/sccbot/sccbot/handlers/findingcmd"
	"github.com/sccbot/sccbot/handlers/intake"
	"github.com/sccbot/sccbot/handlers/investigate"
	"github.com/sccbot/sccbot/handlers/respond"
	"github.com/sccbot/sccbot/playbooks"
)

// show is the finding's card, for the person only, with a button that
// shares it in the channel.
func (c *Commands) show(ctx context.Context, ref string) (bot.Message, error) {
	f, err := c.d.Store.ResolveFinding(ctx, ref)
	if err != nil {
		return bot.Message{}, err
	}
	m, err := c.d.Cards.Build(ctx, f)
	if err != nil {
		return bot.Message{}, err
	}
	m.Key = ""
	share := bot.R(bot.T("Only you can see this."))
	if card, ok, err := c.d.Store.Card(ctx, f.Name); err == nil && ok {
		share = append(share, bot.T(" Its card is in "), bot.ChannelLink(card.Channel), bot.T("."))
	}
	m.Blocks = append(m.Blocks, bot.Divider{}, bot.Context{Elements: []bot.Rich{share}},
		bot.Actions{Buttons: []bot.Button{{ActionID: handlers.ActionShare, Label: "Share in channel", Value: f.ShortID()}}})
	return m, nil
}

// share posts the card of `/finding show` in the channel, naming who
// shared it, in a thread under it.
func (c *Commands) share(ctx context.Context, r handlers.Request) error {
	f, err := c.d.Store.ResolveFinding(ctx, r.Value)
	if err != nil {
		return c.tell(ctx, r, "Share: "+bot.ErrorMessage(err))
	}
	m, err := c.d.Cards.Build(ctx, f)
	if err != nil {
		return fmt.Errorf("share %s: %w", f.Name, err)
	}
	m.Key = "" // a shared copy is not the finding's card
	ref, err := c.d.Chat.Post(ctx, r.Channel, m)
	if err != nil {
		return c.tell(ctx, r, "Share: "+bot.ErrorMessage(err))
	}
	note := bot.Message{Text: "Shared", Blocks: []bot.Block{bot.Context{Elements: []bot.Rich{
		bot.R(bot.T("Shared by "), bot.Mention(r.UserID), bot.T(" with /finding show"))}}}}
	if _, err := c.d.Chat.Reply(ctx, ref, note); err != nil {
		c.log.Warn("share note not posted", "err", err)
	}
	return nil
}

func (c *Commands) tell(ctx context.Context, r handlers.Request, text string) error {
	return c.d.Chat.Ephemeral(ctx, r.ResponseURL, r.Channel, r.UserID, textMessage(text))
}

// list shows the newest findings the filters select, one a line.
func (c *Commands) list(ctx context.Context, fl findingcmd.ListFilters) (bot.Message, error) {
	q := bot.FindingQuery{Severities: fl.Severities, MinSeverity: fl.MinSeverity, Categories: fl.Categories,
		Projects: fl.Projects, Products: fl.Products, States: fl.States, Verdict: fl.Verdict, Since: fl.From(c.d.Now()), Limit: fl.Limit}
	if q.Limit == 0 {
		q.Limit = findingcmd.DefaultListLimit
	}
	fs, total, err := c.d.Store.ListFindings(ctx, q)
	if err != nil {
		return bot.Message{}, err
	}
	if total == 0 {
		return textMessage("No findings match."), nil
	}
	head := fmt.Sprintf("%d %s match", total, bot.Plural(total, "finding", "findings"))
	if total > len(fs) {
		head += fmt.Sprintf("; the newest %d:", len(fs))
	}
	m := bot.Message{Text: head}
	m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.B(head))})
	for _, part := range packLines(fs, listSpans) {
		m.Blocks = append(m.Blocks, bot.Section{Text: part})
	}
	m.Blocks = append(m.Blocks, bot.Context{Elements: []bot.Rich{bot.R(bot.T("/finding show ID for the card"))}})
	return m, nil
}

func listSpans(f bot.Finding) []bot.Span {
	return []bot.Span{handlers.FindingLink(f), bot.T(" · " + f.Severity.Label() + " · " + handlers.Clip(f.Category, 70) + " · " +
		handlers.Clip(handlers.WhereOf(f), 60) + " · " + handlers.InDisplayZone(f.EventTime).Format("01-02 15:04 MST") + " · " + f.State)}
}

// mitre describes one technique, named by id or by SCC's enum.
func (c *Commands) mitre(technique string) bot.Message {
	id := technique
	if !findingcmd.IsTechniqueID(technique) {
		mapped, ok := c.d.Enum(technique)
		if !ok {
			return textMessage(fmt.Sprintf("SCC has no technique %s; try the ATT&CK id (T1027.004).", technique))
		}
		id = mapped
	}
	m := bot.Message{Text: "ATT&CK " + id, Blocks: []bot.Block{investigate.TechniqueBlock(id, c.d.Attack)}}
	if c.d.Notice != "" {
		m.Blocks = append(m.Blocks, bot.Context{Elements: []bot.Rich{bot.R(bot.T(c.d.Notice))}})
	}
	return m
}

func (c *Commands) mute(ctx context.Context, r handlers.Request, cmd findingcmd.Command) (bot.Message, error) {
	return bot.Message{}, c.d.Respond.RequestMute(ctx, r, cmd.Finding, cmd.Reason)
}

// unmute lifts a mute at once: it makes a finding visible again, which
// needs no approval, but it is audited.
func (c *Commands) unmute(ctx context.Context, r handlers.Request, ref string) (bot.Message, error) {
	f, err := c.d.Store.ResolveFinding(ctx, ref)
	if err != nil {
		return bot.Message{}, err
	}
	updated, err := c.d.Unmute.SetMute(ctx, f.Name, false)
	if err != nil {
		return bot.Message{}, err
	}
	if err := playbooks.StoreChange(ctx, c.d.Store, f, updated); err != nil {
		c.log.Warn("unmute not stored", "finding", f.Name, "err", err)
	}
	handlers.WriteAudit(ctx, c.log, c.d.Audit, bot.AuditEvent{At: c.d.Now(), Event: "unmuted", Finding: f.Name,
		Action: bot.ActionMute, Actor: r.UserID, Detail: "/finding unmute"})
	c.d.Cards.Touch(f.Name)
	return textMessage("Unmuted " + f.ShortID() + " in Security Command Center."), nil
}

// stats are the bot's figures since a time (default the last 24 hours).
func (c *Commands) stats(ctx context.Context, fl findingcmd.ListFilters) (bot.Message, error) {
	now := c.d.Now()
	from := fl.From(now)
	if from.IsZero() {
		from = now.Add(-24 * time.Hour)
	}
	sev, _, err := c.d.Stats.FindingGroups(ctx, digest.DigestBySeverity, from, from, now, 8)
	if err != nil {
		return bot.Message{}, err
	}
	var bySev []string
	total := 0
	for _, s := range sev {
		bySev = append(bySev, fmt.Sprintf("%s %d", s.Key, s.Count))
		total += s.Count
	}
	lines := []string{fmt.Sprintf("Findings first seen: %d (%s)", total, orNone(strings.Join(bySev, ", ")))}
	for _, o := range []struct{ outcome, label string }{{handlers.OutcomePosted, "posted as cards"}, {intake.OutcomeGrouped, "grouped into a card"},
		{handlers.OutcomeSilenced, "silenced"}, {handlers.OutcomeLifecycle, "state changes shown on cards"}} {
		n, err := c.d.Stats.FindingsWithOutcome(ctx, o.outcome, from, now)
		if err != nil {
			return bot.Message{}, err
		}
		lines = append(lines, fmt.Sprintf("%s: %d", o.label, n))
	}
	_, open, err := c.d.Stats.UnacknowledgedFindings(ctx, from, now, 1)
	if err != nil {
		return bot.Message{}, err
	}
	active, err := c.d.Silences.Active(ctx)
	if err != nil {
		return bot.Message{}, err
	}
	lines = append(lines, fmt.Sprintf("open and not acknowledged: %d", open), fmt.Sprintf("active silences: %d", len(active)))
	head := "sccbot since " + handlers.InDisplayZone(from).Format("2006-01-02 15:04 MST")
	return bot.Message{Text: head, Blocks: []bot.Block{bot.Section{Text: bot.R(bot.B(head))}, bot.Code{Text: strings.Join(lines, "\n")}}}, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// silence creates, lists or removes silences. A new silence is announced
// in the channel, with its Remove button, because it hides findings from
// everyone there.
func (c *Commands) silence(ctx context.Context, r handlers.Request, cmd findingcmd.Command) (bot.Message, error) {
	a := cmd.Silence
	switch a.Op {
	case findingcmd.SilenceCreate:
		sil, err := c.d.Silences.Create(ctx, a.Matchers, a.For, cmd.Reason, r.UserID)
		if err != nil {
			return bot.Message{}, err
		}
		if _, err := c.d.Chat.Post(ctx, r.Channel, respond.SilenceAnnouncement(sil, r.UserID)); err != nil {
			c.log.Warn("silence not announced", "silence", sil.ID, "err", err)
		}
		return textMessage("Silence " + sil.ID + " created until " + handlers.FormatTime(sil.ExpiresAt) + "."), nil
	case findingcmd.SilenceRemove:
		sil, err := c.d.Silences.Remove(ctx, a.ID, r.UserID)
		if err != nil {
			return bot.Message{}, err
		}
		if sil.RemovedBy != r.UserID {
			return textMessage("That silence was already removed."), nil
		}
		return textMessage("Removed silence " + sil.ID + " of " + intake.DescribeMatchers(sil.Matchers) + "."), nil
	}
	return c.silenceList(ctx)
}

func (c *Commands) silenceList(ctx context.Context) (bot.Message, error) {
	active, err := c.d.Silences.Active(ctx)
	if err != nil {
		return bot.Message{}, err
	}
	if len(active) == 0 {
		return textMessage("No silences are active."), nil
	}
	m := bot.Message{Text: fmt.Sprintf("%d active %s", len(active), bot.Plural(len(active), "silence", "silences"))}
	m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.B(m.Text))})
	for i, s := range active {
		if i == maxListedSilences {
			m.Blocks = append(m.Blocks, bot.Context{Elements: []bot.Rich{bot.R(bot.T(fmt.Sprintf("and %d more", len(active)-i)))}})
			break
		}
		m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.M(s.ID), bot.T(" "), bot.M(intake.DescribeMatchers(s.Matchers)),
			bot.T(" until "+handlers.FormatTime(s.ExpiresAt)+" by "), bot.Mention(s.CreatedBy), bot.T(": "+s.Reason))})
	}
	return m, nil
}

// maxListedSilences keeps the list within Slack's 50 blocks.
const maxListedSilences = 40

// sectionBudget is what a section holds, with room to spare for markup,
// measured as the renderer escapes (see escapedSize): sections packed to
// it are never cut at render time.
const sectionBudget = 2900

// packLines joins one line a finding into sections that each stay within
// sectionBudget, so a list is never cut at render time: more findings mean
// more sections, never hidden lines. (MaxListLimit lines of at most a few
// hundred characters fit within the block limit.)
func packLines(fs []bot.Finding, line func(bot.Finding) []bot.Span) []bot.Rich {
	var out []bot.Rich
	var cur bot.Rich
	size := 0
	for _, f := range fs {
		spans := line(f)
		n := lineSize(spans) + 1
		if len(cur) > 0 && size+n > sectionBudget {
			out, cur, size = append(out, cur), nil, 0
		}
		if len(cur) > 0 {
			cur = append(cur, bot.T("\n"))
		}
		cur, size = append(cur, spans...), size+n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func lineSize(spans []bot.Span) int {
	n := 0
	for _, s := range spans {
		n += escapedSize(s.Text) + len(s.URL) + 4
	}
	return n
}

// escapedSize is the length of s once escaped for mrkdwn: &, < and > grow
// to entities; everything else stays one character.
func escapedSize(s string) int {
	return utf8.RuneCountInString(s) + 4*strings.Count(s, "&") + 3*strings.Count(s, "<") + 3*strings.Count(s, ">")
}
