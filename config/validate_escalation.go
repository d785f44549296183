package config

import (
	"regexp"
	"strings"
	"time"
)

// userGroupID is a Slack user group id, as reminders mention it.
var userGroupID = regexp.MustCompile(`^S[A-Z0-9]{6,}$`)

func validateEscalation(r *report, c *Config) {
	e := &c.Escalation
	checkDuration(r, "escalation.every", e.Every, 5*time.Second, 10*time.Minute)
	e.Defaults = validateDeadlines(r, "escalation.defaults", e.Defaults)
	routes := map[string]bool{"default": true}
	for _, rt := range c.Routes {
		routes[rt.Name] = true
	}
	for _, name := range sortedKeys(e.Routes) {
		p := joinKey("escalation.routes", name)
		if !routes[name] {
			r.addf(p, "%s is not a route: use a routes[].name, or \"default\" for findings no route matches", quote(name))
		}
		rt := e.Routes[name]
		if rt == nil {
			continue
		}
		rt.OnCall = strings.TrimSpace(rt.OnCall)
		if rt.OnCall != "" && !userGroupID.MatchString(rt.OnCall) {
			r.addf(p+".oncall", "%s is not a Slack user group id (S0123ABCD, in the group's URL)", quote(rt.OnCall))
		}
		rt.Deadlines = validateDeadlines(r, p+".deadlines", rt.Deadlines)
	}
}

// validateDeadlines checks a severity → deadline map and returns it with
// its keys upper-cased.
func validateDeadlines(r *report, p string, m map[string]*Deadline) map[string]*Deadline {
	if m == nil {
		return nil
	}
	out := make(map[string]*Deadline, len(m))
	for _, key := range sortedKeys(m) {
		kp := joinKey(p, key)
		sev := strings.ToUpper(strings.TrimSpace(key))
		if !isSeverity(sev) {
			r.addf(kp, "%s is not a severity (%s)", quote(key), strings.Join(severities[:], ", "))
			continue
		}
		if _, dup := out[sev]; dup {
			r.addf(kp, "%s is listed twice", sev)
			continue
		}
		d := m[key]
		if d == nil {
			d = &Deadline{}
		}
		validateDeadline(r, kp, sev, d)
		out[sev] = d
	}
	return out
}

func isSeverity(s string) bool {
	for _, v := range severities {
		if s == v {
			return true
		}
	}
	return false
}

func validateDeadline(r *report, p, sev string, d *Deadline) {
	if d.None() {
		return
	}
	checkDuration(r, p+".remind", d.Remind, time.Minute, 7*24*time.Hour)
	if d.Escalate != 0 {
		checkDuration(r, p+".escalate", d.Escalate, time.Minute, 14*24*time.Hour)
		if d.Escalate <= d.Remind {
			r.addf(p+".escalate", "must come after remind (%s), or be left out for no escalation", shortDuration(time.Duration(d.Remind)))
		}
	}
	if d.BusinessHours == nil {
		return
	}
	bp := p + ".business_hours"
	if sev != "LOW" && sev != "MEDIUM" {
		r.addf(bp, "only LOW and MEDIUM deadlines may pause outside business hours: a %s finding is urgent around the clock", sev)
		return
	}
	validateBusinessHours(r, bp, d.BusinessHours)
}

func validateBusinessHours(r *report, p string, b *BusinessHours) {
	if strings.TrimSpace(b.Zone) == "" {
		r.addf(p+".zone", "required: an IANA time zone such as Europe/Paris")
	} else {
		checkTimeZone(r, p+".zone", &b.Zone)
	}
	if _, err := parseDays(b.Days); err != nil {
		r.addf(p+".days", "%s", err)
	}
	from, err1 := parseClock(b.From)
	if err1 != nil {
		r.addf(p+".from", "%s", err1)
	}
	to, err2 := parseClock(b.To)
	if err2 != nil {
		r.addf(p+".to", "%s", err2)
	}
	if err1 == nil && err2 == nil && to <= from {
		r.addf(p+".to", "must be after from (%s): a window does not cross midnight", strings.TrimSpace(b.From))
	}
}
