package ownersfake

import (
	"context"
	"slices"
	"strings"

	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestIamPermissions answers like Resource Manager: the subset of the asked
// permissions the caller holds on the project (all of them, unless
// DenyPermissions took some away), PermissionDenied for a project the
// caller cannot see.
func (p projectsService) TestIamPermissions(_ context.Context, req *iampb.TestIamPermissionsRequest) (*iampb.TestIamPermissionsResponse, error) {
	kind, id, ok := strings.Cut(req.GetResource(), "/")
	if !ok || kind != "projects" || id == "" || strings.Contains(id, "/") {
		return nil, status.Errorf(codes.InvalidArgument, "resource must be projects/{project}, got %q", req.GetResource())
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	name, _, ok := p.s.lookupLocked(req.GetResource())
	if !ok {
		return nil, status.Error(codes.PermissionDenied, "The caller does not have permission")
	}
	resp := &iampb.TestIamPermissionsResponse{}
	for _, perm := range req.GetPermissions() {
		if !slices.Contains(p.s.denied[name], perm) {
			resp.Permissions = append(resp.Permissions, perm)
		}
	}
	return resp, nil
}

// DenyPermissions takes permissions on a project away from the caller.
func (s *Server) DenyPermissions(project string, permissions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, _, _ := s.lookupLocked(project)
	if s.denied == nil {
		s.denied = map[string][]string{}
	}
	s.denied[name] = append(s.denied[name], permissions...)
}
