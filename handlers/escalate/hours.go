package escalate

import "time"

// BusinessHours is a weekly window in a time zone. A deadline that counts
// business hours only runs inside the window.
type BusinessHours struct {
	// Zone is where the window's wall-clock times are read; nil is UTC.
	Zone *time.Location
	// Days are the days the window opens, indexed by time.Weekday.
	Days [7]bool
	// From and To are the window's wall-clock start and end, as offsets
	// from midnight; From is before To (no window crosses midnight).
	From, To time.Duration
}

// maxSearchDays bounds the walk of DueAfter: ten years of days covers any
// deadline config allows (at most a week of window time, a window at
// least a minute a week).
const maxSearchDays = 3660

// DueAfter returns when d of deadline time has run since start: d later
// when h is nil, else d of time inside h's windows. ok is false when h
// never opens. Each day's window is read on that day's wall clock, so a
// window keeps its local hours across daylight-saving changes, and a
// window that spans a change counts the real time that passes in it.
func DueAfter(start time.Time, d time.Duration, h *BusinessHours) (due time.Time, ok bool) {
	if h == nil {
		return start.Add(d), true
	}
	if h.To <= h.From || h.Days == [7]bool{} {
		return time.Time{}, false
	}
	loc := h.Zone
	if loc == nil {
		loc = time.UTC
	}
	t, left := start.In(loc), d
	for range maxSearchDays {
		y, m, day := t.Date()
		if h.Days[t.Weekday()] {
			open, shut := wallClock(y, m, day, h.From, loc), wallClock(y, m, day, h.To, loc)
			if t.Before(open) {
				t = open
			}
			if t.Before(shut) {
				avail := shut.Sub(t)
				if left <= avail {
					return t.Add(left), true
				}
				left -= avail
			}
		}
		t = time.Date(y, m, day+1, 0, 0, 0, 0, loc)
	}
	return time.Time{}, false
}

func wallClock(y int, m time.Month, day int, offset time.Duration, loc *time.Location) time.Time {
	return time.Date(y, m, day, int(offset/time.Hour), int(offset%time.Hour/time.Minute), 0, 0, loc)
}
