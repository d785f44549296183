package handlers

import (
	"sync/atomic"
	"time"
)

// displayZone is the zone every time people read is written in: cards,
// thread answers, lists and digests (display.time_zone). It is set once,
// by the wiring, before anything is rendered; the renderers are pure
// functions spread over many files, and one zone for the whole bot is the
// point of the setting.
var displayZone atomic.Pointer[time.Location]

// SetDisplayZone sets the zone of every time shown to people; nil is UTC.
func SetDisplayZone(loc *time.Location) {
	if loc == nil {
		loc = time.UTC
	}
	displayZone.Store(loc)
}

// DisplayZone is the zone set by SetDisplayZone, UTC by default.
func DisplayZone() *time.Location {
	if loc := displayZone.Load(); loc != nil {
		return loc
	}
	return time.UTC
}

// InDisplayZone is t in the display zone. Layouts end with "MST" wherever the
// zone is not said nearby, so that readers know which zone it is.
func InDisplayZone(t time.Time) time.Time { return t.In(DisplayZone()) }
