package pagerduty

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// Limits sccbot applies to finding text inside an event, well under
// PagerDuty's so that the summary keeps its project and the event its
// details.
const (
	maxCategory = 300
	maxProject  = 100
	maxField    = 1024
	// hashSuffix is how many hex digits of SHA-256 end a shortened dedup key.
	hashSuffix = 32
	// ClientName is the client PagerDuty shows for sccbot's events.
	ClientName = "sccbot"
)

// Details are the event's custom_details: what a responder opening the
// alert needs, without going back to Slack.
type Details struct {
	Finding   string   `json:"finding"`
	Category  string   `json:"category,omitempty"`
	Severity  string   `json:"severity"`
	State     string   `json:"state,omitempty"`
	EventTime string   `json:"event_time,omitempty"`
	Project   string   `json:"project,omitempty"`
	Resource  string   `json:"resource,omitempty"`
	Owners    []string `json:"owners"`
	Target    *Target  `json:"target,omitempty"`
	Console   string   `json:"console,omitempty"`
}

// Target is the affected workload's coordinates.
type Target struct {
	Product   string `json:"product,omitempty"`
	Project   string `json:"project,omitempty"`
	Location  string `json:"location,omitempty"`
	Cluster   string `json:"cluster,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Pod       string `json:"pod,omitempty"`
	Node      string `json:"node,omitempty"`
	Service   string `json:"service,omitempty"`
	Job       string `json:"job,omitempty"`
	Revision  string `json:"revision,omitempty"`
	Execution string `json:"execution,omitempty"`
	Container string `json:"container,omitempty"`
}

// FindingEvent is the trigger event that pages about f, listing owners.
func FindingEvent(f bot.Finding, owners []bot.Owner) Event {
	e := Event{
		Action:   ActionTrigger,
		DedupKey: DedupKey(f.Name),
		Payload: &Payload{
			Summary:       Summary(f),
			Source:        first(clean(f.Resource.Name, maxField), clean(f.Project(), maxField), "Security Command Center"),
			Severity:      Severity(f.Severity),
			Component:     clean(workload(f), maxField),
			Group:         clean(f.Project(), maxField),
			Class:         clean(f.Category, maxField),
			CustomDetails: details(f, owners),
		},
		Client: ClientName,
	}
	if !f.EventTime.IsZero() {
		e.Payload.Timestamp = f.EventTime.UTC().Format(time.RFC3339Nano)
	}
	if u := bot.FindingURL(f); u != "" {
		e.Links = append(e.Links, Link{Href: u, Text: "Open the finding in Security Command Center"})
	}
	if u := bot.WorkloadURL(f.Target); u != "" {
		e.Links = append(e.Links, Link{Href: u, Text: "Open the workload in the Google Cloud console"})
	}
	return e
}

// Summary is "<Severity> SCC finding: <category> in <project>", cleaned and
// within PagerDuty's limit.
func Summary(f bot.Finding) string {
	category := first(clean(f.Category, maxCategory), "unknown category")
	s := f.Severity.Label() + " SCC finding: " + category
	if p := clean(f.Project(), maxProject); p != "" {
		s += " in " + p
	}
	return clean(s, MaxSummary)
}

// Severity maps SCC's severity to PagerDuty's. An unspecified severity is
// a warning: a threat finding is worth a look, but nothing says it is
// urgent.
func Severity(s bot.Severity) string {
	switch s {
	case bot.SeverityCritical:
		return SeverityCritical
	case bot.SeverityHigh:
		return SeverityError
	case bot.SeverityLow:
		return SeverityInfo
	}
	return SeverityWarning
}

// DedupKey is the finding's name, so that every page of one finding is
// one alert. A name longer than PagerDuty's 255 characters keeps its
// start and ends with a hash of the whole name: stable, and still unique.
func DedupKey(findingName string) string {
	if len(findingName) <= MaxDedupKey {
		return findingName
	}
	sum := sha256.Sum256([]byte(findingName))
	prefix := findingName[:MaxDedupKey-1-hashSuffix]
	for !utf8.ValidString(prefix) && prefix != "" {
		prefix = prefix[:len(prefix)-1] // do not split a character
	}
	return prefix + "~" + hex.EncodeToString(sum[:])[:hashSuffix]
}

func details(f bot.Finding, owners []bot.Owner) Details {
	d := Details{
		Finding:  clean(f.Name, maxField),
		Category: clean(f.Category, maxField),
		Severity: f.Severity.String(),
		State:    clean(f.State, maxField),
		Project:  clean(f.Project(), maxField),
		Resource: clean(f.Resource.Name, maxField),
		Owners:   ownerLines(owners),
		Console:  bot.FindingURL(f),
	}
	if !f.EventTime.IsZero() {
		d.EventTime = f.EventTime.UTC().Format(time.RFC3339Nano)
	}
	if t := target(f.Target); t != (Target{}) {
		d.Target = &t
	}
	return d
}

// ownerLines are "alice@example.com (IAM owner)"; never nil, so that the
// alert shows an empty list rather than no field.
func ownerLines(owners []bot.Owner) []string {
	out := make([]string, 0, len(owners))
	for _, o := range owners {
		line := clean(o.Email, maxField)
		if s := clean(o.Source, 100); s != "" {
			line += " (" + s + ")"
		}
		out = append(out, line)
	}
	return out
}

func target(t bot.Target) Target {
	c := func(s string) string { return clean(s, maxField) }
	product := ""
	if t.Product != "" {
		product = t.Product.Label()
	}
	return Target{Product: product, Project: c(t.Project), Location: c(t.Location), Cluster: c(t.Cluster),
		Namespace: c(t.Namespace), Pod: c(t.Pod), Node: c(t.Node), Service: c(t.Service), Job: c(t.Job),
		Revision: c(t.Revision), Execution: c(t.Execution), Container: c(t.Container)}
}

// workload names the affected workload: cluster/namespace/pod on GKE,
// service/revision or job/execution on Cloud Run, else the resource's
// display name.
func workload(f bot.Finding) string {
	t := f.Target
	var parts []string
	switch t.Product {
	case bot.ProductGKE:
		parts = []string{t.Cluster, t.Namespace, t.Pod}
	case bot.ProductCloudRun:
		parts = []string{first(t.Service, t.Job), first(t.Revision, t.Execution)}
	}
	parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" })
	if len(parts) == 0 {
		return f.Resource.DisplayName
	}
	return strings.Join(parts, "/")
}

// clean makes attacker text safe to show as one line: control and format
// characters (newlines, escapes, bidi overrides, zero-width joiners) become
// spaces, runs of spaces one, and the result is cut to max characters.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return cut(b.String(), max)
}

// cut shortens s to max characters, the last being an ellipsis.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
