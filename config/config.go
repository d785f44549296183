// Package config is sccbot's configuration file: its schema, its defaults and
// its validation. Load is strict: an unknown key, a value of the wrong type
// or a value out of range is a Problem reported with its YAML path and line,
// and every problem in the file is reported at once. Top-level keys starting
// with "x-" are the one exception: they are ignored, so that YAML anchors
// shared by several routes have a place to live.
//
// Secrets are never read from the file. A key that looks like one (a token,
// a password, a routing key) is itself a problem whose message names the
// environment variable to use instead; CheckEnv checks those variables.
//
// Only cmd/sccbot imports this package. It copies the values it needs into
// the adapters' constructors, so no adapter depends on the file's schema.
// Values are validated and normalised (severities and classes upper-case,
// products and enumerations lower-case) but not interpreted: route matching,
// for example, belongs to the handlers.
package config

import (
	"fmt"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is a loaded, validated configuration. A Config returned by Load
// has every default applied.
type Config struct {
	Slack Slack `yaml:"slack"`
	// Routes are evaluated in order; the first match wins, and a finding
	// no route matches goes to Slack.DefaultChannel.
	Routes  []Route `yaml:"routes,omitempty"`
	Sources Sources `yaml:"sources"`
	Store   Store   `yaml:"store"`
	Ops     Ops     `yaml:"ops"`
	Log     Log     `yaml:"log"`
	// Grouping is how routes group bursts of similar findings, unless a
	// route says otherwise.
	Grouping Grouping `yaml:"grouping"`
	// Investigate tunes the card's investigation buttons.
	Investigate Investigate `yaml:"investigate"`
	// Playbooks points at the operator's own playbooks.
	Playbooks Playbooks `yaml:"playbooks"`
	// Responses enables response actions and says who may request and
	// approve each. An action not listed here is not offered at all.
	Responses Responses `yaml:"responses"`
	// Digests are summaries posted on schedules.
	Digests Digests `yaml:"digests"`
	// Evidence is where collect_evidence keeps what it collects.
	Evidence Evidence `yaml:"evidence"`
	// Display is how the bot writes things for people.
	Display Display `yaml:"display"`
	// Escalation sets acknowledgement deadlines, reminders and escalation.
	Escalation Escalation `yaml:"escalation"`
}

// Evidence configures the collect_evidence action.
type Evidence struct {
	// Bucket is the Cloud Storage bucket name (no gs://); required when
	// collect_evidence is enabled.
	Bucket string `yaml:"bucket"`
	// MaxBinaryBytes cuts a collected binary at this size.
	MaxBinaryBytes int64 `yaml:"max_binary_bytes"`
	// LogLines is how many of the container's last log lines are kept.
	LogLines int `yaml:"log_lines"`
	// DebugImage is the image of the ephemeral container that reads
	// /proc/PID/exe when the binary is gone from disk; "" turns that off.
	DebugImage string `yaml:"debug_image"`
}

// Display configures what people read.
type Display struct {
	// TimeZone is the IANA zone every time on Slack is written in (cards,
	// threads, lists, digests), with the zone named; UTC by default.
	TimeZone string `yaml:"time_zone"`
}

// Digests configures the scheduled digests. With no schedules none is
// posted; "/finding digest" still posts one on demand, with these limits.
type Digests struct {
	// Grace is how late a run missed while sccbot was down may still be
	// posted on start; older runs are skipped.
	Grace Duration `yaml:"grace"`
	// Top is how many categories and projects a digest lists.
	Top int `yaml:"top"`
	// Unacknowledged is how many open findings nobody acknowledged a
	// digest lists (it always counts them all).
	Unacknowledged int `yaml:"unacknowledged"`
	// Schedules are the digests posted on their own; empty, none is.
	Schedules []DigestSchedule `yaml:"schedules,omitempty"`
}

// DigestSchedule is one scheduled digest: when it runs, where it goes and
// what it covers. Use Schedule and Location rather than parsing Cron and
// TimeZone again.
type DigestSchedule struct {
	// Name keys the schedule's run history in the store, which is how
	// each run is posted once across restarts and replicas: lower-case
	// letters, digits and hyphens, unique.
	Name string `yaml:"name"`
	// Channel is a channel ID (C0123456789) or #name.
	Channel string `yaml:"channel"`
	// Cron is a standard 5-field cron specification (minute hour
	// day-of-month month day-of-week) or a descriptor such as @daily,
	// evaluated in TimeZone. It never carries a time zone of its own
	// (CRON_TZ=, TZ=), and @every is refused: it fires at intervals
	// from the process start, not at set times.
	Cron string `yaml:"cron"`
	// TimeZone is an IANA time zone name (Europe/Paris); UTC by default.
	TimeZone string `yaml:"time_zone"`
	// Period is what each digest covers, ending at the run. Zero: since
	// the schedule's previous run.
	Period Duration `yaml:"period,omitempty"`
}

// Responses configures the response actions.
type Responses struct {
	// Actions maps an action (collect_evidence, isolate_pod, delete_pod, cordon_node,
	// cloudrun_rollback, cloudrun_cancel_execution, page_owner, mute,
	// mute_rule, resolve) to its rule. mute_rule without a rule of its own
	// takes mute's.
	Actions map[string]*ResponseRule `yaml:"actions,omitempty"`
	// ExecTimeout bounds one execution of an action.
	ExecTimeout Duration `yaml:"exec_timeout"`
}

// Approval policies.
const (
	ApprovalRequired = "required"
	ApprovalNone     = "none"
)

// ResponseRule is who may request and approve one action.
type ResponseRule struct {
	// Requesters and Approvers are Slack user ids (U…) or user group ids
	// (S…). No requesters: anyone in the workspace may request.
	Requesters []string `yaml:"requesters,omitempty"`
	Approvers  []string `yaml:"approvers,omitempty"`
	// Approval is ApprovalRequired (default) or ApprovalNone.
	Approval string `yaml:"approval"`
	// TwoPerson: the requester may not approve their own request.
	TwoPerson bool `yaml:"two_person"`
	// Expiry: a request nobody approved within this expires.
	Expiry Duration `yaml:"expiry"`
	// DryRun does everything but the change, and says so.
	DryRun bool `yaml:"dry_run"`
	// RequireEvidence refuses the action until collect_evidence has run
	// for the finding.
	RequireEvidence bool `yaml:"require_evidence"`
}

// Investigate tunes the Related findings and Logs buttons.
type Investigate struct {
	// RelatedWindow is how far before and after the event related findings
	// are looked for.
	RelatedWindow Duration `yaml:"related_window"`
	// LogsWindow is how far before and after the event logs are read, and
	// LogsLimit how many entries each query shows.
	LogsWindow Duration `yaml:"logs_window"`
	LogsLimit  int      `yaml:"logs_limit"`
	// Timeout bounds the work behind one click.
	Timeout Duration `yaml:"timeout"`
}

// Playbooks configures where operators add or override playbooks.
type Playbooks struct {
	// Dir holds *.yaml playbooks that replace the built-in playbook of the
	// same category or add new ones. Empty: the built-in playbooks only.
	Dir string `yaml:"dir,omitempty"`
}

// Slack configures the Slack connection. The tokens come from the
// environment (see CheckEnv).
type Slack struct {
	// DefaultChannel is a channel ID (C0123456789) or #name.
	DefaultChannel string `yaml:"default_channel"`
	// AppID and TeamID, when set, make the bot refuse interaction payloads
	// from another app or workspace.
	AppID  string `yaml:"app_id,omitempty"`
	TeamID string `yaml:"team_id,omitempty"`
	// Workers bounds the interactions handled at once; QueueSize bounds
	// those waiting for a worker.
	Workers   int `yaml:"workers"`
	QueueSize int `yaml:"queue_size"`
	// PostInterval and PostBurst pace posts per channel: Slack allows about
	// one message per second per channel.
	PostInterval   Duration `yaml:"post_interval"`
	PostBurst      int      `yaml:"post_burst"`
	RequestTimeout Duration `yaml:"request_timeout"`
}

// Route sends the findings its Match selects to Channel.
type Route struct {
	Name    string `yaml:"name"`
	Channel string `yaml:"channel"`
	Match   Match  `yaml:"match,omitempty"`
	// Group overrides the top-level grouping for this route.
	Group *Grouping `yaml:"group,omitempty"`
}

// Grouping groups findings with the same key on one card.
type Grouping struct {
	// By lists the key's fields: category, project, workload (the cluster
	// or Cloud Run service or job), image, namespace, pod, binary, severity.
	By []string `yaml:"by,omitempty"`
	// Window: a finding joins a group whose latest finding is at most this
	// older. 0s turns grouping off.
	Window Duration `yaml:"window"`
	// Repeat: a group still active this long after its card was posted
	// gets a fresh card. 0s never.
	Repeat Duration `yaml:"repeat"`
}

// Match selects findings. Every condition that is set must hold; a Match
// with no condition selects every finding. Within one condition, any listed
// value may match.
type Match struct {
	// Severity lists SCC severities, upper-cased. MinSeverity is the
	// alternative: that severity or more urgent. At most one is set.
	Severity    []string `yaml:"severity,omitempty"`
	MinSeverity string   `yaml:"min_severity,omitempty"`
	// Category lists SCC categories as written in the file; the handlers
	// compare them case-insensitively with whitespace folded.
	Category []string `yaml:"category,omitempty"`
	// Project lists project IDs; each may be a path.Match glob.
	Project []string `yaml:"project,omitempty"`
	// Product lists products, lower-cased: gke, cloud_run or other.
	Product []string `yaml:"product,omitempty"`
	// Class lists finding classes, upper-cased (THREAT, VULNERABILITY, ...).
	Class []string `yaml:"class,omitempty"`
}

// Sources says where findings come from. At least one is set; with both,
// Pub/Sub delivers and the poll catches what Pub/Sub missed. A source whose
// key is present is enabled, even with nothing under it ("poll:" then
// reports its missing parent rather than being silently off).
type Sources struct {
	PubSub *PubSub `yaml:"pubsub,omitempty"`
	Poll   *Poll   `yaml:"poll,omitempty"`
	// UnhealthyAfter is how long a source may fail, or go without working
	// since the start, before /readyz reports it.
	UnhealthyAfter Duration `yaml:"unhealthy_after"`
}

// How the Pub/Sub source treats a message it cannot decode.
const (
	// MalformedAck records the message in the store and acks it.
	MalformedAck = "ack"
	// MalformedNack nacks it, leaving it to the subscription's dead-letter
	// policy.
	MalformedNack = "nack"
)

// PubSub reads SCC notifications from a Pub/Sub subscription.
type PubSub struct {
	// Subscription is the full name: projects/P/subscriptions/S.
	Subscription   string `yaml:"subscription"`
	MaxOutstanding int    `yaml:"max_outstanding"`
	// Streams is how many StreamingPull streams receive at once: more
	// streams, more findings a second in a storm.
	Streams int `yaml:"streams"`
	// Malformed is MalformedAck or MalformedNack.
	Malformed string `yaml:"malformed"`
}

// Poll lists findings with SCC's ListFindings on an interval.
type Poll struct {
	// Parent is organizations|folders|projects/{id}/sources/{id|-}, with an
	// optional /locations/{location}.
	Parent string `yaml:"parent"`
	// Filter is an SCC ListFindings filter. Empty lists every finding.
	Filter   string   `yaml:"filter"`
	Interval Duration `yaml:"interval"`
	// Lookback is how far back the first poll starts.
	Lookback Duration `yaml:"lookback"`
}

// Store drivers.
const (
	// StoreSQLite is the embedded store: one file, one replica.
	StoreSQLite = "sqlite"
	// StorePostgres is a PostgreSQL database shared by several replicas.
	StorePostgres = "postgres"
)

// Store configures the database.
type Store struct {
	// Driver is StoreSQLite (the default) or StorePostgres.
	Driver string `yaml:"driver"`
	// Path is the SQLite file, relative to the working directory.
	Path string `yaml:"path"`
	// CloudSQLInstance is a Cloud SQL for PostgreSQL instance's connection
	// name (project:region:instance), reached through the Cloud SQL
	// connector with IAM database authentication; without it the
	// connection is the libpq URL in EnvDatabaseURL.
	CloudSQLInstance string `yaml:"cloudsql_instance"`
	// CloudSQLUser is the IAM database user: a service account's e-mail
	// without ".gserviceaccount.com".
	CloudSQLUser string `yaml:"cloudsql_user"`
	// CloudSQLDatabase is the database on the instance.
	CloudSQLDatabase string `yaml:"cloudsql_database"`
}

// ListenOff as Ops.Listen disables the ops server.
const ListenOff = "off"

// Ops configures the server of /healthz, /readyz and /metrics.
type Ops struct {
	// Listen is a host:port, or ListenOff.
	Listen string `yaml:"listen"`
}

// Log configures the process log.
type Log struct {
	// Level is debug, info, warn or error (slog.Level's text form).
	Level string `yaml:"level"`
	// Format is json or text.
	Format string `yaml:"format"`
}

// defaulter is implemented by sections with default values. The decoder
// calls setDefaults on a section before decoding the file into it, so that a
// value written in the file, even zero, always wins over the default.
type defaulter interface{ setDefaults() }

func (c *Config) setDefaults() {
	c.Slack.setDefaults()
	c.Sources.UnhealthyAfter = Duration(2 * time.Minute)
	c.Display = Display{TimeZone: "UTC"}
	c.Store = Store{Driver: StoreSQLite, Path: "sccbot.db", CloudSQLDatabase: "sccbot"}
	c.Ops = Ops{Listen: ":9090"}
	c.Log = Log{Level: "info", Format: "json"}
	c.Grouping.setDefaults()
	c.Responses.ExecTimeout = Duration(5 * time.Minute)
	c.Investigate = Investigate{RelatedWindow: Duration(24 * time.Hour), LogsWindow: Duration(time.Hour),
		LogsLimit: 10, Timeout: Duration(time.Minute)}
	c.Digests = Digests{Grace: Duration(2 * time.Hour), Top: 8, Unacknowledged: 10}
	c.Evidence = Evidence{MaxBinaryBytes: 256 << 20, LogLines: 1000, DebugImage: "busybox:1.37"}
	c.Escalation.setDefaults()
}

func (s *Slack) setDefaults() {
	s.Workers = 16
	s.QueueSize = 256
	s.PostInterval = Duration(time.Second)
	s.PostBurst = 3
	s.RequestTimeout = Duration(10 * time.Second)
}

func (r *ResponseRule) setDefaults() {
	r.Approval = ApprovalRequired
	r.Expiry = Duration(30 * time.Minute)
}

func (g *Grouping) setDefaults() {
	g.By = []string{"category", "workload", "image"}
	g.Window = Duration(10 * time.Minute)
	g.Repeat = Duration(4 * time.Hour)
}

func (s *DigestSchedule) setDefaults() {
	s.TimeZone = "UTC"
}

func (p *PubSub) setDefaults() {
	p.MaxOutstanding = 100
	p.Streams = 4
	p.Malformed = MalformedAck
}

func (p *Poll) setDefaults() {
	p.Filter = `state="ACTIVE"`
	p.Interval = Duration(time.Minute)
	p.Lookback = Duration(time.Hour)
}

// Duration is a time.Duration written as a Go duration string ("1m30s").
type Duration time.Duration

// String formats the duration the way time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML parses a Go duration string. A bare number is refused,
// because "interval: 60" could mean seconds or minutes.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration such as 30s or 1m30s, got %s", kindName(n))
	}
	if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return fmt.Errorf("%s has no unit: write it like %ss or %sm", quote(n.Value), show(n.Value), show(n.Value))
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%s is not a duration (like 30s, 1m30s, 2h)", quote(n.Value))
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration in the form UnmarshalYAML reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
