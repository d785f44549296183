package pagerdutyfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"
)

// PagerDuty's limits.
const (
	maxBody       = 512 * 1024
	keyLength     = 32
	maxDedupKey   = 255
	maxSummary    = 1024
	invalidStatus = "invalid event"
	invalidMsg    = "Event object is invalid"
)

// event is the part of a request the fake validates and keeps.
type event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *payload `json:"payload"`
}

type payload struct {
	Summary  string `json:"summary"`
	Source   string `json:"source"`
	Severity string `json:"severity"`
}

type answerBody struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

// answer decides the status, headers and body of one request.
func (s *Server) answer(r *http.Request, body []byte, fault *Response) (int, http.Header, []byte) {
	switch {
	case r.URL.Path != Path:
		return http.StatusNotFound, http.Header{"Content-Type": {"text/plain"}}, []byte("Not Found")
	case r.Method != http.MethodPost:
		return http.StatusMethodNotAllowed, http.Header{"Allow": {http.MethodPost}, "Content-Type": {"text/plain"}},
			[]byte("Method Not Allowed")
	case fault != nil:
		return fault.Status, fault.Header, faultBody(*fault)
	}
	e, errs := s.validate(body)
	if len(errs) > 0 {
		return http.StatusBadRequest, nil, encode(answerBody{Status: invalidStatus, Message: invalidMsg, Errors: errs})
	}
	key := s.apply(e, body)
	return http.StatusAccepted, nil, encode(answerBody{Status: "success", Message: "Event processed", DedupKey: key})
}

func faultBody(r Response) []byte {
	switch {
	case r.Body != "":
		return []byte(r.Body)
	case r.Status == http.StatusTooManyRequests:
		return encode(answerBody{Status: "throttle event", Message: "Requests for this service are arriving too quickly. Please retry later."})
	case r.Status == http.StatusBadRequest:
		return encode(answerBody{Status: invalidStatus, Message: invalidMsg, Errors: []string{"injected"}})
	}
	return []byte(http.StatusText(r.Status))
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("pagerdutyfake: encode answer: %v", err))
	}
	return b
}

// validate lists every problem PagerDuty would report, as it does.
func (s *Server) validate(body []byte) (event, []string) {
	if len(body) > maxBody {
		return event{}, []string{"Event object is larger than 512 KB"}
	}
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		return event{}, []string{"Event object is not valid JSON"}
	}
	errs := s.keyErrors(e.RoutingKey)
	switch e.EventAction {
	case "":
		errs = append(errs, "'event_action' is missing or blank")
	case "trigger":
		errs = append(errs, payloadErrors(e.Payload)...)
	case "acknowledge", "resolve":
		if e.DedupKey == "" {
			errs = append(errs, "'dedup_key' is missing or blank")
		}
	default:
		errs = append(errs, "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
	}
	if utf8.RuneCountInString(e.DedupKey) > maxDedupKey {
		errs = append(errs, fmt.Sprintf("Length of 'dedup_key' is too long (maximum is %d characters)", maxDedupKey))
	}
	return e, errs
}

func (s *Server) keyErrors(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case key == "":
		return []string{"'routing_key' is missing or blank"}
	case utf8.RuneCountInString(key) != keyLength:
		return []string{fmt.Sprintf("Length of 'routing_key' is incorrect (should be %d characters)", keyLength)}
	case len(s.keys) > 0 && !s.keys[key]:
		return []string{"Invalid routing key"}
	}
	return nil
}

func payloadErrors(p *payload) []string {
	if p == nil {
		return []string{"'payload' is missing or blank"}
	}
	var errs []string
	switch n := utf8.RuneCountInString(p.Summary); {
	case n == 0:
		errs = append(errs, "'payload.summary' is missing or blank")
	case n > maxSummary:
		errs = append(errs, fmt.Sprintf("Length of 'payload.summary' is too long (maximum is %d characters)", maxSummary))
	}
	if p.Source == "" {
		errs = append(errs, "'payload.source' is missing or blank")
	}
	switch {
	case p.Severity == "":
		errs = append(errs, "'payload.severity' is missing or blank")
	case !slices.Contains([]string{"critical", "error", "warning", "info"}, p.Severity):
		errs = append(errs, "'payload.severity' is invalid (must be one of: critical, error, warning, info)")
	}
	return errs
}

// apply changes the alerts and returns the event's dedup key (generated
// for a trigger without one). Acknowledge and resolve events for a key
// with no open alert are accepted and dropped, as PagerDuty does.
func (s *Server) apply(e event, body []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := e.DedupKey
	if key == "" {
		s.generated++
		key = fmt.Sprintf("%032x", s.generated)
	}
	in := s.openLocked(e.RoutingKey, key)
	switch {
	case in == nil && e.EventAction != "trigger":
		return key
	case in == nil:
		in = &Incident{RoutingKey: e.RoutingKey, DedupKey: key, Status: StatusTriggered,
			Summary: e.Payload.Summary, Severity: e.Payload.Severity, Source: e.Payload.Source}
		s.incidents = append(s.incidents, in)
	}
	switch e.EventAction {
	case "trigger":
		// A trigger on an acknowledged alert leaves it acknowledged: it
		// adds to the alert's log and notifies nobody.
		in.Triggers++
	case "acknowledge":
		in.Status = StatusAcknowledged
	case "resolve":
		in.Status = StatusResolved
	}
	in.Actions = append(in.Actions, e.EventAction)
	in.Events = append(in.Events, bytes.Clone(body))
	return key
}

// openLocked finds the open alert of a routing key and dedup key: events
// only reach an alert through the key that triggered it.
func (s *Server) openLocked(routingKey, dedupKey string) *Incident {
	for _, in := range slices.Backward(s.incidents) {
		if in.RoutingKey == routingKey && in.DedupKey == dedupKey && in.Status != StatusResolved {
			return in
		}
	}
	return nil
}
