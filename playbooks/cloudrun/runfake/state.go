package runfake

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/proto"
)

// AddService stores a copy of svc, replacing any service of that name. Its
// name must be projects/P/locations/R/services/S. The fake keeps the
// fields Cloud Run computes: a missing generation becomes 1, the etag
// follows the generation, and the latest revisions and traffic statuses
// follow the service's revisions and traffic.
func (s *Server) AddService(svc *runpb.Service) error {
	if !validName(svc.GetName(), "services") {
		return fmt.Errorf("runfake: add service: bad name %q", svc.GetName())
	}
	c := proto.CloneOf(svc)
	if c.Generation == 0 {
		c.Generation = 1
	}
	c.Etag = serviceEtag(c.GetGeneration())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services[c.GetName()] = c
	s.refreshLocked(c.GetName())
	return nil
}

// AddRevision stores a copy of rev, whose name must be
// projects/P/locations/R/services/S/revisions/V of a stored service.
func (s *Server) AddRevision(rev *runpb.Revision) error {
	if !validName(rev.GetName(), "services", "revisions") {
		return fmt.Errorf("runfake: add revision: bad name %q", rev.GetName())
	}
	c := proto.CloneOf(rev)
	svc := parent(c.GetName())
	if c.Service == "" {
		c.Service = short(svc)
	}
	if c.Etag == "" {
		c.Etag = fmt.Sprintf("W/%q", "rev-"+short(c.GetName()))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.services[svc]; !ok {
		return fmt.Errorf("runfake: add revision %s: no service %s", c.GetName(), svc)
	}
	s.revisions[c.GetName()] = c
	s.refreshLocked(svc)
	return nil
}

// AddExecution stores a copy of e, whose name must be
// projects/P/locations/R/jobs/J/executions/E. The fake has no jobs of its
// own: an execution's job exists for ListExecutions as soon as it has one.
func (s *Server) AddExecution(e *runpb.Execution) error {
	if !validName(e.GetName(), "jobs", "executions") {
		return fmt.Errorf("runfake: add execution: bad name %q", e.GetName())
	}
	c := proto.CloneOf(e)
	if c.Job == "" {
		c.Job = short(parent(c.GetName()))
	}
	if c.Generation == 0 {
		c.Generation = 1
	}
	c.Etag = executionEtag(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.executions[c.GetName()] = c
	return nil
}

// Service returns a copy of the named service.
func (s *Server) Service(name string) (*runpb.Service, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[name]
	return proto.CloneOf(svc), ok
}

// Revision returns a copy of the named revision; a deleted one is gone.
func (s *Server) Revision(name string) (*runpb.Revision, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rev, ok := s.revisions[name]
	return proto.CloneOf(rev), ok
}

// Revisions returns copies of the revisions of a service (full name),
// sorted by name.
func (s *Server) Revisions(service string) []*runpb.Revision {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revisionsLocked(service)
}

// Execution returns a copy of the named execution.
func (s *Server) Execution(name string) (*runpb.Execution, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.executions[name]
	return proto.CloneOf(e), ok
}

// Executions returns copies of the executions of a job (full name),
// sorted by name.
func (s *Server) Executions(job string) []*runpb.Execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*runpb.Execution
	for name, e := range s.executions {
		if strings.HasPrefix(name, job+"/executions/") {
			out = append(out, proto.CloneOf(e))
		}
	}
	sortByName(out)
	return out
}

func (s *Server) revisionsLocked(service string) []*runpb.Revision {
	var out []*runpb.Revision
	for name, rev := range s.revisions {
		if parent(name) == service {
			out = append(out, proto.CloneOf(rev))
		}
	}
	sortByName(out)
	return out
}

// refreshLocked recomputes what Cloud Run derives for a service: its
// latest created and ready revisions (when it has revisions at all) and
// the traffic statuses.
func (s *Server) refreshLocked(service string) {
	svc, ok := s.services[service]
	if !ok {
		return
	}
	if revs := s.revisionsLocked(service); len(revs) > 0 {
		svc.LatestCreatedRevision, svc.LatestReadyRevision = latestRevisions(revs)
	}
	svc.TrafficStatuses = trafficStatuses(svc)
}

// latestRevisions returns the full names of the newest revision and of
// the newest ready one.
func latestRevisions(revs []*runpb.Revision) (created, ready string) {
	slices.SortStableFunc(revs, func(a, b *runpb.Revision) int {
		return a.GetCreateTime().AsTime().Compare(b.GetCreateTime().AsTime())
	})
	created = revs[len(revs)-1].GetName()
	for _, r := range slices.Backward(revs) {
		if IsReady(r) {
			return created, r.GetName()
		}
	}
	return created, ""
}

// trafficStatuses is where traffic actually goes: LATEST resolves to the
// latest ready revision, and no traffic at all means 100% to LATEST.
func trafficStatuses(svc *runpb.Service) []*runpb.TrafficTargetStatus {
	traffic := svc.GetTraffic()
	if len(traffic) == 0 {
		traffic = []*runpb.TrafficTarget{ToLatest(100)}
	}
	out := make([]*runpb.TrafficTargetStatus, 0, len(traffic))
	for _, t := range traffic {
		rev := t.GetRevision()
		if t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST {
			rev = short(svc.GetLatestReadyRevision())
		}
		out = append(out, &runpb.TrafficTargetStatus{Type: t.GetType(), Revision: rev,
			Percent: t.GetPercent(), Tag: t.GetTag()})
	}
	return out
}

// servingLocked reports whether a revision receives traffic: a share of
// it, or a tag URL of its own. Cloud Run refuses to delete such a
// revision.
func (s *Server) servingLocked(rev *runpb.Revision) bool {
	svc, ok := s.services[parent(rev.GetName())]
	if !ok {
		return false
	}
	for _, st := range svc.GetTrafficStatuses() {
		if st.GetRevision() == short(rev.GetName()) && (st.GetPercent() > 0 || st.GetTag() != "") {
			return true
		}
	}
	return false
}

func serviceEtag(generation int64) string {
	return fmt.Sprintf("W/%q", fmt.Sprintf("gen-%d", generation))
}

func executionEtag(e *runpb.Execution) string {
	return fmt.Sprintf("W/%q", fmt.Sprintf("%s-gen-%d", short(e.GetName()), e.GetGeneration()))
}

// sortByName sorts resources by name, the order the fake lists them in.
func sortByName[M interface{ GetName() string }](ms []M) {
	slices.SortFunc(ms, func(a, b M) int { return cmp.Compare(a.GetName(), b.GetName()) })
}
