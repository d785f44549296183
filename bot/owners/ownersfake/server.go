// Package ownersfake is an in-process fake of the two Google APIs that
// bot/owners calls: Essential Contacts v1 (ComputeContacts) and Resource
// Manager v3 Projects (GetIamPolicy). One gRPC server serves both, so
// ESSENTIALCONTACTS_EMULATOR_HOST and RESOURCEMANAGER_EMULATOR_HOST may
// both point at its Addr. It speaks the real wire protocol, so the real
// cloud.google.com/go clients talk to it unchanged. It models the resource
// hierarchy (contacts are inherited from parents), category filtering with
// ALL, conditional IAM bindings and policy versions; it records every
// request and can inject latency and errors per method. AddSeeds loads the
// demo projects demo-prod and demo-web.
package ownersfake

import (
	"sync"
	"time"

	"cloud.google.com/go/essentialcontacts/apiv1/essentialcontactspb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/resourcemanager/apiv3/resourcemanagerpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

// Server is the fake. Its zero value is not usable; call New. Start,
// Serve, Addr, ClientOptions and Close are grpcfake.Server's.
type Server struct {
	*grpcfake.Server

	faults *grpcfake.Faults // requests, latency and injected errors

	mu        sync.Mutex
	resources map[string]*resource // by canonical name
	aliases   map[string]string    // projects/ID -> projects/NUMBER
	nextID    int
	denied    map[string][]string // canonical name -> permissions not granted (DenyPermissions)
}

// resource is an organization, folder or project.
type resource struct {
	parent   string
	contacts []*essentialcontactspb.Contact
	policy   *iampb.Policy
}

// New returns a fake that knows no resources. Start or Serve it.
func New() *Server {
	s := &Server{
		faults:    grpcfake.NewFaults("ownersfake"),
		resources: map[string]*resource{},
		aliases:   map[string]string{},
	}
	g := grpc.NewServer(grpc.UnaryInterceptor(s.faults.Interceptor()))
	essentialcontactspb.RegisterEssentialContactsServiceServer(g, contactsService{s: s})
	resourcemanagerpb.RegisterProjectsServer(g, projectsService{s: s})
	s.Server = grpcfake.New(g)
	return s
}

// SetLatency delays every later call of method (e.g. "ComputeContacts")
// by d, or until the caller gives up.
func (s *Server) SetLatency(method string, d time.Duration) { s.faults.SetLatency(method, d) }

// FailNext makes the next n calls of method ("ComputeContacts",
// "GetIamPolicy") fail with code.
func (s *Server) FailNext(method string, code codes.Code, n int) {
	s.faults.FailNext(method, code, n)
}

// FailAfter lets the next skip calls of method through and makes the n
// calls after them fail with code.
func (s *Server) FailAfter(method string, skip int, code codes.Code, n int) {
	s.faults.FailAfter(method, skip, code, n)
}

// Requests returns copies of the requests received for method, oldest
// first, including those that failed.
func (s *Server) Requests(method string) []proto.Message { return s.faults.Requests(method) }

// AddResource adds an organization, folder or project by its canonical
// name (projects/NUMBER, folders/N, organizations/N) under parent ("" for
// a root), with aliases by which it may also be named (projects/ID).
// Adding a known resource moves it and adds the aliases.
func (s *Server) AddResource(name, parent string, aliases ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.resourceLocked(name)
	r.parent = parent
	for _, a := range aliases {
		s.aliases[a] = name
	}
}

// resourceLocked returns the named resource, creating it as a root.
func (s *Server) resourceLocked(name string) *resource {
	if canon, ok := s.aliases[name]; ok {
		name = canon
	}
	r, ok := s.resources[name]
	if !ok {
		r = &resource{}
		s.resources[name] = r
	}
	return r
}

// lookupLocked resolves a name or alias to a known resource.
func (s *Server) lookupLocked(name string) (string, *resource, bool) {
	if canon, ok := s.aliases[name]; ok {
		name = canon
	}
	r, ok := s.resources[name]
	return name, r, ok
}
