package config

import (
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// validate checks a decoded configuration section by section, normalising
// enumerations in place. Each section reports all of its problems.
func validate(r *report, c *Config) {
	validateSlack(r, &c.Slack)
	validateRoutes(r, c.Routes)
	validateSources(r, &c.Sources)
	validateStore(r, &c.Store)
	validateOps(r, &c.Ops)
	validateLog(r, &c.Log)
	validateInvestigate(r, &c.Investigate)
	validateGrouping(r, "grouping", &c.Grouping)
	validateResponses(r, &c.Responses)
	validateEvidence(r, c)
	validateDigests(r, &c.Digests)
	validateEscalation(r, c)
	checkTimeZone(r, "display.time_zone", &c.Display.TimeZone)
}

var (
	responseActions = []string{"collect_evidence", "isolate_pod", "delete_pod", "cordon_node", "cloudrun_rollback",
		"cloudrun_cancel_execution", "page_owner", "mute", "mute_rule", "resolve"}
	principal = regexp.MustCompile(`^[UWS][A-Z0-9]{6,}$`)
)

func validateResponses(r *report, rs *Responses) {
	checkDuration(r, "responses.exec_timeout", rs.ExecTimeout, 10*time.Second, time.Hour)
	for _, action := range sortedKeys(rs.Actions) {
		p := "responses.actions." + action
		if !slices.Contains(responseActions, action) {
			r.addf(p, "%s is not an action (%s)", quote(action), strings.Join(responseActions, ", "))
			continue
		}
		if rule := rs.Actions[action]; rule != nil {
			validateResponseRule(r, p, rule)
		}
	}
}

func validateResponseRule(r *report, p string, rule *ResponseRule) {
	for field, list := range map[string][]string{"requesters": rule.Requesters, "approvers": rule.Approvers} {
		eachValue(r, p+"."+field, list, func(vp string, v *string) {
			if !principal.MatchString(strings.TrimSpace(*v)) {
				r.addf(vp, "%s is not a Slack user id (U…) or user group id (S…)", quote(*v))
			}
		})
	}
	checkEnum(r, p+".approval", &rule.Approval, strings.ToLower, []string{ApprovalRequired, ApprovalNone}, "valid approval policy")
	if rule.Approval == ApprovalRequired && len(rule.Approvers) == 0 {
		r.addf(p+".approvers", "required when approval is required; or set approval: none")
	}
	if rule.TwoPerson && rule.Approval == ApprovalNone {
		r.addf(p+".two_person", "needs approval: required")
	}
	checkDuration(r, p+".expiry", rule.Expiry, time.Minute, 24*time.Hour)
}

// bucketName is a Cloud Storage bucket name, without gs://.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$`)

func validateEvidence(r *report, c *Config) {
	e := &c.Evidence
	collect := c.Responses.Actions["collect_evidence"] != nil
	switch {
	case e.Bucket == "" && collect:
		r.addf("evidence.bucket", "required when responses.actions.collect_evidence is set: the Cloud Storage bucket's name")
	case e.Bucket != "" && !bucketName.MatchString(e.Bucket):
		r.addf("evidence.bucket", "%s is not a bucket name (lower-case letters, digits, '-', '_', '.'; no gs://)", quote(e.Bucket))
	}
	if e.MaxBinaryBytes < 1<<20 || e.MaxBinaryBytes > 4<<30 {
		r.addf("evidence.max_binary_bytes", "must be between 1 MiB and 4 GiB, got %d", e.MaxBinaryBytes)
	}
	checkInt(r, "evidence.log_lines", e.LogLines, 0, 100000)
	if strings.ContainsAny(e.DebugImage, " \t\n") {
		r.addf("evidence.debug_image", "%s is not an image reference", quote(e.DebugImage))
	}
	for _, action := range sortedKeys(c.Responses.Actions) {
		if rule := c.Responses.Actions[action]; rule != nil && rule.RequireEvidence && !collect {
			r.addf("responses.actions."+action+".require_evidence", "needs responses.actions.collect_evidence, "+
				"or nobody could ever run %s", action)
		}
	}
}

var groupFields = []string{"category", "project", "workload", "image", "namespace", "pod", "binary", "severity"}

func validateGrouping(r *report, p string, g *Grouping) {
	eachValue(r, p+".by", g.By, func(vp string, v *string) {
		checkEnum(r, vp, v, strings.ToLower, groupFields, "group key field")
	})
	checkDuration(r, p+".window", g.Window, 0, 24*time.Hour)
	checkDuration(r, p+".repeat", g.Repeat, 0, 7*24*time.Hour)
	if g.Repeat > 0 && g.Repeat < g.Window && time.Duration(g.Window) <= 24*time.Hour {
		r.addf(p+".repeat", "must be at least the window (%s), or 0s", shortDuration(time.Duration(g.Window)))
	}
}

func validateInvestigate(r *report, i *Investigate) {
	checkDuration(r, "investigate.related_window", i.RelatedWindow, time.Minute, 30*24*time.Hour)
	checkDuration(r, "investigate.logs_window", i.LogsWindow, time.Minute, 7*24*time.Hour)
	checkInt(r, "investigate.logs_limit", i.LogsLimit, 1, 50)
	checkDuration(r, "investigate.timeout", i.Timeout, 5*time.Second, 5*time.Minute)
}

var (
	appID  = regexp.MustCompile(`^A[A-Z0-9]{6,}$`)
	teamID = regexp.MustCompile(`^T[A-Z0-9]{6,}$`)
)

func validateSlack(r *report, s *Slack) {
	checkChannel(r, "slack.default_channel", s.DefaultChannel)
	if s.AppID != "" && !appID.MatchString(s.AppID) {
		r.addf("slack.app_id", "%s is not an app ID (A0123456789, under Basic Information in the app's settings)", quote(s.AppID))
	}
	if s.TeamID != "" && !teamID.MatchString(s.TeamID) {
		r.addf("slack.team_id", "%s is not a workspace ID (T0123456789)", quote(s.TeamID))
	}
	checkInt(r, "slack.workers", s.Workers, 1, 256)
	checkInt(r, "slack.queue_size", s.QueueSize, 1, 100000)
	checkDuration(r, "slack.post_interval", s.PostInterval, 100*time.Millisecond, time.Minute)
	checkInt(r, "slack.post_burst", s.PostBurst, 1, 50)
	checkDuration(r, "slack.request_timeout", s.RequestTimeout, time.Second, 2*time.Minute)
}

var (
	channelID   = regexp.MustCompile(`^[CGD][A-Z0-9]{8,}$`)
	channelName = regexp.MustCompile(`^#[a-z0-9][a-z0-9._-]{0,79}$`)
)

func checkChannel(r *report, path, ch string) {
	switch {
	case ch == "":
		r.addf(path, "required: a channel ID (C0123456789) or \"#name\"")
	case !channelID.MatchString(ch) && !channelName.MatchString(ch):
		r.addf(path, "%s is not a channel: use a channel ID (C0123456789) or a lower-case \"#name\"", quote(ch))
	}
}

func validateRoutes(r *report, routes []Route) {
	names := map[string]int{}
	catchAll := -1
	for i := range routes {
		p, rt := joinIndex("routes", i), &routes[i]
		if strings.TrimSpace(rt.Name) == "" {
			r.addf(p+".name", "required")
		} else if first, dup := names[rt.Name]; dup {
			r.addf(p+".name", "duplicate of routes[%d]", first)
		} else {
			names[rt.Name] = i
		}
		checkChannel(r, p+".channel", rt.Channel)
		validateMatch(r, p+".match", &rt.Match)
		if rt.Group != nil {
			validateGrouping(r, p+".group", rt.Group)
		}
		// First match wins, so a route after one that takes everything
		// can never fire: almost certainly a mistake in the order. A route
		// whose match failed to decode is not known to take everything.
		if catchAll >= 0 {
			r.addf(p, "never used: routes[%d] has an empty match and takes every finding first", catchAll)
		} else if rt.Match.empty() && !r.flaggedUnder(p) {
			catchAll = i
		}
	}
}

func (m Match) empty() bool {
	return m.Severity == nil && m.MinSeverity == "" && m.Category == nil &&
		m.Project == nil && m.Product == nil && m.Class == nil
}

var (
	severities = [...]string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}
	products   = [...]string{"gke", "cloud_run", "other"}
	classes    = [...]string{
		"THREAT", "VULNERABILITY", "MISCONFIGURATION", "OBSERVATION", "SCC_ERROR",
		"POSTURE_VIOLATION", "TOXIC_COMBINATION", "SENSITIVE_DATA_RISK", "CHOKEPOINT",
	}
)

func validateMatch(r *report, p string, m *Match) {
	eachValue(r, p+".severity", m.Severity, func(vp string, v *string) {
		checkEnum(r, vp, v, strings.ToUpper, severities[:], "severity")
	})
	if m.MinSeverity != "" {
		checkEnum(r, p+".min_severity", &m.MinSeverity, strings.ToUpper, severities[:], "severity")
		if m.Severity != nil {
			r.addf(p+".min_severity", "set severity or min_severity, not both")
		}
	}
	eachValue(r, p+".category", m.Category, func(vp string, v *string) {
		if strings.TrimSpace(*v) == "" {
			r.addf(vp, "empty category")
		}
	})
	eachValue(r, p+".project", m.Project, func(vp string, v *string) { checkProject(r, vp, *v) })
	eachValue(r, p+".product", m.Product, func(vp string, v *string) {
		checkEnum(r, vp, v, strings.ToLower, products[:], "product")
	})
	eachValue(r, p+".class", m.Class, func(vp string, v *string) {
		checkEnum(r, vp, v, strings.ToUpper, classes[:], "finding class")
	})
}

// eachValue checks every value of a match list. A list written but empty
// ("severity: []") is refused: read literally it matches nothing, read
// loosely it matches everything, and the operator meant one of the two.
func eachValue(r *report, p string, list []string, check func(path string, v *string)) {
	if list != nil && len(list) == 0 {
		r.addf(p, "empty list: remove the key to match any value")
		return
	}
	for i := range list {
		check(joinIndex(p, i), &list[i])
	}
}

// checkEnum normalises *v with norm and checks it against allowed.
func checkEnum(r *report, p string, v *string, norm func(string) string, allowed []string, what string) {
	n := norm(strings.TrimSpace(*v))
	for _, a := range allowed {
		if n == a {
			*v = n
			return
		}
	}
	r.addf(p, "%s is not a %s (%s)", quote(*v), what, strings.Join(allowed, ", "))
}

func checkProject(r *report, p, v string) {
	_, err := path.Match(v, "")
	switch {
	case strings.TrimSpace(v) == "":
		r.addf(p, "empty project")
	case strings.Contains(v, "/"):
		r.addf(p, "%s is a resource name: write the project ID (demo-prod) or a glob (team-*)", quote(v))
	case strings.ContainsFunc(v, func(c rune) bool { return c >= 'A' && c <= 'Z' || c == ' ' || c == '\t' }):
		r.addf(p, "%s is not a project ID: project IDs are lower-case, without spaces", quote(v))
	case err != nil:
		r.addf(p, "%s is not a valid glob (path.Match syntax: *, ?, [a-z])", quote(v))
	}
}

func checkInt(r *report, p string, v, lo, hi int) {
	if v < lo || v > hi {
		r.addf(p, "must be between %d and %d, got %d", lo, hi, v)
	}
}

// checkDuration checks lo <= d <= hi; hi 0 means no upper bound.
func checkDuration(r *report, p string, d Duration, lo, hi time.Duration) {
	switch {
	case time.Duration(d) < lo:
		r.addf(p, "must be at least %s", shortDuration(lo))
	case hi > 0 && time.Duration(d) > hi:
		r.addf(p, "must be at most %s", shortDuration(hi))
	}
}

// shortDuration writes 2m rather than time.Duration's 2m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
