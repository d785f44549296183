package slackfake

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"
)

// fault is an injected answer for the next n calls of a method.
type fault struct {
	n      int
	result apiResult
}

type faults struct {
	before  map[string][]*fault // answered instead of the method
	after   map[string][]*fault // answered after the method took effect
	latency map[string]time.Duration
	buckets map[string]*bucket       // chat.postMessage rate, per channel
	hold    map[string]chan struct{} // HoldAnswers gates, by method
	held    map[string]int
}

func newFaults() faults {
	return faults{
		before:  map[string][]*fault{},
		after:   map[string][]*fault{},
		latency: map[string]time.Duration{},
		buckets: map[string]*bucket{},
		hold:    map[string]chan struct{}{},
		held:    map[string]int{},
	}
}

// take spends one use of the oldest fault queued for the method.
func take(queue map[string][]*fault, method string) (apiResult, bool) {
	q := queue[method]
	if len(q) == 0 {
		return apiResult{}, false
	}
	f := q[0]
	if f.n--; f.n <= 0 {
		queue[method] = q[1:]
	}
	return cloneResult(f.result), true
}

func (f *faults) beforeMethod(method string) (apiResult, bool) { return take(f.before, method) }

// afterMethod applies only when the method succeeded: the point of these
// faults is a change that happened although the caller saw a failure.
func (f *faults) afterMethod(method string, res apiResult) (apiResult, bool) {
	if !res.ok() {
		return apiResult{}, false
	}
	return take(f.after, method)
}

func cloneResult(r apiResult) apiResult {
	if r.body != nil {
		body := make(map[string]any, len(r.body))
		for k, v := range r.body {
			body[k] = v
		}
		r.body = body
	}
	return r
}

func (s *Server) queueFault(queue map[string][]*fault, method string, n int, res apiResult) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	queue[method] = append(queue[method], &fault{n: n, result: res})
}

// RateLimitNext answers the next n calls of method with HTTP 429,
// {"ok":false,"error":"ratelimited"} and Retry-After: retryAfter in whole
// seconds, rounded up and at least 1. A negative retryAfter omits the
// header (slack-go then returns a StatusCodeError, not a RateLimitedError).
// The call has no effect. Faults queued for a method apply in order.
func (s *Server) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.queueFault(s.faults.before, method, n, rateLimitedResult(retryAfter))
}

// FailNext answers the next n calls of method with the HTTP status (for
// example 500 or 503) and an HTML page, as Slack's front end does in an
// outage. The call has no effect: nothing is stored.
func (s *Server) FailNext(method string, n int, status int) {
	s.queueFault(s.faults.before, method, n, htmlResult(status))
}

// FailNextAfterStore lets the next n successful calls of method take effect
// (the message is stored, the update applied) but answers them with the
// HTTP status and an HTML page: Slack's ambiguous failure, after which a
// blind retry posts twice.
func (s *Server) FailNextAfterStore(method string, n int, status int) {
	s.queueFault(s.faults.after, method, n, htmlResult(status))
}

// ErrorNext answers the next n calls of method with HTTP 200 and
// {"ok":false,"error":code}, for example "internal_error", "fatal_error" or
// "channel_not_found". The call has no effect.
func (s *Server) ErrorNext(method string, n int, code string) {
	s.queueFault(s.faults.before, method, n, failResult(code))
}

// SetLatency delays every later call of method by d (real time) before it
// is handled. The call is handled even if the client gives up waiting, as
// Slack would. Zero removes the delay.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency[method] = d
}

// ResetFaults drops every queued fault and latency. The posting rate limit
// stays.
func (s *Server) ResetFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.before = map[string][]*fault{}
	s.faults.after = map[string][]*fault{}
	s.faults.latency = map[string]time.Duration{}
}

func rateLimitedResult(retryAfter time.Duration) apiResult {
	res := failResult("ratelimited")
	res.status = http.StatusTooManyRequests
	if retryAfter >= 0 {
		res.retryAfter = max(1, int(math.Ceil(retryAfter.Seconds())))
	}
	return res
}

func htmlResult(status int) apiResult {
	text := http.StatusText(status)
	return apiResult{
		status: status,
		html:   fmt.Sprintf("<html><head><title>%d %s</title></head><body><h1>%d %s</h1></body></html>\n", status, text, status, text),
	}
}

// bucket is a token bucket for one channel's chat.postMessage.
type bucket struct {
	tokens float64
	last   time.Time
}

// postRateLimited applies WithPostRate to chat.postMessage (per channel)
// and WithUpdateRate to chat.update (per workspace, Tier 3). The caller
// holds mu.
func (s *Server) postRateLimited(req *apiRequest) (apiResult, bool) {
	var key string
	var interval time.Duration
	var burst float64
	switch req.method {
	case "chat.postMessage":
		interval, burst = s.cfg.postInterval, float64(s.cfg.postBurst)
		if interval <= 0 {
			return apiResult{}, false
		}
		ch, ok := s.resolveChannel(req.get("channel"))
		if !ok {
			return apiResult{}, false // the method answers channel_not_found
		}
		key = ch
	case "chat.update":
		interval, burst = s.cfg.updateInterval, float64(s.cfg.updateBurst)
		key = "\x00chat.update"
	}
	if interval <= 0 {
		return apiResult{}, false
	}
	now := s.now()
	b := s.faults.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		s.faults.buckets[key] = b
	}
	elapsed := max(0, now.Sub(b.last))
	b.tokens = min(burst, b.tokens+float64(elapsed)/float64(interval))
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return apiResult{}, false
	}
	wait := time.Duration((1 - b.tokens) * float64(interval))
	return rateLimitedResult(wait), true
}

// HoldAnswers lets every later successful call of method take effect (the
// message is stored) but withholds the answer until release is called or
// the server closes. It is the moment between a post and the poster
// learning of it: a process killed now leaves a message on Slack that it
// never recorded. Held reports how many answers are withheld.
func (s *Server) HoldAnswers(method string) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gate := make(chan struct{})
	s.faults.hold[method] = gate
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.faults.hold[method] == gate {
				delete(s.faults.hold, method)
			}
			s.mu.Unlock()
			close(gate)
		})
	}
}

// Held returns how many answers of method are withheld by HoldAnswers.
func (s *Server) Held(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.held[method]
}

// holdAnswer blocks an answer of a call that succeeded while method is
// held. The caller does not hold mu.
func (s *Server) holdAnswer(method string, res apiResult) {
	s.mu.Lock()
	gate, ok := s.faults.hold[method]
	if !ok || !resultOK(res) {
		s.mu.Unlock()
		return
	}
	s.faults.held[method]++
	s.bump()
	s.mu.Unlock()
	select {
	case <-gate:
	case <-s.done:
	}
	s.mu.Lock()
	s.faults.held[method]--
	s.mu.Unlock()
}

// WaitHeld waits until at least n answers of method are withheld.
func (s *Server) WaitHeld(ctx context.Context, method string, n int) error {
	_, err := await(ctx, s, func() bool { return s.faults.held[method] >= n }, func() int { return s.faults.held[method] })
	return err
}

func resultOK(r apiResult) bool {
	ok, _ := r.body["ok"].(bool)
	return r.status == http.StatusOK && ok
}
