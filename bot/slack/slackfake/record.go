package slackfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Call is one recorded request: a Web API call, or a post to a response_url
// (Method "response_url", Params {"id": [id]}).
type Call struct {
	Method string
	// Params are the query and form parameters, without the token.
	Params url.Values
	// JSON is the decoded JSON body, nil for form-encoded calls.
	JSON map[string]any
	// Status is the HTTP status answered: 200, 429 or an injected failure.
	Status int
	// Error is the Slack error code answered ("" for ok), or "http_<status>"
	// for injected failures whose body is not JSON.
	Error string
	At    time.Time
}

// OK reports whether the call was answered 200 with ok true.
func (c Call) OK() bool { return c.Status == http.StatusOK && c.Error == "" }

type callRecord struct {
	method  string
	params  url.Values
	body    []byte
	status  int
	errCode string
	at      time.Time
}

// recordCall stores the call before the answer is written, so a test that
// saw the answer also sees the record. The caller holds mu.
func (s *Server) recordCall(req *apiRequest, res apiResult) {
	s.calls = append(s.calls, callRecord{
		method:  req.method,
		params:  req.form,
		body:    req.raw,
		status:  res.status,
		errCode: res.errCode(),
		at:      s.now(),
	})
	s.bump()
}

func (c callRecord) export() Call {
	out := Call{
		Method: c.method,
		Params: cloneValues(c.params),
		Status: c.status,
		Error:  c.errCode,
		At:     c.at,
	}
	// Decoding again gives every caller its own maps.
	if len(c.body) > 0 {
		_ = json.Unmarshal(c.body, &out.JSON)
	}
	return out
}

// Calls returns the recorded calls of a method in order; "" returns all.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.method == method {
			out = append(out, c.export())
		}
	}
	return out
}

func (s *Server) countCalls(method string) int {
	n := 0
	for _, c := range s.calls {
		if method == "" || c.method == method {
			n++
		}
	}
	return n
}

// Stats summarises what happened so far.
type Stats struct {
	// Calls, RateLimited (HTTP 429), Failed (other non-200 answers) and
	// Errors (200 with ok false) are keyed by method.
	Calls       map[string]int
	RateLimited map[string]int
	Failed      map[string]int
	Errors      map[string]int
	// Socket Mode: successful WebSocket upgrades, PING frames sent, PONG
	// frames received, envelopes written, acks received, client frames that
	// were not valid acks, connections refused over the app's limit of 10,
	// acks read on another connection than their envelope's (Ack.Foreign).
	Dials, Pings, Pongs, Envelopes, Acks, BadFrames, Refused, ForeignAcks int
}

// Stats returns counters for calls and the socket.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Calls:       map[string]int{},
		RateLimited: map[string]int{},
		Failed:      map[string]int{},
		Errors:      map[string]int{},
	}
	for _, c := range s.calls {
		st.Calls[c.method]++
		switch {
		case c.status == http.StatusTooManyRequests:
			st.RateLimited[c.method]++
		case c.status != http.StatusOK:
			st.Failed[c.method]++
		case c.errCode != "":
			st.Errors[c.method]++
		}
	}
	st.Dials, st.Pings, st.Pongs = s.sock.dials, s.sock.pings, s.sock.pongs
	st.Envelopes, st.Acks, st.BadFrames = len(s.sock.envelopes), len(s.sock.acks), s.sock.badFrames
	st.Refused, st.ForeignAcks = s.sock.refused, s.sock.foreignAcks
	return st
}

func cloneRaw(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

func cloneSlice[T any](in []T, clone func(T) T) []T {
	if in == nil {
		return nil
	}
	out := slices.Clone(in)
	for i := range out {
		out[i] = clone(out[i])
	}
	return out
}
