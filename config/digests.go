package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	// The time zone database, compiled in: distroless and scratch images
	// have no /usr/share/zoneinfo, and without it every digest time_zone
	// but UTC would fail to load. time.LoadLocation still prefers the
	// system's copy when there is one.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

// Location is the schedule's time zone: UTC when TimeZone is empty (or,
// which Load rules out, not a time zone).
func (s DigestSchedule) Location() *time.Location { return location(s.TimeZone) }

// Location is the zone times are shown in: UTC when TimeZone is empty
// (or, which Load rules out, not a time zone).
func (d Display) Location() *time.Location { return location(d.TimeZone) }

func location(tz string) *time.Location {
	if tz == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Schedule is Cron parsed, firing in Location: its Next is right whatever
// the location of the time it is given, so callers need no cron options.
// A Cron that does not parse, which Load rules out, gives a schedule that
// never fires (Next returns the zero time).
func (s DigestSchedule) Schedule() cron.Schedule {
	sched, err := parseCron(s.Cron)
	if err != nil {
		return never{}
	}
	if spec, ok := sched.(*cron.SpecSchedule); ok {
		// ParseStandard leaves the location at time.Local, which means
		// the location of the time passed to Next.
		spec.Location = s.Location()
	}
	return sched
}

// never is a cron.Schedule without activations.
type never struct{}

func (never) Next(time.Time) time.Time { return time.Time{} }

// cronFields names the 5 fields, for messages.
const cronFields = "minute hour day-of-month month day-of-week"

var errCronRequired = errors.New(`required: a cron schedule such as "0 9 * * 1-5" (` + cronFields + `)`)

// parseCron parses a standard cron specification, refusing what would make
// the schedule mean something else than the file's other fields say: a time
// zone inside the specification, and @every. Its errors are messages for
// the operator.
func parseCron(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	upper := strings.ToUpper(spec)
	switch {
	case spec == "":
		return nil, errCronRequired
	case strings.HasPrefix(upper, "CRON_TZ=") || strings.HasPrefix(upper, "TZ="):
		_, rest, _ := strings.Cut(spec, "=")
		zone, _, _ := strings.Cut(rest, " ")
		return nil, fmt.Errorf("%s sets a time zone: write it in time_zone (time_zone: %s), its own field, and only the 5 fields (%s) here",
			quote(spec), show(zone), cronFields)
	case strings.HasPrefix(spec, "@every"):
		return nil, fmt.Errorf("%s fires at intervals counted from the start of sccbot, not at set times: write 5 fields (%s)", quote(spec), cronFields)
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		msg := fmt.Sprintf("%s is not a cron schedule (%s): %s", quote(spec), cronFields, show(err.Error()))
		// Only the day of the week has 6 for maximum; some crons take
		// 7 for Sunday, this one does not.
		if strings.Contains(err.Error(), "above maximum (6)") {
			msg += "; Sunday is 0 (or sun)"
		}
		return nil, errors.New(msg)
	}
	// Without a year field, a schedule that fires at all does so within
	// cron's five-year search from any instant.
	if sched.Next(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("%s never fires: no date matches it", quote(spec))
	}
	return sched, nil
}
