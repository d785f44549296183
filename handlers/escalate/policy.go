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
