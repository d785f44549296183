// Package sccfake is an in-process fake of the Security Command Center v2
// gRPC API, for tests and for `sccbot demo`. It speaks the real wire
// protocol, so the real cloud.google.com/go/securitycenter/apiv2 client
// talks to it unchanged. It serves ListFindings (with a filter subset that
// rejects what it does not understand), SetMute, SetFindingState,
// UpdateSecurityMarks and mute configs (create, get, list, delete, and
// MuteRuleMatches to check what a rule would mute), records every request, and can inject latency and
// errors per method. It also carries realistic seed notifications.
package sccfake

import (
	"sync"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

// Server is the fake. Its zero value is not usable; call New. Start,
// Serve, Addr, ClientOptions and Close are grpcfake.Server's.
type Server struct {
	securitycenterpb.UnimplementedSecurityCenterServer

	*grpcfake.Server

	faults *grpcfake.Faults // requests, latency and injected errors

	mu       sync.Mutex
	findings map[string]*entry // by normalized finding name
	// muteRules are the mute configs, by located name.
	muteRules map[string]*muteRule
	now       func() time.Time
}

type entry struct {
	f *securitycenterpb.Finding
	r *securitycenterpb.Resource
}

// New returns a fake with no findings. Start or Serve it.
func New() *Server {
	s := &Server{
		faults:   grpcfake.NewFaults("sccfake"),
		findings: map[string]*entry{},
		now:      time.Now,
	}
	g := grpc.NewServer(grpc.UnaryInterceptor(s.faults.Interceptor()))
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
func (s *Server) SetLatency(method string, d time.Duration) { s.faults.SetLatency(method, d) }

// FailNext makes the next n calls of method fail with code.
func (s *Server) FailNext(method string, code codes.Code, n int) {
	s.faults.FailNext(method, code, n)
}

// FailAfter lets the next skip calls of method through and makes the n
// calls after them fail with code, e.g. to fail the second page of a
// listing.
func (s *Server) FailAfter(method string, skip int, code codes.Code, n int) {
	s.faults.FailAfter(method, skip, code, n)
}

// Requests returns copies of the requests received for method, oldest
// first, including those that failed.
func (s *Server) Requests(method string) []proto.Message { return s.faults.Requests(method) }

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
