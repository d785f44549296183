package ownersfake

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/resourcemanager/apiv3/resourcemanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// projectsService serves google.cloud.resourcemanager.v3.Projects.
type projectsService struct {
	resourcemanagerpb.UnimplementedProjectsServer
	s *Server
}

// SetPolicy stores a copy of p as the IAM policy of the resource (a name
// or alias; an unknown name becomes a root resource).
func (s *Server) SetPolicy(resource string, p *iampb.Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resourceLocked(resource).policy = proto.CloneOf(p)
}

// GetIamPolicy returns the project's policy. Like IAM, it accepts
// requested versions 0, 1 and 3; below 3 a conditional binding comes back
// without its condition and with its role renamed role_withcond_<hash>, so
// that a caller that did not ask for version 3 cannot mistake it for an
// unconditional grant. An unknown project is PermissionDenied, as Google
// answers when the caller cannot see it.
func (p projectsService) GetIamPolicy(_ context.Context, req *iampb.GetIamPolicyRequest) (*iampb.Policy, error) {
	kind, id, ok := strings.Cut(req.GetResource(), "/")
	if !ok || kind != "projects" || id == "" || strings.Contains(id, "/") {
		return nil, status.Errorf(codes.InvalidArgument, "resource must be projects/{project}, got %q", req.GetResource())
	}
	version := req.GetOptions().GetRequestedPolicyVersion()
	if version != 0 && version != 1 && version != 3 {
		return nil, status.Errorf(codes.InvalidArgument, "invalid requested_policy_version %d: use 1 or 3", version)
	}
	policy, ok := p.s.policy(req.GetResource())
	if !ok {
		return nil, status.Error(codes.PermissionDenied, "The caller does not have permission")
	}
	return versioned(policy, version), nil
}

func (s *Server) policy(resource string) (*iampb.Policy, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, ok := s.lookupLocked(resource)
	if !ok {
		return nil, false
	}
	if r.policy == nil {
		return &iampb.Policy{Version: 1, Etag: []byte("BwYAAAAAAAA=")}, true
	}
	return proto.CloneOf(r.policy), true
}

// versioned shapes a copy of the stored policy for the requested version.
func versioned(p *iampb.Policy, requested int32) *iampb.Policy {
	conditional := false
	for _, b := range p.GetBindings() {
		conditional = conditional || b.GetCondition() != nil
	}
	switch {
	case !conditional:
		p.Version = 1
	case requested == 3:
		p.Version = 3
	default:
		p.Version = 1
		for _, b := range p.GetBindings() {
			if c := b.GetCondition(); c != nil {
				h := fnv.New64a()
				h.Write([]byte(c.GetExpression()))
				b.Role = fmt.Sprintf("%s_withcond_%016x", b.GetRole(), h.Sum64())
				b.Condition = nil
			}
		}
	}
	return p
}
