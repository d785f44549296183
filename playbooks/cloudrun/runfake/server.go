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
	"sync"
	"time"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

// Server is the fake. Its zero value is not usable; call New. Start,
// Serve, Addr, ClientOptions and Close are grpcfake.Server's.
// Addr is what RUN_EMULATOR_HOST holds.
type Server struct {
	*grpcfake.Server

	faults *grpcfake.Faults // calls, requests, latency and call errors

	mu         sync.Mutex
	services   map[string]*runpb.Service
	revisions  map[string]*runpb.Revision
	executions map[string]*runpb.Execution
	ops        map[string]*longrunningpb.Operation // finished form, by name
	opSeq      int
	opFaults   map[string]opFault
	now        func() time.Time
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
		faults:     grpcfake.NewFaults("runfake"),
		services:   map[string]*runpb.Service{},
		revisions:  map[string]*runpb.Revision{},
		executions: map[string]*runpb.Execution{},
		ops:        map[string]*longrunningpb.Operation{},
		opFaults:   map[string]opFault{},
		now:        time.Now,
	}
	g := grpc.NewServer(grpc.UnaryInterceptor(s.faults.Interceptor()))
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
func (s *Server) SetLatency(method string, d time.Duration) { s.faults.SetLatency(method, d) }

// FailNext makes the next n calls of method fail with code, before the
// call has any effect.
func (s *Server) FailNext(method string, code codes.Code, n int) {
	s.faults.FailNext(method, code, n)
}

// FailAfter lets the next skip calls of method through and makes the n
// calls after them fail with code.
func (s *Server) FailAfter(method string, skip int, code codes.Code, n int) {
	s.faults.FailAfter(method, skip, code, n)
}

// FailNextWithMessage is FailNext with Cloud Run's message, for errors
// whose text matters (e.g. a PermissionDenied about actAs).
func (s *Server) FailNextWithMessage(method string, code codes.Code, message string, n int) {
	s.faults.FailNextWithMessage(method, code, message, n)
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
func (s *Server) Requests(method string) []proto.Message { return s.faults.Requests(method) }

// Calls returns the methods called, in the order received, across all
// four APIs: e.g. GetService, ListRevisions, UpdateService, GetOperation.
func (s *Server) Calls() []string { return s.faults.Calls() }

// ResetCalls forgets the calls and requests received so far, so that a
// test can look at what one step did.
func (s *Server) ResetCalls() { s.faults.Reset() }
