package config_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/sccbot/sccbot/config"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// problemLines runs Load and returns its problems as printed lines.
func problemLines(t *testing.T, data []byte) []string {
	t.Helper()
	cfg, err := config.Load(data)
	if err == nil {
		t.Fatalf("Load succeeded with %+v, want problems", cfg)
	}
	var ps config.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load error is %T (%v), want config.Problems", err, err)
	}
	if cfg != nil {
		t.Errorf("Load returned a config together with problems")
	}
	return strings.Split(ps.Error(), "\n")
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"empty.yaml", []string{
			`slack.default_channel: required: a channel ID (C0123456789) or "#name"`,
			`sources: set pubsub or poll (or both)`,
		}},
		{"required.yaml", []string{
			`slack.default_channel: required: a channel ID (C0123456789) or "#name" (line 1)`,
			`routes[0].name: required (line 4)`,
			`routes[0].channel: required: a channel ID (C0123456789) or "#name" (line 4)`,
			`sources: set pubsub or poll (or both)`,
		}},
		{"unknown-keys.yaml", []string{
			`slack.defaultChannel: unknown key (did you mean "default_channel"?) (line 2)`,
			`slack.worker: unknown key (did you mean "workers"?) (line 3)`,
			`routes[0].severity: unknown key (did you mean "match.severity"?) (line 7)`,
			`routes[1].match.severty: unknown key (did you mean "severity"?) (line 11)`,
			`routes[1].match.zone: unknown key (line 12)`,
			`sources.poll.every: unknown key (line 16)`,
			`unknown_section: unknown key (line 19)`,
		}},
		{"types.yaml", []string{
			`slack.workers: "lots" is not an integer (line 3)`,
			`slack.queue_size: "256" is not an integer: remove the quotes (line 4)`,
			`slack.post_interval: "60" has no unit: write it like 60s or 60m (line 5)`,
			`slack.post_burst: want an integer, got a list (line 6)`,
			`slack.request_timeout: "ten seconds" is not a duration (like 30s, 1m30s, 2h) (line 7)`,
			`routes[0].match.severity: want a list, got "CRITICAL": write [CRITICAL] (line 12)`,
			`routes[0].match.project: want a list, got a mapping (line 13)`,
			`sources: want a mapping, got a list (line 14)`,
		}},
		{"secrets.yaml", []string{
			`slack.bot_token: secrets are not read from the config file; set SLACK_BOT_TOKEN in the environment (line 3)`,
			`slack.app_token: secrets are not read from the config file; set SLACK_APP_TOKEN in the environment (line 4)`,
			`slack.signing_secret: secrets are not read from the config file; socket mode needs no signing secret, only SLACK_APP_TOKEN and SLACK_BOT_TOKEN in the environment (line 5)`,
			`slack.app_id: this is a Slack token; secrets are not read from the config file: set SLACK_BOT_TOKEN in the environment (and rotate the token if this file was shared) (line 6)`,
			`pagerduty: unknown key (line 10)`,
			`pagerduty.routing_key: secrets are not read from the config file; set PAGERDUTY_ROUTING_KEY in the environment (line 11)`,
		}},
		{"ranges.yaml", []string{
			`slack.workers: must be between 1 and 256, got 0 (line 3)`,
			`slack.queue_size: must be between 1 and 100000, got 100001 (line 4)`,
			`slack.post_interval: must be at least 100ms (line 5)`,
			`slack.post_burst: must be between 1 and 50, got 51 (line 6)`,
			`slack.request_timeout: must be at most 2m (line 7)`,
			`sources.pubsub.max_outstanding: must be between 1 and 10000, got 0 (line 11)`,
			`sources.poll.interval: must be at least 10s (line 14)`,
			`sources.poll.lookback: must be positive (line 15)`,
			`investigate.related_window: must be at least 1m (line 17)`,
			`investigate.logs_window: "30d" is not a duration (like 30s, 1m30s, 2h) (line 18)`,
			`investigate.logs_limit: must be between 1 and 50, got 500 (line 19)`,
			`investigate.timeout: must be at least 5s (line 20)`,
		}},
		{"grouping.yaml", []string{
			`routes[0].group.by[1]: "podd" is not a group key field (category, project, workload, image, namespace, pod, binary, severity) (line 7)`,
			`routes[0].group.repeat: must be at least the window (2h), or 0s (line 9)`,
			`grouping.window: must be at most 24h (line 14)`,
		}},
		{"responses.yaml", []string{
			`responses.exec_timeout: must be at least 10s (line 7)`,
			`responses.actions.isolate_pod.approvers[0]: "@leads" is not a Slack user id (U…) or user group id (S…) (line 10)`,
			`responses.actions.delete_pod.approval: "maybe" is not a valid approval policy (required, none) (line 13)`,
			`responses.actions.mute.two_person: needs approval: required (line 16)`,
			`responses.actions.nuke_cluster: "nuke_cluster" is not an action (collect_evidence, isolate_pod, delete_pod, cordon_node, cloudrun_rollback, cloudrun_cancel_execution, page_owner, mute, mute_rule, resolve) (line 17)`,
			`responses.actions.cordon_node.approvers: required when approval is required; or set approval: none (line 19)`,
		}},
		{"routes.yaml", []string{
			`routes[0].match.severity[1]: "SEVER" is not a severity (CRITICAL, HIGH, MEDIUM, LOW) (line 7)`,
			`routes[0].match.min_severity: set severity or min_severity, not both (line 8)`,
			`routes[1].name: required (line 9)`,
			`routes[1].channel: "general" is not a channel: use a channel ID (C0123456789) or a lower-case "#name" (line 10)`,
			`routes[1].match.product[1]: "cloudrun" is not a product (gke, cloud_run, other) (line 12)`,
			`routes[1].match.class[0]: "THREATS" is not a finding class (THREAT, VULNERABILITY, MISCONFIGURATION, OBSERVATION, SCC_ERROR, POSTURE_VIOLATION, TOXIC_COMBINATION, SENSITIVE_DATA_RISK, CHOKEPOINT) (line 13)`,
			`routes[2].name: duplicate of routes[0] (line 14)`,
			`routes[2].match.project[0]: "projects/demo-prod" is a resource name: write the project ID (demo-prod) or a glob (team-*) (line 17)`,
			`routes[2].match.project[1]: "Demo" is not a project ID: project IDs are lower-case, without spaces (line 17)`,
			`routes[2].match.project[2]: "team-[" is not a valid glob (path.Match syntax: *, ?, [a-z]) (line 17)`,
			`routes[2].match.category: empty list: remove the key to match any value (line 18)`,
			`routes[4]: never used: routes[3] has an empty match and takes every finding first (line 21)`,
		}},
		{"escalation-bad.yaml", []string{
			`escalation.every: must be at least 5s (line 11)`,
			`escalation.defaults.URGENT: "URGENT" is not a severity (CRITICAL, HIGH, MEDIUM, LOW) (line 13)`,
			`escalation.defaults.CRITICAL.escalate: must come after remind (30m), or be left out for no escalation (line 14)`,
			`escalation.defaults.HIGH.business_hours: only LOW and MEDIUM deadlines may pause outside business hours: a HIGH finding is urgent around the clock (line 15)`,
			`escalation.routes.billing: "billing" is not a route: use a routes[].name, or "default" for findings no route matches (line 17)`,
			`escalation.routes.payments.oncall: "@payments-oncall" is not a Slack user group id (S0123ABCD, in the group's URL) (line 20)`,
			`escalation.routes.payments.deadlines.critical.remind: must be at least 1m (line 22)`,
			`escalation.routes.payments.deadlines.LOW.business_hours.zone: "Europe/Pari" is not a time zone (an IANA name such as Europe/Paris) (line 25)`,
			`escalation.routes.payments.deadlines.LOW.business_hours.days: "mon-fry" is not a list of days (sun mon tue wed thu fri sat, ranges such as mon-fri) (line 25)`,
			`escalation.routes.payments.deadlines.LOW.business_hours.from: "9am" is not a time of day: write it like "09:00" (line 25)`,
			`escalation.routes.payments.deadlines.MEDIUM.business_hours.zone: required: an IANA time zone such as Europe/Paris (line 28)`,
			`escalation.routes.payments.deadlines.MEDIUM.business_hours.to: must be after from (18:00): a window does not cross midnight (line 28)`,
			`escalation.routes.payments.deadlines.MEDIUM.hours: unknown key (line 29)`,
		}},
		{"digests-bad.yaml", []string{
			`digests.grace: must be at least 1m (line 7)`,
			`digests.top: must be between 1 and 50, got 0 (line 8)`,
			`digests.unacknowledged: must be between 1 and 50, got 51 (line 9)`,
			`digests.channel: unknown key (line 10)`,
			`digests.schedules[0].timezone: unknown key (did you mean "time_zone"?) (line 15)`,
			`digests.schedules[1].name: "weekdays" is used twice (line 16)`,
			`digests.schedules[1].channel: "general" is not a channel: use a channel ID (C0123456789) or a lower-case "#name" (line 17)`,
			`digests.schedules[1].cron: "CRON_TZ=Europe/Paris 0 9 * * 1-5" sets a time zone: write it in time_zone (time_zone: Europe/Paris), its own field, and only the 5 fields (minute hour day-of-month month day-of-week) here (line 18)`,
			`digests.schedules[1].time_zone: "Europe/Pari" is not a time zone (an IANA name such as Europe/Paris) (line 19)`,
			`digests.schedules[1].period: must be at least 1h (line 20)`,
			`digests.schedules[2].name: "Daily Digest" is not a schedule name: use 1 to 40 lower-case letters, digits and hyphens (line 21)`,
			`digests.schedules[2].channel: required: a channel ID (C0123456789) or "#name" (line 21)`,
			`digests.schedules[2].cron: "TZ=UTC 0 9 * * *" sets a time zone: write it in time_zone (time_zone: UTC), its own field, and only the 5 fields (minute hour day-of-month month day-of-week) here (line 22)`,
			`digests.schedules[2].time_zone: "Local" is the host's time zone, which differs from one machine to the next: write an IANA name such as Europe/Paris (line 23)`,
			`digests.schedules[2].period: must be at most 744h (line 24)`,
			`digests.schedules[3].name: required: 1 to 40 lower-case letters, digits and hyphens, such as weekdays (line 25)`,
			`digests.schedules[3].cron: "@every 24h" fires at intervals counted from the start of sccbot, not at set times: write 5 fields (minute hour day-of-month month day-of-week) (line 26)`,
			`digests.schedules[3].period: "24" has no unit: write it like 24s or 24m (line 27)`,
			`digests.schedules[4].cron: "0 9 * *" is not a cron schedule (minute hour day-of-month month day-of-week): expected exactly 5 fields, found 4: [0 9 * *] (line 30)`,
			`digests.schedules[5].cron: "0 0 9 * * *" is not a cron schedule (minute hour day-of-month month day-of-week): expected exactly 5 fields, found 6: [0 0 9 * * *] (line 33)`,
			`digests.schedules[6].cron: "0 0 30 2 *" never fires: no date matches it (line 36)`,
			`digests.schedules[7].cron: "0 9 * * 7" is not a cron schedule (minute hour day-of-month month day-of-week): end of range (7) above maximum (6): 7; Sunday is 0 (or sun) (line 39)`,
			`digests.schedules[8].cron: required: a cron schedule such as "0 9 * * 1-5" (minute hour day-of-month month day-of-week) (line 40)`,
			`digests.schedules[9]: want a mapping, got "weekly" (line 42)`,
		}},
		{"digests-ranges.yaml", []string{
			`digests.grace: must be at most 168h (line 7)`,
			`digests.top: must be between 1 and 50, got 51 (line 8)`,
			`digests.unacknowledged: must be between 1 and 50, got -1 (line 9)`,
			`digests.schedules: want a list, got a mapping (line 10)`,
		}},
		{"sources.yaml", []string{
			`sources.pubsub.subscription: this is a topic: give the subscription sccbot reads, projects/PROJECT/subscriptions/NAME (line 5)`,
			`sources.pubsub.malformed: "drop" is not a malformed-message policy (ack, nack) (line 6)`,
			`sources.poll.parent: must look like organizations|folders|projects/ID/sources/SOURCE_ID|-, optionally followed by /locations/LOCATION (line 8)`,
			`sources.poll.filter: unbalanced parentheses (line 9)`,
		}},
		{"sources-missing.yaml", []string{
			`sources: set pubsub or poll (or both) (line 3)`,
		}},
		{"sources-empty.yaml", []string{
			`sources.pubsub.subscription: required: projects/PROJECT/subscriptions/NAME (line 4)`,
			`sources.poll.parent: required: organizations/ID/sources/-/locations/global, for example (line 6)`,
			`sources.poll.filter: unterminated string: a double quote is missing (line 7)`,
		}},
		{"ops-log.yaml", []string{
			`store.path: required: the SQLite file, for example /var/lib/sccbot/sccbot.db (line 7)`,
			`ops.listen: "9090" is not an address: write host:port (":9090", "127.0.0.1:9090") or "off" (line 9)`,
			`log.level: "verbose" is not a log level (debug, info, warn, error) (line 11)`,
			`log.format: "xml" is not a log format (json, text) (line 12)`,
		}},
		{"duplicate-keys.yaml", []string{
			`slack.workers: duplicate key (first at line 3) (line 4)`,
			`slack: duplicate key (first at line 1) (line 8)`,
		}},
		{"comment-channel.yaml", []string{
			`slack.default_channel: empty: YAML reads #security as a comment; quote it: default_channel: "#security" (line 2)`,
		}},
		{"not-a-mapping.yaml", []string{
			`want a mapping, got a list (line 1)`,
		}},
		// yaml.v3 reports some syntax errors at the line where the
		// enclosing block starts; the line is passed on as it is.
		{"syntax.yaml", []string{
			`not valid YAML: did not find expected ',' or ']' (line 2)`,
		}},
		{"multidoc.yaml", []string{
			`a second YAML document: the file must hold exactly one (line 6)`,
		}},
		{"five-mistakes.yaml", []string{
			`slack.workers: must be between 1 and 256, got 1000 (line 4)`,
			`routes[0].match.severity[0]: "URGENT" is not a severity (CRITICAL, HIGH, MEDIUM, LOW) (line 9)`,
			`sources.pubsub.subscription: must look like projects/PROJECT/subscriptions/NAME (line 12)`,
			`store.paht: unknown key (did you mean "path"?) (line 14)`,
			`log.level: "trace" is not a log level (debug, info, warn, error) (line 16)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := problemLines(t, readFixture(t, tt.file))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load(%s) problems (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

// TestEveryFixtureIsCovered keeps testdata and the table in step: a fixture
// nobody asserts on proves nothing.
func TestEveryFixtureIsCovered(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("config_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !bytes.Contains(src, []byte(`"`+filepath.Base(f)+`"`)) {
			t.Errorf("%s is not used by any test", f)
		}
	}
}

func TestProblemsAreInFileOrder(t *testing.T) {
	for _, name := range []string{"routes.yaml", "types.yaml", "unknown-keys.yaml", "secrets.yaml", "five-mistakes.yaml", "digests-bad.yaml", "escalation-bad.yaml"} {
		_, err := config.Load(readFixture(t, name))
		var ps config.Problems
		if !errors.As(err, &ps) {
			t.Fatalf("%s: got %v, want Problems", name, err)
		}
		for i := 1; i < len(ps); i++ {
			if ps[i].Line != 0 && ps[i].Line < ps[i-1].Line {
				t.Errorf("%s: %q comes after %q", name, ps[i], ps[i-1])
			}
		}
	}
}

func TestExampleLoads(t *testing.T) {
	onDisk := readFixture(t, "../example.yaml")
	if !bytes.Equal(onDisk, config.Example) {
		t.Fatal("config.Example differs from example.yaml")
	}
	cfg, err := config.Load(config.Example)
	if err != nil {
		t.Fatalf("Load(Example): %v", err)
	}
	var names []string
	for _, r := range cfg.Routes {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{"containers-critical", "sandbox-compilers"}, names); diff != "" {
		t.Errorf("example routes (-want +got):\n%s", diff)
	}
	critical := cfg.Routes[0].Match
	if diff := cmp.Diff(config.Match{Severity: []string{"CRITICAL"}, Product: []string{"gke", "cloud_run"}, Class: []string{"THREAT"}}, critical); diff != "" {
		t.Errorf("example's containers-critical match (-want +got):\n%s", diff)
	}
	if cfg.Sources.PubSub == nil || cfg.Sources.Poll == nil {
		t.Errorf("example sources = %+v, want both pubsub and poll", cfg.Sources)
	}
	wantDigests := defaultDigests()
	wantDigests.Schedules = []config.DigestSchedule{{Name: "weekdays", Channel: cfg.Slack.DefaultChannel,
		Cron: "0 9 * * 1-5", TimeZone: "Europe/Paris"}}
	if diff := cmp.Diff(wantDigests, cfg.Digests); diff != "" {
		t.Errorf("example digests (-want +got):\n%s", diff)
	}
}

func TestGoodFileIsNormalised(t *testing.T) {
	cfg, err := config.Load(readFixture(t, "good.yaml"))
	if err != nil {
		t.Fatalf("Load(good.yaml): %v", err)
	}
	urgent := []string{"CRITICAL", "HIGH"}
	want := &config.Config{
		Slack: config.Slack{
			DefaultChannel: "#security",
			Workers:        8,
			QueueSize:      256,
			PostInterval:   config.Duration(1500 * time.Millisecond),
			PostBurst:      3,
			RequestTimeout: config.Duration(10 * time.Second),
		},
		Routes: []config.Route{
			{Name: "gke-urgent", Channel: "C0AAAAAAAAA", Match: config.Match{Severity: urgent, Product: []string{"gke"}, Class: []string{"THREAT"}}},
			{Name: "run-urgent", Channel: "G0BBBBBBBBB", Match: config.Match{Severity: urgent, Product: []string{"cloud_run"}}},
			{Name: "team-projects", Channel: "#team-sec", Match: config.Match{
				MinSeverity: "MEDIUM",
				Project:     []string{"team-*", "demo-prod"},
				Category:    []string{"Execution: Built in Malicious Binary Executed"},
			}},
			{Name: "everything-else", Channel: "C0CCCCCCCCC"},
		},
		Sources: config.Sources{Poll: &config.Poll{
			Parent:   "projects/demo-prod/sources/-",
			Filter:   `state="ACTIVE"`,
			Interval: config.Duration(time.Minute),
			Lookback: config.Duration(time.Hour),
		}, UnhealthyAfter: config.Duration(2 * time.Minute)},
		Store: config.Store{Driver: config.StoreSQLite, Path: "sccbot.db", CloudSQLDatabase: "sccbot"},
		Ops:   config.Ops{Listen: config.ListenOff},
		Log:   config.Log{Level: "debug", Format: "text"},
		Investigate: config.Investigate{RelatedWindow: config.Duration(12 * time.Hour),
			LogsWindow: config.Duration(time.Hour), LogsLimit: 20, Timeout: config.Duration(time.Minute)},
		Playbooks:  config.Playbooks{Dir: "/etc/sccbot/playbooks"},
		Grouping:   defaultGrouping(),
		Evidence:   config.Evidence{MaxBinaryBytes: 256 << 20, LogLines: 1000, DebugImage: "busybox:1.37"},
		Digests:    defaultDigests(),
		Display:    config.Display{TimeZone: "UTC"},
		Escalation: defaultEscalation(),
		Responses: config.Responses{ExecTimeout: config.Duration(5 * time.Minute), Actions: map[string]*config.ResponseRule{
			"isolate_pod": {Requesters: []string{"S0ONCALL1"}, Approvers: []string{"S0LEADS01", "U0CAROL01"},
				Approval: config.ApprovalRequired, TwoPerson: true, Expiry: config.Duration(30 * time.Minute)},
			"page_owner": {Approval: config.ApprovalNone, Expiry: config.Duration(30 * time.Minute)},
		}},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Load(good.yaml) (-want +got):\n%s", diff)
	}
}

func defaultEscalation() config.Escalation {
	return config.Escalation{Every: config.Duration(30 * time.Second), Defaults: map[string]*config.Deadline{
		"CRITICAL": {Remind: config.Duration(15 * time.Minute), Escalate: config.Duration(30 * time.Minute)},
		"HIGH":     {Remind: config.Duration(time.Hour), Escalate: config.Duration(2 * time.Hour)},
	}}
}

func defaultDigests() config.Digests {
	return config.Digests{Grace: config.Duration(2 * time.Hour), Top: 8, Unacknowledged: 10}
}

func TestDigests(t *testing.T) {
	cfg, err := config.Load(readFixture(t, "digests.yaml"))
	if err != nil {
		t.Fatalf("Load(digests.yaml): %v", err)
	}
	want := config.Digests{
		Grace: config.Duration(2 * time.Hour), Top: 5, Unacknowledged: 3,
		Schedules: []config.DigestSchedule{
			{Name: "weekdays", Channel: "#secops", Cron: "0 9 * * 1-5", TimeZone: "Europe/Paris"},
			{Name: "weekly-review", Channel: "#secops", Cron: "30 8 * * mon", TimeZone: "Europe/Paris",
				Period: config.Duration(7 * 24 * time.Hour)},
			{Name: "nightly", Channel: "C0123456789", Cron: "@daily", TimeZone: "UTC"},
		},
	}
	if diff := cmp.Diff(want, cfg.Digests); diff != "" {
		t.Fatalf("Load(digests.yaml) digests (-want +got):\n%s", diff)
	}

	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		schedule   int
		after      time.Time
		want       string
		wantZoneID string
	}{
		// 09:00 in Paris is 08:00 UTC in winter and 07:00 in summer;
		// 2024-03-31 is the change. Friday afternoon runs next on Monday.
		{0, utc("2024-03-22T12:00:00Z"), "2024-03-25T08:00:00Z", "Europe/Paris"},
		{0, utc("2024-03-29T12:00:00Z"), "2024-04-01T07:00:00Z", "Europe/Paris"},
		// The location of the time given to Next does not matter.
		{0, utc("2024-03-29T12:00:00Z").In(newYork), "2024-04-01T07:00:00Z", "Europe/Paris"},
		{1, utc("2024-01-01T12:00:00Z"), "2024-01-08T07:30:00Z", "Europe/Paris"},
		{2, utc("2024-01-01T12:00:00Z").In(newYork), "2024-01-02T00:00:00Z", "UTC"},
	}
	for _, tt := range tests {
		s := cfg.Digests.Schedules[tt.schedule]
		if got := s.Location().String(); got != tt.wantZoneID {
			t.Errorf("%s: Location() = %s, want %s", s.Name, got, tt.wantZoneID)
		}
		if got := s.Schedule().Next(tt.after); !got.Equal(utc(tt.want)) {
			t.Errorf("%s: Schedule().Next(%s) = %s, want %s", s.Name, tt.after, got.UTC().Format(time.RFC3339), tt.want)
		}
	}
}

// TestDigestScheduleMethods covers values Load would refuse: the methods
// must not fail on them either.
func TestDigestScheduleMethods(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	if got := (config.DigestSchedule{}).Location(); got != time.UTC {
		t.Errorf("empty time_zone: Location() = %v, want UTC", got)
	}
	if got := (config.DigestSchedule{TimeZone: "Mars/Olympus"}).Location(); got != time.UTC {
		t.Errorf("unknown time_zone: Location() = %v, want UTC", got)
	}
	if got := (config.DigestSchedule{Cron: "0 9 * * *"}).Schedule().Next(now); !got.Equal(time.Date(2024, 6, 2, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("no time_zone: Next = %v, want 09:00 UTC the next day", got)
	}
	for _, spec := range []string{"", "not cron", "@every 1h", "CRON_TZ=UTC 0 9 * * *", "TZ=UTC", "0 0 30 2 *"} {
		if got := (config.DigestSchedule{Cron: spec}).Schedule().Next(now); !got.IsZero() {
			t.Errorf("cron %q: Next = %v, want the zero time (never)", spec, got)
		}
	}
}

// TestEmptyDigestSchedules: no schedules is valid, written or not.
func TestEmptyDigestSchedules(t *testing.T) {
	const base = "slack: {default_channel: C0123456789}\nsources: {poll: {parent: organizations/1/sources/-}}\n"
	for _, extra := range []string{"", "digests:\n", "digests: {schedules: []}\n", "digests: {schedules: }\n"} {
		cfg, err := config.Load([]byte(base + extra))
		if err != nil {
			t.Errorf("Load(%q): %v", extra, err)
			continue
		}
		if len(cfg.Digests.Schedules) != 0 || cfg.Digests.Top != 8 {
			t.Errorf("Load(%q) digests = %+v, want the defaults and no schedules", extra, cfg.Digests)
		}
	}
}

func defaultGrouping() config.Grouping {
	return config.Grouping{By: []string{"category", "workload", "image"},
		Window: config.Duration(10 * time.Minute), Repeat: config.Duration(4 * time.Hour)}
}

func TestDefaults(t *testing.T) {
	cfg, err := config.Load([]byte("slack: {default_channel: C0123456789}\nsources: {pubsub: {subscription: projects/p1/subscriptions/s1}}\n"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &config.Config{
		Slack: config.Slack{
			DefaultChannel: "C0123456789",
			Workers:        16,
			QueueSize:      256,
			PostInterval:   config.Duration(time.Second),
			PostBurst:      3,
			RequestTimeout: config.Duration(10 * time.Second),
		},
		Sources: config.Sources{PubSub: &config.PubSub{
			Subscription:   "projects/p1/subscriptions/s1",
			MaxOutstanding: 100, Streams: 4,
			Malformed: config.MalformedAck,
		}, UnhealthyAfter: config.Duration(2 * time.Minute)},
		Store: config.Store{Driver: config.StoreSQLite, Path: "sccbot.db", CloudSQLDatabase: "sccbot"},
		Ops:   config.Ops{Listen: ":9090"},
		Log:   config.Log{Level: "info", Format: "json"},
		Investigate: config.Investigate{RelatedWindow: config.Duration(24 * time.Hour),
			LogsWindow: config.Duration(time.Hour), LogsLimit: 10, Timeout: config.Duration(time.Minute)},
		Grouping:   defaultGrouping(),
		Digests:    defaultDigests(),
		Display:    config.Display{TimeZone: "UTC"},
		Escalation: defaultEscalation(),
		Responses:  config.Responses{ExecTimeout: config.Duration(5 * time.Minute)},
		Evidence:   config.Evidence{MaxBinaryBytes: 256 << 20, LogLines: 1000, DebugImage: "busybox:1.37"},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// TestExplicitValuesWinOverDefaults checks that a value written in the file
// is kept even when it equals the zero value: an empty filter lists every
// finding instead of silently becoming state="ACTIVE".
func TestExplicitValuesWinOverDefaults(t *testing.T) {
	cfg, err := config.Load([]byte("slack: {default_channel: C0123456789}\nsources: {poll: {parent: folders/42/sources/7, filter: ''}}\n"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := cfg.Sources.Poll.Filter; got != "" {
		t.Errorf("filter = %q, want it empty as written", got)
	}
}

// TestRoundTrip checks that a loaded config marshals back to a file that
// loads to the same config (Duration.MarshalYAML, omitempty tags).
func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"good.yaml", "digests.yaml", "../example.yaml"} {
		first, err := config.Load(readFixture(t, name))
		if err != nil {
			t.Fatalf("Load(%s): %v", name, err)
		}
		out, err := yaml.Marshal(first)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		second, err := config.Load(out)
		if err != nil {
			t.Fatalf("Load(Marshal(%s)): %v\n%s", name, err, out)
		}
		if diff := cmp.Diff(first, second); diff != "" {
			t.Errorf("%s round trip (-first +second):\n%s", name, diff)
		}
	}
}

func TestDocumentMarkers(t *testing.T) {
	const body = "slack: {default_channel: C0123456789}\nsources: {poll: {parent: organizations/1/sources/-}}\n"
	for _, data := range []string{"---\n" + body, body + "---\n", "---\n" + body + "...\n"} {
		if _, err := config.Load([]byte(data)); err != nil {
			t.Errorf("Load(%q): %v", data, err)
		}
	}
}

func TestLoadFile(t *testing.T) {
	if _, err := config.LoadFile(filepath.Join("testdata", "good.yaml")); err != nil {
		t.Errorf("LoadFile(good.yaml): %v", err)
	}
	_, err := config.LoadFile(filepath.Join("testdata", "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing.yaml) = %v, want an error wrapping fs.ErrNotExist", err)
	}
	_, err = config.LoadFile(filepath.Join("testdata", "five-mistakes.yaml"))
	var ps config.Problems
	if !errors.As(err, &ps) || len(ps) != 5 {
		t.Errorf("LoadFile(five-mistakes.yaml) = %v, want 5 problems", err)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "1m30s", want: 90 * time.Second},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "2h", want: 2 * time.Hour},
		{in: "90", wantErr: `"90" has no unit: write it like 90s or 90m`},
		{in: "1.5", wantErr: `"1.5" has no unit: write it like 1.5s or 1.5m`},
		{in: "soon", wantErr: `"soon" is not a duration (like 30s, 1m30s, 2h)`},
		{in: "[1s]", wantErr: `want a duration such as 30s or 1m30s, got a list`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d config.Duration
			err := yaml.Unmarshal([]byte(tt.in), &d)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("Unmarshal(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || time.Duration(d) != tt.want {
				t.Errorf("Unmarshal(%q) = %v, %v; want %v", tt.in, d, err, tt.want)
			}
			out, err := yaml.Marshal(d)
			if err != nil || strings.TrimSpace(string(out)) != tt.want.String() {
				t.Errorf("Marshal(%v) = %q, %v; want %q", d, out, err, tt.want.String())
			}
		})
	}
}

func TestProblemsError(t *testing.T) {
	ps := config.Problems{
		{Path: "slack.workers", Line: 3, Message: "must be between 1 and 256, got 0"},
		{Path: "sources", Message: "set pubsub or poll (or both)"},
		{Line: 7, Message: "not valid YAML: oops"},
	}
	want := "slack.workers: must be between 1 and 256, got 0 (line 3)\nsources: set pubsub or poll (or both)\nnot valid YAML: oops (line 7)"
	if got := ps.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if err := config.Problems(nil).Err(); err != nil {
		t.Errorf("empty Problems.Err() = %v, want nil", err)
	}
	if err := ps.Err(); err == nil {
		t.Error("Problems.Err() = nil, want an error")
	}
}

// TestFieldFormats checks the formats of IDs and names one value at a time.
func TestFieldFormats(t *testing.T) {
	type fields struct{ channel, appID, sub, parent, listen string }
	good := fields{"C0123456789", "A0123456789", "projects/p1/subscriptions/s1", "organizations/1/sources/-", `":9090"`}
	tests := []struct {
		name string
		edit func(*fields)
		want string // the problem, or "" when the value is valid
	}{
		{"channel id", func(f *fields) { f.channel = "G0123ABCDEF" }, ""},
		{"dm id", func(f *fields) { f.channel = "D0123ABCDEF" }, ""},
		{"channel name", func(f *fields) { f.channel = `"#sec-alerts_2"` }, ""},
		{"lower-case id", func(f *fields) { f.channel = "c0123456789" }, `slack.default_channel: "c0123456789" is not a channel: use a channel ID (C0123456789) or a lower-case "#name" (line 1)`},
		{"upper-case name", func(f *fields) { f.channel = `"#Security"` }, `slack.default_channel: "#Security" is not a channel: use a channel ID (C0123456789) or a lower-case "#name" (line 1)`},
		{"user id", func(f *fields) { f.channel = "U0123456789" }, `slack.default_channel: "U0123456789" is not a channel: use a channel ID (C0123456789) or a lower-case "#name" (line 1)`},
		{"bad app id", func(f *fields) { f.appID = "sccbot" }, `slack.app_id: "sccbot" is not an app ID (A0123456789, under Basic Information in the app's settings) (line 1)`},
		{"domain-scoped project", func(f *fields) { f.sub = "projects/example.com:sec/subscriptions/scc.findings-1" }, ""},
		{"bare subscription", func(f *fields) { f.sub = "sccbot" }, `sources.pubsub.subscription: must look like projects/PROJECT/subscriptions/NAME (line 2)`},
		{"subscription with trailing slash", func(f *fields) { f.sub = "projects/p1/subscriptions/s1/" }, `sources.pubsub.subscription: must look like projects/PROJECT/subscriptions/NAME (line 2)`},
		{"folder source", func(f *fields) { f.parent = "folders/42/sources/7/locations/eu" }, ""},
		{"project source", func(f *fields) { f.parent = "projects/demo-prod/sources/-/locations/global" }, ""},
		{"no source", func(f *fields) { f.parent = "organizations/1" }, `sources.poll.parent: must look like organizations|folders|projects/ID/sources/SOURCE_ID|-, optionally followed by /locations/LOCATION (line 2)`},
		{"listen on loopback", func(f *fields) { f.listen = "127.0.0.1:9090" }, ""},
		{"listen on ipv6", func(f *fields) { f.listen = `"[::1]:9090"` }, ""},
		{"listen off", func(f *fields) { f.listen = "Off" }, ""},
		{"port out of range", func(f *fields) { f.listen = `":70000"` }, `ops.listen: ":70000" is not an address: write host:port (":9090", "127.0.0.1:9090") or "off" (line 3)`},
		{"named port", func(f *fields) { f.listen = `":http"` }, `ops.listen: ":http" is not an address: write host:port (":9090", "127.0.0.1:9090") or "off" (line 3)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := good
			tt.edit(&f)
			data := "slack: {default_channel: " + f.channel + ", app_id: " + f.appID + "}\n" +
				"sources: {pubsub: {subscription: " + f.sub + "}, poll: {parent: " + f.parent + "}}\n" +
				"ops: {listen: " + f.listen + "}\n"
			_, err := config.Load([]byte(data))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Load:\n%s\ngot problems  %q\nwant problems %q", data, got, tt.want)
			}
		})
	}
}

func TestEvidenceConfig(t *testing.T) {
	base := "slack: {default_channel: C0123456789}\nsources: {pubsub: {subscription: projects/p1/subscriptions/s1}}\n"
	_, err := config.Load([]byte(base + "responses: {actions: {delete_pod: {approval: none, require_evidence: true}}}\n"))
	wantProblems(t, err, "responses.actions.delete_pod.require_evidence: needs responses.actions.collect_evidence")
	_, err = config.Load([]byte(base + "responses: {actions: {collect_evidence: {approval: none}}}\n"))
	wantProblems(t, err, "evidence.bucket: required when responses.actions.collect_evidence is set")
	_, err = config.Load([]byte(base + "evidence: {bucket: gs://x, max_binary_bytes: 10}\n"))
	wantProblems(t, err, `evidence.bucket: "gs://x" is not a bucket name`, "evidence.max_binary_bytes: must be between 1 MiB and 4 GiB")
	cfg, err := config.Load([]byte(base + "evidence: {bucket: acme-evidence, debug_image: \"\"}\n" +
		"responses: {actions: {collect_evidence: {approval: none}, delete_pod: {approval: none, require_evidence: true}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Evidence.Bucket != "acme-evidence" || cfg.Evidence.DebugImage != "" || !cfg.Responses.Actions["delete_pod"].RequireEvidence {
		t.Errorf("evidence = %+v", cfg.Evidence)
	}
}

func wantProblems(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q lacks %q", err, p)
		}
	}
}
