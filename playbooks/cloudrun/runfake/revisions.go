package runfake

import (
	"context"
	"strconv"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Listing page sizes, as in Cloud Run.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

type revisionsServer struct {
	runpb.UnimplementedRevisionsServer
	s *Server
}

// GetRevision returns a stored revision.
func (v *revisionsServer) GetRevision(_ context.Context, req *runpb.GetRevisionRequest) (*runpb.Revision, error) {
	s := v.s
	s.mu.Lock()
	defer s.mu.Unlock()
	rev, ok := s.revisions[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "revision %q not found", req.GetName())
	}
	return proto.CloneOf(rev), nil
}

// ListRevisions lists a service's revisions by name, which is not the
// order they were created in when suffixes differ: callers must sort.
func (v *revisionsServer) ListRevisions(_ context.Context, req *runpb.ListRevisionsRequest) (*runpb.ListRevisionsResponse, error) {
	s := v.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.services[req.GetParent()]; !ok {
		return nil, status.Errorf(codes.NotFound, "service %q not found", req.GetParent())
	}
	revs := s.revisionsLocked(req.GetParent())
	start, end, next, err := page(len(revs), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &runpb.ListRevisionsResponse{Revisions: revs[start:end], NextPageToken: next}, nil
}

// page returns the bounds of one page of n items and the next token.
func page(n int, size int32, token string) (start, end int, next string, err error) {
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	if token != "" {
		start, err = strconv.Atoi(token)
		if err != nil || start < 0 || start > n {
			return 0, 0, "", status.Errorf(codes.InvalidArgument, "invalid page token %q", token)
		}
	}
	end = min(start+int(size), n)
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

// DeleteRevision deletes a revision that serves no traffic. Cloud Run
// refuses to delete one that does, so traffic has to move first.
func (v *revisionsServer) DeleteRevision(_ context.Context, req *runpb.DeleteRevisionRequest) (*longrunningpb.Operation, error) {
	s := v.s
	s.mu.Lock()
	defer s.mu.Unlock()
	rev, err := s.deletableLocked(req)
	if err != nil {
		return nil, err
	}
	loc := locationOf(rev.GetName())
	if f, ok := s.takeOpFaultLocked("DeleteRevision"); ok {
		return s.failOpLocked(loc, rev, f)
	}
	if req.GetValidateOnly() {
		return s.startOpLocked(loc, rev)
	}
	delete(s.revisions, rev.GetName())
	s.refreshLocked(parent(rev.GetName()))
	gone := proto.CloneOf(rev)
	gone.DeleteTime = timestamppb.New(s.now())
	return s.startOpLocked(loc, gone)
}

func (s *Server) deletableLocked(req *runpb.DeleteRevisionRequest) (*runpb.Revision, error) {
	rev, ok := s.revisions[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "revision %q not found", req.GetName())
	}
	if req.GetEtag() != "" && req.GetEtag() != rev.GetEtag() {
		return nil, status.Errorf(codes.Aborted, "etag mismatch: revision %s was modified", short(rev.GetName()))
	}
	if s.servingLocked(rev) {
		return nil, status.Errorf(codes.FailedPrecondition,
			"Revision %s is serving traffic and cannot be deleted. Move its traffic (and tags) to other revisions first.",
			short(rev.GetName()))
	}
	return rev, nil
}
