// Package grpcfake is what the project's in-process gRPC fakes (sccfake,
// ownersfake, loggingfake, runfake and gkefake's ClusterManager) share.
// Server is their lifecycle: serving on a free port of 127.0.0.1 or on a
// given listener, the address it listens on, the options that point a real
// Google client at it, and stopping it. Faults records the requests a fake
// receives and injects latency and errors per method, through the unary
// interceptor it gives; Intercept is that interceptor for a fake that keeps
// its own record and faults.
package grpcfake

import (
	"errors"
	"net"
	"sync"

	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Server serves a gRPC server whose services a fake has registered. A fake
// embeds it, so that Start, Serve, Addr, ClientOptions and Close are the
// fake's own methods. Its zero value is not usable; call New.
type Server struct {
	grpc *grpc.Server

	mu  sync.Mutex
	lis net.Listener
}

// New returns the lifecycle of g. Register g's services before Start or
// Serve.
func New(g *grpc.Server) *Server { return &Server{grpc: g} }

// Start serves on a free port of 127.0.0.1 in the background.
func (s *Server) Start() error {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.setListener(lis)
	go func() { _ = s.grpc.Serve(lis) }()
	return nil
}

// Serve serves on lis until Close; it returns nil after Close.
func (s *Server) Serve(lis net.Listener) error {
	s.setListener(lis)
	err := s.grpc.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

func (s *Server) setListener(lis net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lis = lis
}

// Addr is the host:port the fake listens on, or "" before Start or Serve.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		return ""
	}
	return s.lis.Addr().String()
}

// ClientOptions are the options that point a real client at the fake:
// plaintext and no Google credentials.
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(s.Addr()),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// Close stops the server at once, ending open calls.
func (s *Server) Close() { s.grpc.Stop() }
