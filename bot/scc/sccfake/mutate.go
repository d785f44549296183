package sccfake

import (
	"context"
	"strings"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// SetMute sets a finding's mute state.
func (s *Server) SetMute(_ context.Context, req *securitycenterpb.SetMuteRequest) (*securitycenterpb.Finding, error) {
	switch req.GetMute() {
	case securitycenterpb.Finding_MUTED, securitycenterpb.Finding_UNMUTED, securitycenterpb.Finding_UNDEFINED:
	default:
		return nil, status.Errorf(codes.InvalidArgument, "invalid mute %v", req.GetMute())
	}
	return s.updateFinding(req.GetName(), func(f *securitycenterpb.Finding) {
		f.Mute = req.GetMute()
		f.MuteUpdateTime = timestamppb.New(s.now())
	})
}

// SetFindingState sets a finding's state.
func (s *Server) SetFindingState(_ context.Context, req *securitycenterpb.SetFindingStateRequest) (*securitycenterpb.Finding, error) {
	switch req.GetState() {
	case securitycenterpb.Finding_ACTIVE, securitycenterpb.Finding_INACTIVE:
	default:
		return nil, status.Errorf(codes.InvalidArgument, "invalid state %v", req.GetState())
	}
	return s.updateFinding(req.GetName(), func(f *securitycenterpb.Finding) { f.State = req.GetState() })
}

// updateFinding applies change to the named finding under the lock and
// returns a copy of the result.
func (s *Server) updateFinding(name string, change func(f *securitycenterpb.Finding)) (*securitycenterpb.Finding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.findings[normalizeName(name)]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "finding %q not found", name)
	}
	change(e.f)
	return proto.CloneOf(e.f), nil
}

// UpdateSecurityMarks changes a finding's marks. With an empty update mask
// (or the path "marks") the request's marks replace all marks; a path
// marks.<key> sets that key from the request, or deletes it when the
// request has no value for it.
func (s *Server) UpdateSecurityMarks(_ context.Context, req *securitycenterpb.UpdateSecurityMarksRequest) (*securitycenterpb.SecurityMarks, error) {
	sm := req.GetSecurityMarks()
	finding, ok := strings.CutSuffix(sm.GetName(), "/securityMarks")
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "security marks name %q must end with /securityMarks", sm.GetName())
	}
	paths := req.GetUpdateMask().GetPaths()
	for _, p := range paths {
		if k, ok := strings.CutPrefix(p, "marks."); p != "marks" && (!ok || k == "") {
			return nil, status.Errorf(codes.InvalidArgument, "unsupported update_mask path %q", p)
		}
	}
	var out *securitycenterpb.SecurityMarks
	_, err := s.updateFinding(finding, func(f *securitycenterpb.Finding) {
		marks := ensureMarks(f)
		applyMarks(marks, sm.GetMarks(), paths)
		out = proto.CloneOf(marks)
	})
	return out, err
}

func ensureMarks(f *securitycenterpb.Finding) *securitycenterpb.SecurityMarks {
	if f.SecurityMarks == nil {
		f.SecurityMarks = &securitycenterpb.SecurityMarks{Name: f.GetName() + "/securityMarks"}
		if f.GetCanonicalName() != "" {
			f.SecurityMarks.CanonicalName = f.GetCanonicalName() + "/securityMarks"
		}
	}
	if f.SecurityMarks.Marks == nil {
		f.SecurityMarks.Marks = map[string]string{}
	}
	return f.SecurityMarks
}

func applyMarks(marks *securitycenterpb.SecurityMarks, req map[string]string, paths []string) {
	if len(paths) == 0 || len(paths) == 1 && paths[0] == "marks" {
		marks.Marks = map[string]string{}
		for k, v := range req {
			marks.Marks[k] = v
		}
		return
	}
	for _, p := range paths {
		key := strings.TrimPrefix(p, "marks.")
		if v, ok := req[key]; ok {
			marks.Marks[key] = v
		} else {
			delete(marks.Marks, key)
		}
	}
}
