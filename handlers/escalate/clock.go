package escalate

import (
	"context"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// Note is the card's lines about its deadline: the clock while it runs
// ("unacknowledged for 22 min · due 15 min ⚠") and the escalation once
// it came. It is a handlers.CardNotes. The clock reads the finding's state
// afresh at every build, so acknowledging, muting, resolving or silencing
// the finding removes it at the card's next refresh.
func (e *Escalator) Note(ctx context.Context, f bot.Finding) ([]bot.Rich, error) {
	var lines []bot.Rich
	clock, ok, err := e.clockLine(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("deadline clock: %w", err)
	}
	if ok {
		lines = append(lines, clock)
	}
	events, err := e.store.AuditForFinding(ctx, f.Name)
	if err != nil {
		return nil, fmt.Errorf("deadline note: %w", err)
	}
	for _, ev := range events {
		if ev.Event == AuditEscalated {
			lines = append(lines, bot.R(bot.T("⏫ Escalated at "+handlers.InDisplayZone(ev.At).Format("15:04 MST")+": "+ev.Detail)))
		}
	}
	return lines, nil
}

func (e *Escalator) clockLine(ctx context.Context, f bot.Finding) (bot.Rich, bool, error) {
	if f.State != "ACTIVE" || f.Mute == "MUTED" {
		return nil, false, nil
	}
	posted, ok, err := e.postedAt(ctx, f.Name)
	if err != nil || !ok {
		return nil, false, err
	}
	if _, _, acked, err := e.store.AckOf(ctx, f.Name); err != nil || acked {
		return nil, false, err
	}
	d, _, ok, err := e.deadlineOf(ctx, f)
	if err != nil || !ok {
		return nil, false, err
	}
	now := e.opts.Now()
	s := "⏱ Unacknowledged for " + handlers.FormatDuration(now.Sub(posted)) + " · due " + deadlineText(d, d.Remind)
	if due, ok := d.Due(bot.StageReminder, posted); ok && !now.Before(due) {
		s += " ⚠"
		if esc, ok := d.Due(bot.StageEscalation, posted); ok {
			verb := "escalates at "
			if !now.Before(esc) {
				verb = "escalated at "
			}
			s += " · " + verb + deadlineText(d, d.Escalate)
		}
	}
	return bot.R(bot.T(s)), true, nil
}

// postedAt returns when the finding's card was posted, if it waits for
// acknowledgement, from a list read at most once per check interval: the
// clock is drawn on every card build, the list is one query.
func (e *Escalator) postedAt(ctx context.Context, name string) (time.Time, bool, error) {
	e.snapMu.Lock()
	defer e.snapMu.Unlock()
	now := e.opts.Now()
	if e.posted == nil || now.Sub(e.snapAt) >= e.opts.Every {
		pending, err := e.store.PendingAcks(ctx, now.Add(-e.opts.Horizon))
		if err != nil {
			return time.Time{}, false, err
		}
		e.setSnapshot(now, pending)
	}
	t, ok := e.posted[name]
	return t, ok, nil
}

// remember keeps the list a tick read for the clock.
func (e *Escalator) remember(now time.Time, pending []bot.PendingAck) {
	e.snapMu.Lock()
	e.setSnapshot(now, pending)
	e.snapMu.Unlock()
}

func (e *Escalator) setSnapshot(now time.Time, pending []bot.PendingAck) {
	e.posted = make(map[string]time.Time, len(pending))
	for _, p := range pending {
		e.posted[p.Finding.Name] = p.PostedAt
	}
	e.snapAt = now
}

// redraw touches the cards whose clock appeared, changed phase, went, or
// was last drawn ClockRefresh ago. Between redraws the minutes shown age:
// a card update per minute per card would exceed what Slack allows.
func (e *Escalator) redraw(now time.Time, clocks map[string]phase) {
	if e.opts.Cards == nil {
		return
	}
	for name, ph := range clocks {
		if prev, ok := e.phases[name]; !ok || prev != ph || now.Sub(e.redrawAt[name]) >= e.opts.ClockRefresh {
			e.opts.Cards.Touch(name)
			e.redrawAt[name] = now
		}
	}
	for name := range e.phases {
		if _, ok := clocks[name]; !ok {
			e.opts.Cards.Touch(name)
			delete(e.redrawAt, name)
		}
	}
	e.phases = clocks
}
