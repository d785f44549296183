package digest

import (
	"context"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite/sqlitetest"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// TestChartSeriesAcrossSpringForward counts the 14 local days in Paris to
// Tuesday 31 March 2026, 09:00, across Sunday 29 March, when clocks jump
// from 02:00 to 03:00 and the day is 23 hours long. Each finding sits on a
// side of a local midnight where a series stepped by 24 hours, or by UTC
// days, would put it on the wrong day.
func TestChartSeriesAcrossSpringForward(t *testing.T) {
	paris := handlerstest.Paris(t)
	local := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, paris)
	}
	run := local(time.March, 31, 9, 0)
	clock := &handlerstest.TestClock{}
	db := sqlitetest.Open(t, clock.Now)
	for _, s := range []struct {
		id  string
		sev bot.Severity
		at  time.Time
	}{
		{"before", bot.SeverityHigh, local(time.March, 17, 23, 59)},  // the day before the first: out
		{"first", bot.SeverityLow, local(time.March, 18, 0, 0)},      // the first day's midnight: in
		{"sat", bot.SeverityHigh, local(time.March, 28, 23, 30)},     // 22:30 UTC on the 28th
		{"sun1", bot.SeverityCritical, local(time.March, 29, 0, 30)}, // 23:30 UTC on the 28th
		{"sun2", bot.SeverityLow, local(time.March, 29, 23, 30)},     // 21:30 UTC on the 29th
		{"mon", bot.SeverityMedium, local(time.March, 30, 0, 10)},    // 22:10 UTC on the 29th
		{"tue", bot.SeverityCritical, local(time.March, 31, 8, 59)},  // the last, partial day
		{"run", bot.SeverityCritical, run},                           // at the run: out
	} {
		clock.Set(s.at)
		f := handlerstest.TestFinding(s.id, s.at)
		f.Severity = s.sev
		mustDo(t, db.PutFinding(context.Background(), f))
	}
	deadlines := &memDeadlines{evs: []bot.DeadlineEvent{
		{Finding: "sun2", Stage: bot.StageEscalation, At: local(time.March, 29, 23, 45), Severity: bot.SeverityLow},
		{Finding: "sun2", Stage: bot.StageReminder, At: local(time.March, 29, 23, 40), Severity: bot.SeverityLow},
		{Finding: "mon", Stage: bot.StageEscalation, At: local(time.March, 30, 0, 40), Severity: bot.SeverityMedium},
	}}

	days, err := chartSeries(context.Background(), db, deadlines, run, paris)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != chartDays {
		t.Fatalf("%d days, want %d", len(days), chartDays)
	}
	for i, d := range days {
		if want := local(time.March, 18+i, 0, 0); !d.Date.Equal(want) {
			t.Errorf("day %d starts %s, want %s", i, d.Date, want)
		}
	}
	if got := days[12].Date.Sub(days[11].Date); got != 23*time.Hour {
		t.Errorf("29 March lasts %s, want 23h", got)
	}
	type bar struct {
		Counts   map[bot.Severity]int
		Breaches int
	}
	got := map[int]bar{}
	for i, d := range days {
		if len(d.Counts) > 0 || d.Breaches > 0 {
			got[18+i] = bar{d.Counts, d.Breaches}
		}
	}
	want := map[int]bar{
		18: {map[bot.Severity]int{bot.SeverityLow: 1}, 0},
		28: {map[bot.Severity]int{bot.SeverityHigh: 1}, 0},
		29: {map[bot.Severity]int{bot.SeverityCritical: 1, bot.SeverityLow: 1}, 1},
		30: {map[bot.Severity]int{bot.SeverityMedium: 1}, 1},
		31: {map[bot.Severity]int{bot.SeverityCritical: 1}, 0},
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("bars by day of March (-want +got):\n%s", diff)
	}
}

// TestDayBoundsAcrossFallBack: Sunday 25 October 2026 in Paris is 25
// hours long, and a run at midnight covers the 14 days before it.
func TestDayBoundsAcrossFallBack(t *testing.T) {
	paris := handlerstest.Paris(t)
	run := time.Date(2026, time.October, 27, 0, 0, 0, 0, paris)
	b := dayBounds(run, paris, chartDays)
	if first := time.Date(2026, time.October, 13, 0, 0, 0, 0, paris); !b[0].Equal(first) {
		t.Errorf("first day starts %s, want %s", b[0], first)
	}
	if !b[chartDays].Equal(run) {
		t.Errorf("last bound %s, want the run %s", b[chartDays], run)
	}
	for i := 1; i <= chartDays; i++ {
		want := 24 * time.Hour
		if b[i-1].Day() == 25 {
			want = 25 * time.Hour
		}
		if got := b[i].Sub(b[i-1]); got != want {
			t.Errorf("day %s lasts %s, want %s", b[i-1].In(paris).Format(time.DateOnly), got, want)
		}
	}
}
