package escalate

import (
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Deadline is how long a card may stay unacknowledged: the reminder comes
// Remind after the card was posted, the escalation Escalate after (zero:
// none). With Hours, only time inside business hours counts.
type Deadline struct {
	Remind   time.Duration
	Escalate time.Duration
	Hours    *BusinessHours
}

// RoutePolicy is one route's on-call group and its deadlines.
type RoutePolicy struct {
	// OnCall is the chat user group a reminder mentions; empty, none.
	OnCall string
	// Deadlines replace the defaults severity by severity; a zero
	// Deadline turns the severity's deadline off on this route.
	Deadlines map[bot.Severity]Deadline
}

// Policy says which findings have deadlines, and how long they are.
type Policy struct {
	// Defaults apply to every route; a severity not listed has none.
	Defaults map[bot.Severity]Deadline
	// Routes are keyed by route name ("default" for findings no route
	// matches).
	Routes map[string]RoutePolicy
}

// For returns the deadline of a finding of severity sev on route, and the
// route's on-call group; ok is false when it has no deadline.
func (p Policy) For(route string, sev bot.Severity) (d Deadline, oncall string, ok bool) {
	rp := p.Routes[route]
	d, ok = rp.Deadlines[sev]
	if !ok {
		d, ok = p.Defaults[sev]
	}
	if !ok || d.Remind <= 0 {
		return Deadline{}, rp.OnCall, false
	}
	return d, rp.OnCall, true
}

// Due returns when stage comes due for a card posted at posted; ok is
// false when the deadline has no such stage, or its hours never open.
func (d Deadline) Due(stage bot.DeadlineStage, posted time.Time) (time.Time, bool) {
	after := d.Remind
	if stage == bot.StageEscalation {
		after = d.Escalate
	}
	if after <= 0 {
		return time.Time{}, false
	}
	return DueAfter(posted, after, d.Hours)
}

// Of returns how long stage's deadline is, as configured.
func (d Deadline) Of(stage bot.DeadlineStage) time.Duration {
	if stage == bot.StageEscalation {
		return d.Escalate
	}
	return d.Remind
}

// week is the period business hours repeat over.
const week = 7 * 24 * time.Hour

// Span bounds how long after a card's post the policy's last stage can
// come due, in wall time: a deadline's length, or, counted in business
// hours, the whole weeks its length needs in the window plus the two
// partial weeks at either end.
func (p Policy) Span() time.Duration {
	longest := time.Duration(0)
	consider := func(d Deadline) {
		span := max(d.Remind, d.Escalate)
		if h := d.Hours; h != nil {
			open := 0
			for _, on := range h.Days {
				if on {
					open++
				}
			}
			weekly := time.Duration(open) * (h.To - h.From)
			if weekly <= 0 {
				return // never opens: never due
			}
			span = (span/weekly + 2) * week
		}
		longest = max(longest, span)
	}
	for _, d := range p.Defaults {
		consider(d)
	}
	for _, rp := range p.Routes {
		for _, d := range rp.Deadlines {
			consider(d)
		}
	}
	return longest
}
