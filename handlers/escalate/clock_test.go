package escalate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// cardFoot builds the finding's card with the escalator's note, as every
// replica's cards do, and returns its deadline lines.
func cardFoot(t *testing.T, r *rig, e *Escalator, name string) string {
	t.Helper()
	cards := handlers.NewCards(r.store, &handlerstest.FakeChat{}, handlers.CardsOptions{})
	cards.AddNotes(e.Note)
	f, err := r.store.Finding(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cards.Build(context.Background(), f)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var foot []string
	for _, b := range m.Blocks {
		if c, ok := b.(bot.Context); ok {
			for _, line := range c.Elements {
				if s := handlers.PlainOf(line); strings.HasPrefix(s, "⏱") || strings.HasPrefix(s, "⏫") {
					foot = append(foot, s)
				}
			}
		}
	}
	return strings.Join(foot, "\n")
}

func TestCardClock(t *testing.T) {
	r := newRig(t)
	f := r.card("crit1", bot.SeverityCritical)
	e := r.escalator()
	steps := []struct {
		at     time.Duration
		before func()
		want   string
	}{
		{10 * time.Minute, nil, "⏱ Unacknowledged for 10 min · due 15 min"},
		{22 * time.Minute, nil, "⏱ Unacknowledged for 22 min · due 15 min ⚠ · escalates at 30 min"},
		{31 * time.Minute, nil, "⏱ Unacknowledged for 31 min · due 15 min ⚠ · escalated at 30 min\n" +
			"⏫ Escalated at 03:30 UTC: unacknowledged for 30 min (escalation deadline 30 min); owner paged"},
		// Acknowledged: the clock stops; the escalation stays on record.
		{33 * time.Minute, func() { r.store.ack(f.Name) },
			"⏫ Escalated at 03:30 UTC: unacknowledged for 30 min (escalation deadline 30 min); owner paged"},
	}
	for _, s := range steps {
		r.run(e, s.at)
		if s.before != nil {
			s.before()
		}
		if got := cardFoot(t, r, e, f.Name); got != s.want {
			t.Errorf("at %s the card's foot reads\n%s\nwant\n%s", s.at, got, s.want)
		}
	}
}

func TestCardClockStops(t *testing.T) {
	tests := []struct {
		name string
		stop func(r *rig, f *bot.Finding)
	}{
		{"muted", func(r *rig, f *bot.Finding) { f.Mute = "MUTED"; r.store.setFinding(*f) }},
		{"resolved", func(r *rig, f *bot.Finding) { f.State = "INACTIVE"; r.store.setFinding(*f) }},
		{"silenced", func(r *rig, f *bot.Finding) { r.silences[f.Category] = true }},
		{"acknowledged", func(r *rig, f *bot.Finding) { r.store.ack(f.Name) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			f := r.card("crit1", bot.SeverityCritical)
			e := r.escalator()
			r.run(e, 5*time.Minute)
			if got := cardFoot(t, r, e, f.Name); !strings.HasPrefix(got, "⏱ Unacknowledged for 5 min") {
				t.Fatalf("before: the card's foot reads %q", got)
			}
			touched := r.cards.count(f.Name)
			tt.stop(r, &f)
			if got := cardFoot(t, r, e, f.Name); got != "" {
				t.Errorf("after: the card's foot reads %q, want no clock", got)
			}
			// The next check redraws the card, so the clock goes even when
			// nothing else refreshes it (a silence touches no card).
			r.run(e, 5*time.Minute+30*time.Second)
			if r.cards.count(f.Name) != touched+1 {
				t.Errorf("card touched %d times after the clock stopped, want once", r.cards.count(f.Name)-touched)
			}
		})
	}
}

// TestCardClockOnAnotherReplica: the note reads the store itself, so a
// replica whose escalator never runs draws the same clock.
func TestCardClockOnAnotherReplica(t *testing.T) {
	r := newRig(t)
	f := r.card("crit1", bot.SeverityCritical)
	r.clock.Set(t0.Add(20 * time.Minute))
	idle := r.escalator()
	if got, want := cardFoot(t, r, idle, f.Name), "⏱ Unacknowledged for 20 min · due 15 min ⚠ · escalates at 30 min"; got != want {
		t.Errorf("the card's foot reads %q, want %q", got, want)
	}
	other := handlerstest.TestFinding("other", t0)
	other.Severity = bot.SeverityCritical
	if lines, err := idle.Note(context.Background(), other); err != nil || len(lines) != 0 {
		t.Errorf("a finding without a pending card shows %v (err %v)", lines, err)
	}
}

// TestCardClockRedraws: a card is redrawn when its clock appears, at each
// stage, and every ClockRefresh between; not at every check.
func TestCardClockRedraws(t *testing.T) {
	r := newRig(t)
	f := r.card("crit1", bot.SeverityCritical)
	e := r.escalator()
	r.run(e, 14*time.Minute+30*time.Second)
	// Appeared at 0, redrawn at 5 and 10 min.
	if n := r.cards.count(f.Name); n != 3 {
		t.Errorf("touched %d times in the first 14.5 min, want 3", n)
	}
}
