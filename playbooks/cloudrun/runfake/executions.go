package runfake

import (
	"context"
	"strings"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type executionsServer struct {
	runpb.UnimplementedExecutionsServer
	s *Server
}

// GetExecution returns a stored execution.
func (v *executionsServer) GetExecution(_ context.Context, req *runpb.GetExecutionRequest) (*runpb.Execution, error) {
	s := v.s
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.executions[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "execution %q not found", req.GetName())
	}
	return proto.CloneOf(e), nil
}

// ListExecutions lists a job's executions by name. A job the fake knows
// no execution of lists empty.
func (v *executionsServer) ListExecutions(_ context.Context, req *runpb.ListExecutionsRequest) (*runpb.ListExecutionsResponse, error) {
	if !validName(req.GetParent(), "jobs") {
		return nil, status.Errorf(codes.InvalidArgument, "invalid parent %q", req.GetParent())
	}
	s := v.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*runpb.Execution
	for _, e := range s.sortedExecutionsLocked() {
		if strings.HasPrefix(e.GetName(), req.GetParent()+"/executions/") {
			all = append(all, proto.CloneOf(e))
		}
	}
	start, end, next, err := page(len(all), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &runpb.ListExecutionsResponse{Executions: all[start:end], NextPageToken: next}, nil
}

func (s *Server) sortedExecutionsLocked() []*runpb.Execution {
	out := make([]*runpb.Execution, 0, len(s.executions))
	for _, e := range s.executions {
		out = append(out, e)
	}
	sortByName(out)
	return out
}

// CancelExecution stops a running execution: its running tasks become
// cancelled and it completes. One that already completed cannot be
// cancelled (FailedPrecondition).
func (v *executionsServer) CancelExecution(_ context.Context, req *runpb.CancelExecutionRequest) (*longrunningpb.Operation, error) {
	s := v.s
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.executions[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "execution %q not found", req.GetName())
	}
	if req.GetEtag() != "" && req.GetEtag() != e.GetEtag() {
		return nil, status.Errorf(codes.Aborted, "etag mismatch: execution %s was modified", short(e.GetName()))
	}
	if e.GetCompletionTime() != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "execution %s has already completed", short(e.GetName()))
	}
	loc := locationOf(e.GetName())
	if f, ok := s.takeOpFaultLocked("CancelExecution"); ok {
		return s.failOpLocked(loc, e, f)
	}
	if req.GetValidateOnly() {
		return s.startOpLocked(loc, e)
	}
	s.cancelLocked(e)
	return s.startOpLocked(loc, proto.CloneOf(e))
}

func (s *Server) cancelLocked(e *runpb.Execution) {
	now := timestamppb.New(s.now())
	e.CancelledCount += e.GetRunningCount()
	e.RunningCount = 0
	e.Reconciling = false
	e.CompletionTime = now
	e.Generation++
	e.Etag = executionEtag(e)
	e.Conditions = []*runpb.Condition{{Type: conditionCompleted, State: runpb.Condition_CONDITION_FAILED,
		Message: "The execution was cancelled.", LastTransitionTime: now,
		Reasons: &runpb.Condition_ExecutionReason_{ExecutionReason: runpb.Condition_CANCELLED}}}
}
