// Package loggingfake is an in-process fake of the Cloud Logging v2 gRPC
// API (google.logging.v2.LoggingServiceV2), for tests and for `sccbot
// demo`. It speaks the real wire protocol, so the real
// cloud.google.com/go/logging/apiv2 client talks to it unchanged. It serves
// ListLogEntries with resource_names scoping, a subset of the Logging query
// language that rejects what it does not understand (so a test catches a
// malformed filter), ordering by timestamp and page tokens. It records
// every request, can inject latency and errors, and carries realistic
// entries for the project's seed findings.
package loggingfake

import (
	"sync"
	"time"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

// Server is the fake. Its zero value is not usable; call New. Start,
// Serve, Addr, ClientOptions and Close are grpcfake.Server's.
type Server struct {
	loggingpb.UnimplementedLoggingServiceV2Server

	*grpcfake.Server

	mu       sync.Mutex
	entries  []*loggingpb.LogEntry
	requests []*loggingpb.ListLogEntriesRequest
	latency  time.Duration
	fault    codes.Code
	faults   int
	pageCap  int
}

// New returns a fake with no entries. Start or Serve it.
func New() *Server {
	s := &Server{}
	g := grpc.NewServer(grpc.UnaryInterceptor(grpcfake.Intercept(s.before)))
	loggingpb.RegisterLoggingServiceV2Server(g, s)
	s.Server = grpcfake.New(g)
	return s
}

// SetLatency delays every later call by d, or until the caller gives up.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetPageCap makes every page hold at most n entries (0: no cap) whatever
// the page size asked for, with a page token when more match: Cloud Logging
// returns such short pages, even empty ones, when a search runs long.
func (s *Server) SetPageCap(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageCap = n
}

func (s *Server) cappedPageSize(size int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pageCap > 0 {
		return min(size, s.pageCap)
	}
	return size
}

// FailNext makes the next n calls fail with code.
func (s *Server) FailNext(code codes.Code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.faults = code, n
}

// AddEntries stores copies of entries.
func (s *Server) AddEntries(entries ...*loggingpb.LogEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		s.entries = append(s.entries, proto.CloneOf(e))
	}
}

// Requests returns copies of the ListLogEntries requests received, oldest
// first, including those that failed.
func (s *Server) Requests() []*loggingpb.ListLogEntriesRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*loggingpb.ListLogEntriesRequest, len(s.requests))
	for i, r := range s.requests {
		out[i] = proto.CloneOf(r)
	}
	return out
}

// Filters returns the filters of the requests received, oldest first.
func (s *Server) Filters() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.GetFilter()
	}
	return out
}

// before records the request and returns the latency and any injected
// fault, for grpcfake.Intercept. Unlike grpcfake.Faults, which keys all by
// method, the fake has one latency and one fault for every method, records
// only ListLogEntries requests, and its error does not name the method.
func (s *Server) before(_ string, req any) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := req.(*loggingpb.ListLogEntriesRequest); ok {
		s.requests = append(s.requests, proto.CloneOf(r))
	}
	if s.faults <= 0 {
		return s.latency, nil
	}
	s.faults--
	return s.latency, status.Errorf(s.fault, "loggingfake: injected %s", s.fault)
}
