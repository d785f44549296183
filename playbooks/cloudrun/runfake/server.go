// Package runfake is an in-process fake of the Cloud Run Admin API v2
// (google.cloud.run.v2 Services, Revisions and Executions) together with
// google.longrunning.Operations, for tests and for `sccbot demo`. It speaks
// the real gRPC wire protocol, so the real cloud.google.com/go/run/apiv2
// clients talk to it unchanged, and their op.Wait works: every mutation
// returns a not-done Operation that GetOperation (or WaitOperation) then
// reports done, with the result packed in an Any.
//
// It models the rules a responder trips over: UpdateService takes the
// whole Service and checks its etag (a mismatch is Aborted); validate_only
// checks everything and changes nothing; a revision that serves traffic
// (a percentage, a tag, or LATEST when it is the latest ready revision)
// cannot be deleted (FailedPrecondition); a cancelled execution is
// completed. It records every request and can inject latency, call errors
// and failed operations per method.
package runfake

import (
	"context"
	"path"
	"sync"
	"time"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

// Server is the fake. Its zero value is not usable; call New. Start,
// Serve, Addr, ClientOptions and Close are grpcfake.Server's.
// Addr is what RUN_EMULATOR_HOST holds.
type Server struct {
	*grpcfake.Server

	mu         sync.Mutex
	services   map[string]*runpb.Service
	revisions  map[string]*runpb.Revision
	executions map[string]*runpb.Execution
	ops        map[string]*longrunningpb.Operation // finished form, by name
	opSeq      int
	calls      []string
	requests   map[string][]proto.Message
	latency    map[string]time.Duration
	faults     map[string]fault
	opFaults   map[string]opFault
	now        func() time.Time
}

type fault struct {
	code    codes.Code
	message string // "" for a generic one
	skip    int    // calls to let through first
	n       int
}

// opFault makes the operations of a mutation finish with an error.
type opFault struct {
	code    codes.Code
	message string
	n       int
}

// New returns a fake with no resources. Start or Serve it.
func New() *Server {
	s := &Server{
		services:   map[string]*runpb.Service{},
		revisions:  map[string]*runpb.Revision{},
		executions: map[string]*runpb.Execution{},
		ops:        map[string]*longrunningpb.Operation{},
		requests:   map[string][]proto.Message{},
		latency:    map[string]time.Duration{},
		faults:     map[string]fault{},
		opFaults:   map[string]opFault{},
		now:        time.Now,
	}
	g := grpc.NewServer(grpc.UnaryInterceptor(s.intercept))
	runpb.RegisterServicesServer(g, &servicesServer{s: s})
	runpb.RegisterRevisionsServer(g, &revisionsServer{s: s})
	runpb.RegisterExecutionsServer(g, &executionsServer{s: s})
	longrunningpb.RegisterOperationsServer(g, &operationsServer{s: s})
	s.Server = grpcfake.New(g)
	return s
}

// SetClock replaces the clock used for update, delete and completion times.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetLatency delays every later call of method (e.g. "UpdateService",
// "GetOperation") by d, or until the caller gives up.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[method] = d
}

// FailNext makes the next n calls of method fail with code, before the
// call has any effect.
func (s *Server) FailNext(method string, code codes.Code, n int) { s.FailAfter(method, 0, code, n) }

// FailAfter lets the next skip calls of method through and makes the n
// calls after them fail with code.
func (s *Server) FailAfter(method string, skip int, code codes.Code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = fault{code: code, skip: skip, n: n}
}

// FailNextWithMessage is FailNext with Cloud Run's message, for errors
// whose text matters (e.g. a PermissionDenied about actAs).
func (s *Server) FailNextWithMessage(method string, code codes.Code, message string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = fault{code: code, message: message, n: n}
}

// FailNextOperation makes the operations started by the next n calls of
// method ("UpdateService", "DeleteRevision", "CancelExecution") finish
// with code and message instead of making the change: the call itself
// succeeds, and the error shows when the operation is polled, as when
// Cloud Run accepts a request and then fails to carry it out.
func (s *Server) FailNextOperation(method string, code codes.Code, message string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opFaults[method] = opFault{code: code, message: message, n: n}
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

// Calls returns the methods called, in the order received, across all
// four APIs: e.g. GetService, ListRevisions, UpdateService, GetOperation.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// ResetCalls forgets the calls and requests received so far, so that a
// test can look at what one step did.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.requests = map[string][]proto.Message{}
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
	s.calls = append(s.calls, method)
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
	if f.message != "" {
		return s.latency[method], status.Error(f.code, f.message)
	}
	return s.latency[method], status.Errorf(f.code, "runfake: injected %s for %s", f.code, method)
}
