package config

import (
	"fmt"
	"strings"
	"time"
)

// Escalation configures acknowledgement deadlines: a card nobody
// acknowledged in time gets a reminder in its thread, then an escalation
// that pages the finding's owner. Deadlines run around the clock; only
// LOW and MEDIUM deadlines may count business hours instead.
type Escalation struct {
	// Every is how often due deadlines are checked.
	Every Duration `yaml:"every"`
	// Page lets an escalation page the owner without approval; false
	// asks for page_owner under its responses policy instead.
	Page bool `yaml:"page"`
	// Defaults maps a severity (CRITICAL, HIGH, MEDIUM, LOW) to its
	// deadline. A severity not listed has none. Written in the file, the
	// map replaces the built-in one as a whole.
	Defaults map[string]*Deadline `yaml:"defaults,omitempty"`
	// Routes maps a route's name (routes[].name, or "default" for
	// findings no route matches) to its on-call group and overrides.
	Routes map[string]*EscalationRoute `yaml:"routes,omitempty"`
}

// EscalationRoute is one route's part in escalation.
type EscalationRoute struct {
	// OnCall is the Slack user group id (S0123ABCD) a reminder mentions.
	OnCall string `yaml:"oncall"`
	// Deadlines override Defaults per severity for this route; an empty
	// entry ({}) means no deadline for that severity here.
	Deadlines map[string]*Deadline `yaml:"deadlines,omitempty"`
}

// Deadline is how long a card may stay unacknowledged.
type Deadline struct {
	// Remind is when the reminder is sent, after the card was posted.
	Remind Duration `yaml:"remind"`
	// Escalate is when the escalation comes, after the card was posted;
	// zero, never. It is later than Remind.
	Escalate Duration `yaml:"escalate,omitempty"`
	// BusinessHours, when set, stops the clock outside its window.
	BusinessHours *BusinessHours `yaml:"business_hours,omitempty"`
}

// None reports whether the entry turns the deadline off ({}).
func (d Deadline) None() bool { return d.Remind == 0 && d.Escalate == 0 && d.BusinessHours == nil }

// BusinessHours is a weekly window in a time zone. Use Location, Weekdays
// and Window rather than parsing the fields again.
type BusinessHours struct {
	// Zone is an IANA time zone name (Europe/Paris).
	Zone string `yaml:"zone"`
	// Days lists days or ranges of days: mon-fri, or mon,wed,fri.
	Days string `yaml:"days"`
	// From and To are wall-clock times (09:00, 18:00) in Zone, From
	// before To: a window does not cross midnight.
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Location is the window's zone: UTC when Zone is empty (or, which Load
// rules out, not a time zone).
func (b BusinessHours) Location() *time.Location { return location(b.Zone) }

// Weekdays are the days the window opens, indexed by time.Weekday; none
// when Days does not parse, which Load rules out.
func (b BusinessHours) Weekdays() [7]bool {
	days, _ := parseDays(b.Days)
	return days
}

// Window is the window's start and end as offsets from midnight, wall
// clock; zero when From or To does not parse, which Load rules out.
func (b BusinessHours) Window() (from, to time.Duration) {
	f, err1 := parseClock(b.From)
	t, err2 := parseClock(b.To)
	if err1 != nil || err2 != nil {
		return 0, 0
	}
	return f, t
}

func (e *Escalation) setDefaults() {
	e.Every = Duration(30 * time.Second)
	e.Defaults = map[string]*Deadline{
		"CRITICAL": {Remind: Duration(15 * time.Minute), Escalate: Duration(30 * time.Minute)},
		"HIGH":     {Remind: Duration(time.Hour), Escalate: Duration(2 * time.Hour)},
	}
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func dayIndex(s string) (int, bool) {
	for i, d := range dayNames {
		if s == d {
			return i, true
		}
	}
	return 0, false
}

// parseDays reads "mon-fri", "mon,wed,fri" or "sat-sun"; a range may wrap
// around the week (fri-mon).
func parseDays(s string) ([7]bool, error) {
	var days [7]bool
	if strings.TrimSpace(s) == "" {
		return days, fmt.Errorf("required: days such as mon-fri or mon,wed,fri")
	}
	for part := range strings.SplitSeq(strings.ToLower(s), ",") {
		first, last, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			last = first
		}
		a, ok1 := dayIndex(strings.TrimSpace(first))
		b, ok2 := dayIndex(strings.TrimSpace(last))
		if !ok1 || !ok2 {
			return days, fmt.Errorf("%s is not a list of days (sun mon tue wed thu fri sat, ranges such as mon-fri)", quote(s))
		}
		for i := a; ; i = (i + 1) % 7 {
			days[i] = true
			if i == b {
				break
			}
		}
	}
	return days, nil
}

// parseClock reads a 24-hour wall-clock time, "09:00" or "18:30".
func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%s is not a time of day: write it like \"09:00\"", quote(s))
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}
