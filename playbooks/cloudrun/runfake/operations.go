package runfake

import (
	"context"
	"fmt"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// operationsServer serves google.longrunning.Operations on the same
// connection as the Cloud Run APIs, which is where the generated clients'
// op.Wait polls.
type operationsServer struct {
	longrunningpb.UnimplementedOperationsServer
	s *Server
}

// GetOperation reports an operation, always done: the fake makes every
// change at once, but only says so when asked, so that clients exercise
// their polling path.
func (o *operationsServer) GetOperation(_ context.Context, req *longrunningpb.GetOperationRequest) (*longrunningpb.Operation, error) {
	return o.s.operation(req.GetName())
}

// WaitOperation is GetOperation: every operation is already done.
func (o *operationsServer) WaitOperation(_ context.Context, req *longrunningpb.WaitOperationRequest) (*longrunningpb.Operation, error) {
	return o.s.operation(req.GetName())
}

func (s *Server) operation(name string) (*longrunningpb.Operation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[name]
	if !ok {
		return nil, grpcstatus.Errorf(codes.NotFound, "operation %q not found", name)
	}
	return proto.CloneOf(op), nil
}

// Operation returns the finished form of an operation the fake started,
// as GetOperation would.
func (s *Server) Operation(name string) (*longrunningpb.Operation, bool) {
	op, err := s.operation(name)
	return op, err == nil
}

// takeOpFaultLocked consumes one injected operation failure of method.
func (s *Server) takeOpFaultLocked(method string) (opFault, bool) {
	f := s.opFaults[method]
	if f.n <= 0 {
		return opFault{}, false
	}
	f.n--
	s.opFaults[method] = f
	return f, true
}

// startOpLocked stores the finished operation of a mutation in location
// (projects/P/locations/R) whose result is res, and returns the not-done
// form the mutation answers with. Cloud Run reports the resource as both
// metadata and response.
func (s *Server) startOpLocked(location string, res proto.Message) (*longrunningpb.Operation, error) {
	anyRes, err := anypb.New(res)
	if err != nil {
		return nil, grpcstatus.Errorf(codes.Internal, "runfake: pack result: %v", err)
	}
	op := s.newOpLocked(location, anyRes)
	op.Result = &longrunningpb.Operation_Response{Response: anyRes}
	return s.pendingLocked(op), nil
}

// failOpLocked stores an operation that finishes with the injected error.
func (s *Server) failOpLocked(location string, res proto.Message, f opFault) (*longrunningpb.Operation, error) {
	anyRes, err := anypb.New(res)
	if err != nil {
		return nil, grpcstatus.Errorf(codes.Internal, "runfake: pack metadata: %v", err)
	}
	op := s.newOpLocked(location, anyRes)
	op.Result = &longrunningpb.Operation_Error{Error: &status.Status{Code: int32(f.code), Message: f.message}}
	return s.pendingLocked(op), nil
}

func (s *Server) newOpLocked(location string, meta *anypb.Any) *longrunningpb.Operation {
	s.opSeq++
	name := fmt.Sprintf("%s/operations/op-%04d", location, s.opSeq)
	return &longrunningpb.Operation{Name: name, Metadata: meta, Done: true}
}

// pendingLocked records op as finished and returns its not-done form.
func (s *Server) pendingLocked(op *longrunningpb.Operation) *longrunningpb.Operation {
	s.ops[op.GetName()] = op
	return &longrunningpb.Operation{Name: op.GetName(), Metadata: proto.CloneOf(op.GetMetadata())}
}
