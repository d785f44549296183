package pagerduty

import (
	"fmt"
	"net/url"
	"slices"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// Event actions.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Severities PagerDuty accepts.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Limits of the Events API v2.
const (
	RoutingKeyLength = 32
	MaxDedupKey      = 255
	MaxSummary       = 1024
	// MaxEventBytes is the size limit of one event.
	MaxEventBytes = 512 * 1024
)

// Event is an alert event. The routing key is not a field: the Client adds
// it when it sends, so that an Event can be logged, stored or compared
// without carrying the secret.
type Event struct {
	Action    string   `json:"event_action"`
	DedupKey  string   `json:"dedup_key,omitempty"`
	Payload   *Payload `json:"payload,omitempty"`
	Links     []Link   `json:"links,omitempty"`
	Client    string   `json:"client,omitempty"`
	ClientURL string   `json:"client_url,omitempty"`
}

// Payload describes what happened; trigger events need one.
type Payload struct {
	Summary  string `json:"summary"`
	Source   string `json:"source"`
	Severity string `json:"severity"`
	// Timestamp is ISO 8601; PagerDuty uses the time it received the
	// event when it is empty.
	Timestamp     string `json:"timestamp,omitempty"`
	Component     string `json:"component,omitempty"`
	Group         string `json:"group,omitempty"`
	Class         string `json:"class,omitempty"`
	CustomDetails any    `json:"custom_details,omitempty"`
}

// Link is a link shown on the alert.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// wireEvent is the request body: the routing key, then the event.
type wireEvent struct {
	RoutingKey string `json:"routing_key"`
	Event
}

// Validate checks what PagerDuty would check, so that an invalid event
// fails before it is sent (and a dry run finds what a real page would).
func (e Event) Validate() error {
	if !slices.Contains([]string{ActionTrigger, ActionAcknowledge, ActionResolve}, e.Action) {
		return invalid("event action %q is not trigger, acknowledge or resolve", e.Action)
	}
	if utf8.RuneCountInString(e.DedupKey) > MaxDedupKey {
		return invalid("the dedup key is longer than PagerDuty's %d characters", MaxDedupKey)
	}
	if e.Action != ActionTrigger {
		if e.DedupKey == "" {
			return invalid("a %s event needs the dedup key of the alert", e.Action)
		}
		return nil
	}
	if err := e.Payload.validate(); err != nil {
		return err
	}
	for _, l := range e.Links {
		if u, err := url.Parse(l.Href); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid("link %q is not an absolute http(s) URL", cut(l.Href, 100))
		}
	}
	return nil
}

func (p *Payload) validate() error {
	switch {
	case p == nil:
		return invalid("a trigger event needs a payload")
	case p.Summary == "":
		return invalid("the event has no summary")
	case utf8.RuneCountInString(p.Summary) > MaxSummary:
		return invalid("the summary is longer than PagerDuty's %d characters", MaxSummary)
	case p.Source == "":
		return invalid("the event has no source")
	case !slices.Contains([]string{SeverityCritical, SeverityError, SeverityWarning, SeverityInfo}, p.Severity):
		return invalid("severity %q is not critical, error, warning or info", p.Severity)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return bot.Errorf(bot.EInvalid, "sccbot built a PagerDuty event it cannot send: "+format, args...)
}

// checkKey validates the routing key without ever quoting it.
func checkKey(key string) error {
	switch n := utf8.RuneCountInString(key); {
	case n == 0:
		return bot.Errorf(bot.EInvalid, "PagerDuty is not set up: PAGERDUTY_ROUTING_KEY is empty")
	case n != RoutingKeyLength:
		return bot.Errorf(bot.EInvalid, "the PagerDuty routing key (PAGERDUTY_ROUTING_KEY) has %d characters; "+
			"an Events API v2 integration key has %d", n, RoutingKeyLength)
	}
	return nil
}

// String describes the event for logs: its action and dedup key, not its
// free text.
func (e Event) String() string {
	return fmt.Sprintf("pagerduty %s event (dedup key %q)", e.Action, cut(e.DedupKey, 80))
}

// GoString keeps %#v from printing fields: wireEvent embeds Event, so this
// and String are what any formatting of a request body shows, and the
// routing key stays out of a careless log line.
func (e Event) GoString() string { return e.String() }
