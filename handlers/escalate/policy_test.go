package escalate

import (
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

func TestPolicyFor(t *testing.T) {
	p := testPolicy()
	p.Routes["payments"] = RoutePolicy{OnCall: onCall, Deadlines: map[bot.Severity]Deadline{
		bot.SeverityCritical: {Remind: 10 * time.Minute, Escalate: 20 * time.Minute},
		bot.SeverityHigh:     {},
	}}
	tests := []struct {
		route      string
		sev        bot.Severity
		wantRemind time.Duration
		wantOnCall string
		wantOK     bool
	}{
		{"payments", bot.SeverityCritical, 10 * time.Minute, onCall, true},
		{"payments", bot.SeverityHigh, 0, onCall, false}, // {} turns the default off
		{"default", bot.SeverityHigh, time.Hour, "", true},
		{"default", bot.SeverityLow, 0, "", false}, // not listed: no deadline
		{"unknown", bot.SeverityCritical, 15 * time.Minute, "", true},
	}
	for _, tt := range tests {
		d, oncall, ok := p.For(tt.route, tt.sev)
		if d.Remind != tt.wantRemind || oncall != tt.wantOnCall || ok != tt.wantOK {
			t.Errorf("For(%s, %s) = %s, %q, %v; want %s, %q, %v", tt.route, tt.sev, d.Remind, oncall, ok,
				tt.wantRemind, tt.wantOnCall, tt.wantOK)
		}
	}
}

func TestPolicySpan(t *testing.T) {
	p := testPolicy()
	if got := p.Span(); got != 2*time.Hour {
		t.Errorf("Span = %s, want the longest escalation, 2h", got)
	}
	// 4 h in a 9 h weekday window: at most two partial weeks plus none
	// whole.
	office := &BusinessHours{Days: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true,
		time.Thursday: true, time.Friday: true}, From: 9 * time.Hour, To: 18 * time.Hour}
	p.Routes["payments"] = RoutePolicy{Deadlines: map[bot.Severity]Deadline{bot.SeverityLow: {Remind: 4 * time.Hour, Hours: office}}}
	if got := p.Span(); got != 14*24*time.Hour {
		t.Errorf("Span with business hours = %s, want 336h", got)
	}
	// The bound holds: posted right after Friday's window closes.
	posted := time.Date(2024, 3, 22, 18, 0, 1, 0, time.UTC)
	due, ok := DueAfter(posted, 4*time.Hour, office)
	if !ok || due.Sub(posted) > p.Span() {
		t.Errorf("due %s after posting, beyond the span %s", due.Sub(posted), p.Span())
	}
}
