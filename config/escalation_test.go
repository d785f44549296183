package config_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/config"
)

const escalationBase = `slack: {default_channel: C0123456789}
sources: {poll: {parent: organizations/1/sources/-}}
routes:
  - {name: payments, channel: C0AAAAAAAAA, match: {project: [pay-*]}}
`

func TestEscalation(t *testing.T) {
	cfg, err := config.Load([]byte(escalationBase + `escalation:
  every: 1m
  page: true
  defaults:
    critical: {remind: 15m, escalate: 30m}
  routes:
    payments:
      oncall: S0123ABCD
      deadlines:
        CRITICAL: {remind: 10m, escalate: 20m}
        HIGH: {}
        low:
          remind: 4h
          business_hours: {zone: Europe/Paris, days: "mon-fri", from: "09:00", to: "18:30"}
    default:
      oncall: S0SECOPS1
`))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	d := func(v time.Duration) config.Duration { return config.Duration(v) }
	want := config.Escalation{
		Every: d(time.Minute), Page: true,
		// Written, defaults replace the built-in map: HIGH is gone.
		Defaults: map[string]*config.Deadline{"CRITICAL": {Remind: d(15 * time.Minute), Escalate: d(30 * time.Minute)}},
		Routes: map[string]*config.EscalationRoute{
			"payments": {OnCall: "S0123ABCD", Deadlines: map[string]*config.Deadline{
				"CRITICAL": {Remind: d(10 * time.Minute), Escalate: d(20 * time.Minute)},
				"HIGH":     {},
				"LOW": {Remind: d(4 * time.Hour), BusinessHours: &config.BusinessHours{
					Zone: "Europe/Paris", Days: "mon-fri", From: "09:00", To: "18:30"}},
			}},
			"default": {OnCall: "S0SECOPS1"},
		},
	}
	if diff := cmp.Diff(want, cfg.Escalation); diff != "" {
		t.Fatalf("escalation (-want +got):\n%s", diff)
	}
	if !cfg.Escalation.Routes["payments"].Deadlines["HIGH"].None() {
		t.Errorf("HIGH: {} should turn the deadline off")
	}
	bh := cfg.Escalation.Routes["payments"].Deadlines["LOW"].BusinessHours
	if got := bh.Location().String(); got != "Europe/Paris" {
		t.Errorf("Location() = %s", got)
	}
	if got, want := bh.Weekdays(), [7]bool{false, true, true, true, true, true, false}; got != want {
		t.Errorf("Weekdays() = %v, want %v", got, want)
	}
	if from, to := bh.Window(); from != 9*time.Hour || to != 18*time.Hour+30*time.Minute {
		t.Errorf("Window() = %s, %s", from, to)
	}
}

func TestBusinessDays(t *testing.T) {
	tests := []struct {
		days string
		want [7]bool // sun..sat
	}{
		{"mon-fri", [7]bool{false, true, true, true, true, true, false}},
		{"sat,sun", [7]bool{true, false, false, false, false, false, true}},
		{"fri-mon", [7]bool{true, true, false, false, false, true, true}},
		{"Mon, Wed ,fri", [7]bool{false, true, false, true, false, true, false}},
		{"sun-sat", [7]bool{true, true, true, true, true, true, true}},
		{"weekdays", [7]bool{}},
	}
	for _, tt := range tests {
		if got := (config.BusinessHours{Days: tt.days}).Weekdays(); got != tt.want {
			t.Errorf("Weekdays(%q) = %v, want %v", tt.days, got, tt.want)
		}
	}
	if from, to := (config.BusinessHours{From: "9", To: "18:00"}).Window(); from != 0 || to != 0 {
		t.Errorf("Window of a bad from = %s, %s; want zero", from, to)
	}
}
