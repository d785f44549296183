// Package sccfake is an in-process fake of the Security Command Center v2
// gRPC API, for tests and for `sccbot demo`. It speaks the real wire
// protocol, so the real cloud.google.com/go/securitycenter/apiv2 client
// talks to it unchanged. It serves ListFindings (with a filter subset that
// rejects what it does not understand), SetMute, SetFindingState and
// UpdateSecurityMarks, records every request, and can inject latency and
// errors per method. It also carries realistic seed notifications.
package sccfake

import (
	"context"
	"path"
	"sync"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

// Server is the fake. Its zero value is not usable; call New. Start,
// Serve, Addr, ClientOptions and Close are grpcfake.Server's.
type Server struct {
	securitycenterpb.UnimplementedSecurityCenterServer

	*grpcfake.Server

	mu       sync.Mutex
	findings map[string]*entry // by normalized finding name
	requests map[string][]proto.Message
	latency  map[string]time.Duration
	faults   map[string]fault
	now      func() time.Time
}

type entry struct {
	f *securitycenterpb.Finding
	r *securitycenterpb.Resource
}

type fault struct {
	code codes.Code
	skip int // calls to let through first
	n    int
}

// New returns a fake with no findings. Start or Serve it.
func New() *Server {
	s := &Server{
		findings: map[string]*entry{},
		requests: map[string][]proto.Message{},
		latency:  map[string]time.Duration{},
		faults:   map[string]fault{},
		now:      time.Now,
	}
	g := grpc.NewServer(grpc.UnaryInterceptor(s.intercept))
	securitycenterpb.RegisterSecurityCenterServer(g, s)
	s.Server = grpcfake.New(g)
	return s
}

// SetClock replaces the clock used for mute update times.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetLatency delays every later call of method (e.g. "ListFindings") by d,
// or until the caller gives up.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[method] = d
}

// FailNext makes the next n calls of method fail with code.
func (s *Server) FailNext(method string, code codes.Code, n int) { s.FailAfter(method, 0, code, n) }

// FailAfter lets the next skip calls of method through and makes the n
// calls after them fail with code, e.g. to fail the second page of a
// listing.
func (s *Server) FailAfter(method string, skip int, code codes.Code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = fault{code: code, skip: skip, n: n}
}

// Requests returns copies of the requests received for method, oldest
// first, including those that failed.
func (s *Server) Requests(method string) []proto.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]proto.Message, len(s.requests[method]))
	for i, r := range s.requests[method] {
		out[i] = proto.Clone(r)
	}
	return out
}

// intercept records the request, then applies the method's latency and
// injected fault before the real handler runs.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo,
	handler grpc.UnaryHandler) (any, error) {
	method := path.Base(info.FullMethod)
	delay, err := s.before(method, req)
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		case <-t.C:
		}
	}
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (s *Server) before(method string, req any) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := req.(proto.Message); ok {
		s.requests[method] = append(s.requests[method], proto.Clone(m))
	}
	f := s.faults[method]
	if f.n <= 0 {
		return s.latency[method], nil
	}
	if f.skip > 0 {
		f.skip--
		s.faults[method] = f
		return s.latency[method], nil
	}
	f.n--
	s.faults[method] = f
	return s.latency[method], status.Errorf(f.code, "sccfake: injected %s for %s", f.code, method)
}

// AddFinding stores a copy of f with its resource (r may be nil), replacing
// any finding of the same name.
func (s *Server) AddFinding(f *securitycenterpb.Finding, r *securitycenterpb.Resource) {
	e := &entry{f: proto.CloneOf(f), r: proto.CloneOf(r)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.findings[normalizeName(f.GetName())] = e
}

// Finding returns a copy of the stored finding called name.
func (s *Server) Finding(name string) (*securitycenterpb.Finding, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.findings[normalizeName(name)]
	if !ok {
		return nil, false
	}
	return proto.CloneOf(e.f), true
}
