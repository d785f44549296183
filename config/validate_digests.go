package config

import (
	"regexp"
	"strings"
	"time"
)

// digestName is a schedule's name: it keys the run history in the store.
var digestName = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)

func validateDigests(r *report, d *Digests) {
	checkDuration(r, "digests.grace", d.Grace, time.Minute, 7*24*time.Hour)
	checkInt(r, "digests.top", d.Top, 1, 50)
	checkInt(r, "digests.unacknowledged", d.Unacknowledged, 1, 50)
	names := map[string]bool{}
	for i := range d.Schedules {
		p, s := joinIndex("digests.schedules", i), &d.Schedules[i]
		switch {
		case s.Name == "":
			r.addf(p+".name", "required: 1 to 40 lower-case letters, digits and hyphens, such as weekdays")
		case !digestName.MatchString(s.Name):
			r.addf(p+".name", "%s is not a schedule name: use 1 to 40 lower-case letters, digits and hyphens", quote(s.Name))
		case names[s.Name]:
			r.addf(p+".name", "%s is used twice", quote(s.Name))
		default:
			names[s.Name] = true
		}
		checkChannel(r, p+".channel", s.Channel)
		s.Cron = strings.TrimSpace(s.Cron)
		if _, err := parseCron(s.Cron); err != nil {
			r.addf(p+".cron", "%s", err)
		}
		checkTimeZone(r, p+".time_zone", &s.TimeZone)
		if s.Period != 0 {
			checkDuration(r, p+".period", s.Period, time.Hour, 31*24*time.Hour)
		}
	}
}

// checkTimeZone checks an IANA time zone name; empty is UTC.
func checkTimeZone(r *report, p string, tz *string) {
	*tz = strings.TrimSpace(*tz)
	switch _, err := time.LoadLocation(*tz); {
	case *tz == "":
		*tz = "UTC"
	case *tz == "Local":
		r.addf(p, "\"Local\" is the host's time zone, which differs from one machine to the next: write an IANA name such as Europe/Paris")
	case err != nil:
		r.addf(p, "%s is not a time zone (an IANA name such as Europe/Paris)", quote(*tz))
	}
}
