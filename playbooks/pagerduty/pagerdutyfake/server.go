// Package pagerdutyfake is an httptest fake of the PagerDuty Events API v2
// enqueue endpoint, for tests and for `sccbot demo`. It validates events the
// way PagerDuty documents (a 32-character routing key, the event action,
// the trigger payload's required fields and limits, the severity enum),
// answers 202 and 400 with PagerDuty's bodies, models dedup keys (a trigger
// with the key of an open alert merges into it; acknowledge and resolve
// change it; events for a closed alert are accepted and dropped), records
// every call and can inject 429 and 5xx answers and latency.
//
// PagerDuty's exact error strings are not published; the fake's follow the
// shape of real answers ("Event object is invalid" with an errors list).
package pagerdutyfake

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Path is the enqueue endpoint's path.
const Path = "/v2/enqueue"

// DemoRoutingKey is a well-formed routing key for the demo.
const DemoRoutingKey = "sccbot-demo-routing-key-00000000"

// Alert states.
const (
	StatusTriggered    = "triggered"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"
)

// Call is one request the fake received.
type Call struct {
	Method      string
	Path        string
	ContentType string
	Body        []byte
	// Status is the status the fake answered.
	Status int
}

// Incident is one alert as the fake holds it. (PagerDuty groups alerts
// into incidents; with one alert per dedup key the two are the same here.)
type Incident struct {
	RoutingKey string
	DedupKey   string
	Status     string
	// Summary, Severity and Source are the first trigger's.
	Summary  string
	Severity string
	Source   string
	// Triggers counts trigger events, the first included: more than one
	// means later pages were merged.
	Triggers int
	// Actions lists every event action applied, in order.
	Actions []string
	// Events are the bodies of the events applied, routing key included.
	Events [][]byte
}

// Response is an answer to inject.
type Response struct {
	Status int
	Header http.Header
	// Body defaults to a body like PagerDuty's for Status.
	Body string
}

// Server is the fake. Its zero value is not usable; call New.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	keys      map[string]bool
	incidents []*Incident
	calls     []Call
	faults    []Response
	latency   time.Duration
	generated int
}

// Option configures a Server.
type Option func(*Server)

// WithRoutingKeys makes the fake accept only these routing keys; others
// are refused as PagerDuty refuses an unknown integration key. By default
// any well-formed key is accepted.
func WithRoutingKeys(keys ...string) Option {
	return func(s *Server) {
		for _, k := range keys {
			s.keys[k] = true
		}
	}
}

// New starts a fake on a free port of 127.0.0.1.
func New(opts ...Option) *Server {
	s := &Server{keys: map[string]bool{}}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the full enqueue URL, for PAGERDUTY_EVENTS_URL.
func (s *Server) URL() string { return s.srv.URL + Path }

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// FailNext answers the next n enqueue requests with r (after recording
// them), e.g. Response{Status: 429, Header: {"Retry-After": {"2"}}}.
func (s *Server) FailNext(n int, r Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, r)
	}
}

// SetLatency delays every later answer by d, or until the caller gives up.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Calls returns copies of the calls received, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Body = bytes.Clone(c.Body)
		out[i] = c
	}
	return out
}

// Incidents returns copies of every alert, oldest first, resolved ones
// included.
func (s *Server) Incidents() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Incident, len(s.incidents))
	for i, in := range s.incidents {
		c := *in
		c.Actions = append([]string(nil), in.Actions...)
		c.Events = make([][]byte, len(in.Events))
		for j, e := range in.Events {
			c.Events[j] = bytes.Clone(e)
		}
		out[i] = c
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	i, fault, delay := s.record(r, body)
	if !wait(r.Context(), delay) {
		return
	}
	status, header, out := s.answer(r, body, fault)
	s.setStatus(i, status)
	for k, v := range header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// record stores the call and takes the next injected fault, if any.
func (s *Server) record(r *http.Request, body []byte) (int, *Response, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path,
		ContentType: r.Header.Get("Content-Type"), Body: bytes.Clone(body)})
	var fault *Response
	if len(s.faults) > 0 && r.URL.Path == Path {
		f := s.faults[0]
		s.faults = s.faults[1:]
		fault = &f
	}
	return len(s.calls) - 1, fault, s.latency
}

func (s *Server) setStatus(i, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[i].Status = status
}

// wait sleeps d, and reports false if the caller gave up first.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
