package digest

import (
	"context"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// chartDays is how many local days the chart covers, the last one ending
// at the run.
const chartDays = 14

// Day is one bar of the chart: the findings first seen on a local day, by
// severity, and the acknowledgement deadlines breached (escalations) on
// it. Date is the day's local midnight.
type Day struct {
	Date     time.Time
	Counts   map[bot.Severity]int
	Breaches int
}

// dayBounds returns the starts of the n local days in loc that end with
// the one holding run (the day before, when run is at midnight), then run
// itself: n+1 increasing instants. Days are
// stepped on the calendar, not by 24 hours, so a day of a daylight-saving
// change is 23 or 25 hours long and every later midnight stays midnight.
func dayBounds(run time.Time, loc *time.Location, n int) []time.Time {
	local := run.Add(-time.Nanosecond).In(loc)
	bounds := make([]time.Time, n+1)
	for i := range n {
		bounds[i] = time.Date(local.Year(), local.Month(), local.Day()-(n-1-i), 0, 0, 0, 0, loc)
	}
	bounds[n] = run
	return bounds
}

// chartSeries counts the findings of each of the chartDays local days
// ending at run, by severity, from the store, and the breaches from
// deadlines (none when it is nil).
func chartSeries(ctx context.Context, store Store, deadlines Deadlines, run time.Time, loc *time.Location) ([]Day, error) {
	bounds := dayBounds(run, loc, chartDays)
	days := make([]Day, chartDays)
	for i := range days {
		days[i] = Day{Date: bounds[i], Counts: map[bot.Severity]int{}}
		rows, _, err := store.FindingGroups(ctx, DigestBySeverity, bounds[i], bounds[i], bounds[i+1], 16)
		if err != nil {
			return nil, fmt.Errorf("findings of %s by severity: %w", bounds[i].Format(time.DateOnly), err)
		}
		for _, r := range rows {
			sev, _ := bot.ParseSeverity(r.Key)
			days[i].Counts[sev] += r.Count
		}
	}
	if deadlines == nil {
		return days, nil
	}
	evs, err := deadlines.DeadlineEvents(ctx, bounds[0], run)
	if err != nil {
		return nil, fmt.Errorf("deadline events: %w", err)
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		if ev.Stage != bot.StageEscalation || seen[ev.Finding] || ev.At.Before(bounds[0]) || !ev.At.Before(run) {
			continue
		}
		seen[ev.Finding] = true
		days[dayOf(bounds, ev.At)].Breaches++
	}
	return days, nil
}

// dayOf is the index of the day holding t, which is within the bounds.
func dayOf(bounds []time.Time, t time.Time) int {
	i := 0
	for i+1 < len(bounds)-1 && !t.Before(bounds[i+1]) {
		i++
	}
	return i
}
