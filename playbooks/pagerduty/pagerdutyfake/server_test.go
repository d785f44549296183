package pagerdutyfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const key = "0123456789abcdef0123456789abcdef"

func post(t *testing.T, s *Server, body string) (int, http.Header, string) {
	t.Helper()
	resp, err := s.Client().Post(s.URL(), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func trigger(dedup, summary string) string {
	b, _ := json.Marshal(map[string]any{"routing_key": key, "event_action": "trigger", "dedup_key": dedup,
		"payload": map[string]string{"summary": summary, "source": "host", "severity": "error"}})
	return string(b)
}

func action(a, dedup string) string {
	return `{"routing_key":"` + key + `","event_action":"` + a + `","dedup_key":"` + dedup + `"}`
}

// TestValidation: invalid events get PagerDuty's 400 body listing every
// problem.
func TestValidation(t *testing.T) {
	s := New()
	defer s.Close()
	tests := []struct{ body, errs string }{
		{`not json`, `["Event object is not valid JSON"]`},
		{`{}`, `["'routing_key' is missing or blank","'event_action' is missing or blank"]`},
		{`{"routing_key":"short","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`,
			`["Length of 'routing_key' is incorrect (should be 32 characters)"]`},
		{`{"routing_key":"` + key + `","event_action":"page"}`,
			`["'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"]`},
		{`{"routing_key":"` + key + `","event_action":"trigger"}`, `["'payload' is missing or blank"]`},
		{`{"routing_key":"` + key + `","event_action":"trigger","payload":{"severity":"high"}}`,
			`["'payload.summary' is missing or blank","'payload.source' is missing or blank",` +
				`"'payload.severity' is invalid (must be one of: critical, error, warning, info)"]`},
		{`{"routing_key":"` + key + `","event_action":"trigger","payload":{"summary":"` + strings.Repeat("s", 1025) +
			`","source":"h","severity":"info"}}`, `["Length of 'payload.summary' is too long (maximum is 1024 characters)"]`},
		{`{"routing_key":"` + key + `","event_action":"resolve"}`, `["'dedup_key' is missing or blank"]`},
		{action("resolve", strings.Repeat("k", 256)), `["Length of 'dedup_key' is too long (maximum is 255 characters)"]`},
	}
	for _, tt := range tests {
		status, _, body := post(t, s, tt.body)
		want := `{"status":"invalid event","message":"Event object is invalid","errors":` + tt.errs + `}`
		if status != http.StatusBadRequest || body != want {
			t.Errorf("%.60s: %d %s\nwant 400 %s", tt.body, status, body, want)
		}
	}
	if len(s.Incidents()) != 0 {
		t.Errorf("invalid events made alerts: %+v", s.Incidents())
	}
}

// TestDedup: triggers merge into the open alert, acknowledge and resolve
// change it, events for closed alerts are accepted and dropped, and a
// trigger after resolve opens a new alert.
func TestDedup(t *testing.T) {
	s := New()
	defer s.Close()
	steps := []string{trigger("k1", "first"), trigger("k1", "second"), action("acknowledge", "k1"),
		trigger("k1", "third"), action("resolve", "k1"), action("resolve", "k1"), action("acknowledge", "nope"),
		trigger("k1", "again")}
	for _, b := range steps {
		status, _, body := post(t, s, b)
		if status != http.StatusAccepted || !strings.Contains(body, `"status":"success","message":"Event processed","dedup_key":"k`) &&
			!strings.Contains(body, `"dedup_key":"nope"`) {
			t.Fatalf("%s: %d %s", b, status, body)
		}
	}
	var got []Incident
	for _, in := range s.Incidents() {
		in.Events = nil
		got = append(got, in)
	}
	want := []Incident{
		{RoutingKey: key, DedupKey: "k1", Status: StatusResolved, Summary: "first", Severity: "error", Source: "host",
			Triggers: 3, Actions: []string{"trigger", "trigger", "acknowledge", "trigger", "resolve"}},
		{RoutingKey: key, DedupKey: "k1", Status: StatusTriggered, Summary: "again", Severity: "error", Source: "host",
			Triggers: 1, Actions: []string{"trigger"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("incidents (-want +got):\n%s", diff)
	}
}

// TestGeneratedKeyAndRoutingScope: a trigger without a key gets one; a
// resolve through another routing key does not touch the alert.
func TestGeneratedKeyAndRoutingScope(t *testing.T) {
	s := New()
	defer s.Close()
	_, _, body := post(t, s, `{"routing_key":"`+key+`","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`)
	var ans struct {
		DedupKey string `json:"dedup_key"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil || len(ans.DedupKey) != 32 {
		t.Fatalf("answer %s: want a generated 32-character key", body)
	}
	other := strings.Replace(action("resolve", ans.DedupKey), key, strings.Repeat("z", 32), 1)
	post(t, s, other)
	if in := s.Incidents(); len(in) != 1 || in[0].Status != StatusTriggered {
		t.Errorf("incidents = %+v, want the alert still triggered", in)
	}
}

// TestKnownKeys: with WithRoutingKeys, another well-formed key is refused.
func TestKnownKeys(t *testing.T) {
	s := New(WithRoutingKeys(DemoRoutingKey))
	defer s.Close()
	status, _, body := post(t, s, trigger("k", "s"))
	if status != http.StatusBadRequest || !strings.Contains(body, `"errors":["Invalid routing key"]`) {
		t.Errorf("%d %s", status, body)
	}
	if len(DemoRoutingKey) != 32 {
		t.Errorf("DemoRoutingKey has %d characters", len(DemoRoutingKey))
	}
}

// TestInjectionAndRecording: injected answers come first, in order, and
// every call is recorded with the status it got.
func TestInjectionAndRecording(t *testing.T) {
	s := New()
	defer s.Close()
	s.FailNext(1, Response{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3"}}})
	s.FailNext(1, Response{Status: http.StatusBadGateway})
	status, header, body := post(t, s, trigger("k", "s"))
	if status != 429 || header.Get("Retry-After") != "3" || !strings.Contains(body, "throttle event") {
		t.Errorf("first: %d %v %s", status, header, body)
	}
	if status, _, _ := post(t, s, trigger("k", "s")); status != 502 {
		t.Errorf("second: %d", status)
	}
	if status, _, _ := post(t, s, trigger("k", "s")); status != 202 {
		t.Errorf("third: %d", status)
	}
	var statuses []int
	for _, c := range s.Calls() {
		statuses = append(statuses, c.Status)
		if c.Method != http.MethodPost || c.Path != Path || c.ContentType != "application/json" || c.Body == nil {
			t.Errorf("call = %+v", c)
		}
	}
	if diff := cmp.Diff([]int{429, 502, 202}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := len(s.Incidents()); n != 1 {
		t.Errorf("%d alerts, want 1 (failed calls change nothing)", n)
	}
}

func TestWrongPathAndMethod(t *testing.T) {
	s := New()
	defer s.Close()
	resp, err := s.Client().Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	resp, err = s.Client().Post(strings.TrimSuffix(s.URL(), Path)+"/v1/enqueue", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("wrong path: %d", resp.StatusCode)
	}
}
