package runfake

import (
	"context"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type servicesServer struct {
	runpb.UnimplementedServicesServer
	s *Server
}

// GetService returns a stored service.
func (v *servicesServer) GetService(_ context.Context, req *runpb.GetServiceRequest) (*runpb.Service, error) {
	s := v.s
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Resource '%s' of kind 'SERVICE' in region '%s' in project '%s' does not exist.",
			short(req.GetName()), short(locationOf(req.GetName())), project(req.GetName()))
	}
	return proto.CloneOf(svc), nil
}

// UpdateService replaces the service with the one in the request: the
// whole Service, output-only fields aside. A changed template would make
// Cloud Run create a revision; the fake does not model that and refuses.
func (v *servicesServer) UpdateService(_ context.Context, req *runpb.UpdateServiceRequest) (*longrunningpb.Operation, error) {
	s := v.s
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, next, err := s.nextServiceLocked(req)
	if err != nil {
		return nil, err
	}
	loc := locationOf(cur.GetName())
	if f, ok := s.takeOpFaultLocked("UpdateService"); ok {
		return s.failOpLocked(loc, cur, f)
	}
	if req.GetValidateOnly() {
		return s.startOpLocked(loc, next)
	}
	s.services[cur.GetName()] = next
	s.refreshLocked(cur.GetName())
	return s.startOpLocked(loc, proto.CloneOf(next))
}

// nextServiceLocked checks an update and returns the stored service and
// what it would become.
func (s *Server) nextServiceLocked(req *runpb.UpdateServiceRequest) (cur, next *runpb.Service, err error) {
	in := req.GetService()
	if in == nil {
		return nil, nil, status.Error(codes.InvalidArgument, "service is required")
	}
	if len(req.GetUpdateMask().GetPaths()) > 0 {
		// Whether Cloud Run honours update_mask is not established, so
		// the fake does not pretend to.
		return nil, nil, status.Error(codes.Unimplemented, "runfake: update_mask is not modeled; send the whole service")
	}
	cur, ok := s.services[in.GetName()]
	if !ok {
		if req.GetAllowMissing() {
			return nil, nil, status.Error(codes.Unimplemented, "runfake: allow_missing (create on update) is not modeled")
		}
		return nil, nil, status.Errorf(codes.NotFound, "service %q not found", in.GetName())
	}
	if in.GetEtag() != "" && in.GetEtag() != cur.GetEtag() {
		return nil, nil, status.Errorf(codes.Aborted, "etag mismatch: service %s was modified (have %s, got %s)",
			short(cur.GetName()), cur.GetEtag(), in.GetEtag())
	}
	if in.GetTemplate() == nil {
		return nil, nil, status.Error(codes.InvalidArgument, "service.template is required")
	}
	if !proto.Equal(in.GetTemplate(), cur.GetTemplate()) {
		return nil, nil, status.Error(codes.Unimplemented, "runfake: template changes create a revision; not modeled")
	}
	if err := s.checkTrafficLocked(cur.GetName(), in.GetTraffic()); err != nil {
		return nil, nil, err
	}
	next = proto.CloneOf(in)
	keepOutputOnly(next, cur)
	next.Generation = cur.GetGeneration() + 1
	next.Etag = serviceEtag(next.GetGeneration())
	next.UpdateTime = timestamppb.New(s.now())
	next.TrafficStatuses = trafficStatuses(next)
	return cur, next, nil
}

// keepOutputOnly copies the fields Cloud Run ignores in an update.
func keepOutputOnly(next, cur *runpb.Service) {
	next.Name, next.Uid, next.Creator = cur.GetName(), cur.GetUid(), cur.GetCreator()
	next.CreateTime, next.DeleteTime, next.ExpireTime = cur.GetCreateTime(), cur.GetDeleteTime(), cur.GetExpireTime()
	next.LastModifier, next.ObservedGeneration = cur.GetLastModifier(), cur.GetObservedGeneration()
	next.TerminalCondition, next.Conditions = cur.GetTerminalCondition(), cur.GetConditions()
	next.LatestReadyRevision, next.LatestCreatedRevision = cur.GetLatestReadyRevision(), cur.GetLatestCreatedRevision()
	next.Uri, next.Urls, next.SatisfiesPzs = cur.GetUri(), cur.GetUrls(), cur.GetSatisfiesPzs()
	next.Reconciling = false
}

// checkTrafficLocked applies Cloud Run's traffic rules: known types,
// revisions that exist and are ready, unique tags, shares that add up to
// 100. No traffic at all is allowed and means 100% to LATEST.
func (s *Server) checkTrafficLocked(service string, traffic []*runpb.TrafficTarget) error {
	if len(traffic) == 0 {
		return nil
	}
	sum, tags := int32(0), map[string]bool{}
	for _, t := range traffic {
		if err := s.checkTargetLocked(service, t); err != nil {
			return err
		}
		if t.GetTag() != "" {
			if tags[t.GetTag()] {
				return status.Errorf(codes.InvalidArgument, "traffic tag %q is used twice", t.GetTag())
			}
			tags[t.GetTag()] = true
		}
		sum += t.GetPercent()
	}
	if sum != 100 {
		return status.Errorf(codes.InvalidArgument, "traffic percentages add up to %d, not 100", sum)
	}
	return nil
}

func (s *Server) checkTargetLocked(service string, t *runpb.TrafficTarget) error {
	if t.GetPercent() < 0 || t.GetPercent() > 100 {
		return status.Errorf(codes.InvalidArgument, "traffic percent %d is out of range", t.GetPercent())
	}
	switch t.GetType() {
	case runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST:
		if t.GetRevision() != "" {
			return status.Error(codes.InvalidArgument, "a LATEST traffic target names no revision")
		}
		return nil
	case runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION:
	default:
		return status.Errorf(codes.InvalidArgument, "traffic target type %v is not allowed", t.GetType())
	}
	rev, ok := s.revisions[RevisionName(service, t.GetRevision())]
	if !ok {
		return status.Errorf(codes.InvalidArgument, "revision %q of service %q does not exist", t.GetRevision(), short(service))
	}
	if !IsReady(rev) {
		return status.Errorf(codes.FailedPrecondition, "revision %q is not ready and cannot serve traffic", t.GetRevision())
	}
	return nil
}
