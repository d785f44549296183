package config

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func validateSources(r *report, s *Sources) {
	if s.PubSub == nil && s.Poll == nil {
		r.addf("sources", "set pubsub or poll (or both)")
	}
	if s.PubSub != nil {
		validatePubSub(r, s.PubSub)
	}
	if s.Poll != nil {
		validatePoll(r, s.Poll)
	}
	checkDuration(r, "sources.unhealthy_after", s.UnhealthyAfter, time.Second, 24*time.Hour)
}

var subscriptionName = regexp.MustCompile(`^projects/[a-z0-9][a-z0-9.:-]*/subscriptions/[A-Za-z][A-Za-z0-9._~+%-]*$`)

func validatePubSub(r *report, p *PubSub) {
	const path = "sources.pubsub.subscription"
	switch {
	case p.Subscription == "":
		r.addf(path, "required: projects/PROJECT/subscriptions/NAME")
	case strings.Contains(p.Subscription, "/topics/"):
		r.addf(path, "this is a topic: give the subscription sccbot reads, projects/PROJECT/subscriptions/NAME")
	case !subscriptionName.MatchString(p.Subscription):
		r.addf(path, "must look like projects/PROJECT/subscriptions/NAME")
	}
	checkInt(r, "sources.pubsub.max_outstanding", p.MaxOutstanding, 1, 10000)
	checkEnum(r, "sources.pubsub.malformed", &p.Malformed, strings.ToLower,
		[]string{MalformedAck, MalformedNack}, "malformed-message policy")
}

// findingsParent is where ListFindings may look: an organization, folder or
// project, one source or all of them ("-"), optionally one location.
var findingsParent = regexp.MustCompile(`^(organizations/[0-9]+|folders/[0-9]+|projects/[a-z0-9][a-z0-9.:-]*)/sources/([0-9]+|-)(/locations/[a-z0-9-]+)?$`)

func validatePoll(r *report, p *Poll) {
	switch {
	case p.Parent == "":
		r.addf("sources.poll.parent", "required: organizations/ID/sources/-/locations/global, for example")
	case !findingsParent.MatchString(p.Parent):
		r.addf("sources.poll.parent", "must look like organizations|folders|projects/ID/sources/SOURCE_ID|-, optionally followed by /locations/LOCATION")
	}
	if msg := checkFilter(p.Filter); msg != "" {
		r.addf("sources.poll.filter", "%s", msg)
	}
	checkDuration(r, "sources.poll.interval", p.Interval, 10*time.Second, 0)
	if p.Lookback <= 0 {
		r.addf("sources.poll.lookback", "must be positive")
	}
}

// checkFilter catches the filter mistakes YAML quoting invites: a lost
// double quote or parenthesis. The SCC API judges the rest; the filter is
// not echoed, as it may be long.
func checkFilter(f string) string {
	depth, inString := 0, false
	for i := 0; i < len(f); i++ {
		switch c := f[i]; {
		case c == '\\' && inString:
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return "unbalanced parentheses"
			}
		}
	}
	switch {
	case inString:
		return "unterminated string: a double quote is missing"
	case depth != 0:
		return "unbalanced parentheses"
	}
	return ""
}

// cloudSQLInstance is an instance connection name: project (possibly
// domain-scoped, example.com:project), region, instance.
var cloudSQLInstance = regexp.MustCompile(`^([a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]*:[a-z]+-[a-z]+[0-9]+:[a-z][a-z0-9-]*$`)

func validateStore(r *report, s *Store) {
	checkEnum(r, "store.driver", &s.Driver, strings.ToLower, []string{StoreSQLite, StorePostgres}, "store driver")
	switch s.Driver {
	case StoreSQLite:
		if strings.TrimSpace(s.Path) == "" {
			r.addf("store.path", "required: the SQLite file, for example /var/lib/sccbot/sccbot.db")
		}
		if s.CloudSQLInstance != "" || s.CloudSQLUser != "" {
			r.addf("store.cloudsql_instance", "only with driver: postgres (the driver is sqlite)")
		}
	case StorePostgres:
		validateCloudSQL(r, s)
	}
}

// validateCloudSQL checks the Cloud SQL keys; without an instance the
// connection comes from the environment (CheckStoreEnv).
func validateCloudSQL(r *report, s *Store) {
	switch {
	case s.CloudSQLInstance == "":
		if s.CloudSQLUser != "" {
			r.addf("store.cloudsql_user", "only with store.cloudsql_instance")
		}
		return
	case !cloudSQLInstance.MatchString(s.CloudSQLInstance):
		r.addf("store.cloudsql_instance", "%s is not an instance connection name: write PROJECT:REGION:INSTANCE, as gcloud sql instances describe shows it", quote(s.CloudSQLInstance))
	}
	switch user := s.CloudSQLUser; {
	case user == "":
		r.addf("store.cloudsql_user", "required with store.cloudsql_instance: the IAM database user, a service account's e-mail without .gserviceaccount.com (sccbot@PROJECT.iam)")
	case strings.HasSuffix(user, ".gserviceaccount.com"):
		r.addf("store.cloudsql_user", "drop .gserviceaccount.com: Cloud SQL names an IAM service account user %s", quote(strings.TrimSuffix(user, ".gserviceaccount.com")))
	}
	if strings.TrimSpace(s.CloudSQLDatabase) == "" {
		r.addf("store.cloudsql_database", "required: the database on the instance")
	}
}

func validateOps(r *report, o *Ops) {
	if strings.EqualFold(o.Listen, ListenOff) {
		o.Listen = ListenOff
		return
	}
	_, port, err := net.SplitHostPort(o.Listen)
	if err == nil {
		n, perr := strconv.Atoi(port)
		if perr != nil || n < 0 || n > 65535 {
			err = strconv.ErrRange
		}
	}
	if err != nil {
		r.addf("ops.listen", "%s is not an address: write host:port (\":9090\", \"127.0.0.1:9090\") or \"off\"", quote(o.Listen))
	}
}

func validateLog(r *report, l *Log) {
	checkEnum(r, "log.level", &l.Level, strings.ToLower, []string{"debug", "info", "warn", "error"}, "log level")
	checkEnum(r, "log.format", &l.Format, strings.ToLower, []string{"json", "text"}, "log format")
}
