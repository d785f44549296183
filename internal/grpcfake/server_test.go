package grpcfake

import (
	"context"
	"net"
	"testing"
	"time"

	gtransport "google.golang.org/api/transport/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
)

// newHealthy returns a Server whose gRPC server, made with opts, serves the
// standard health service, a stand-in for a fake's API.
func newHealthy(opts ...grpc.ServerOption) *Server {
	g := grpc.NewServer(opts...)
	grpc_health_v1.RegisterHealthServer(g, health.NewServer())
	return New(g)
}

// healthClient dials s through its ClientOptions, until the test ends.
func healthClient(t *testing.T, s *Server) grpc_health_v1.HealthClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := gtransport.Dial(ctx, s.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return grpc_health_v1.NewHealthClient(conn)
}

func TestStartServesClientOptions(t *testing.T) {
	s := newHealthy()
	if got := s.Addr(); got != "" {
		t.Fatalf("Addr before Start = %q, want \"\"", got)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Addr() == "" {
		t.Fatal("Addr after Start is empty")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := healthClient(t, s).Check(ctx, &grpc_health_v1.HealthCheckRequest{})
	if err != nil {
		t.Fatalf("Check through ClientOptions: %v", err)
	}
	if resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Errorf("status = %v, want SERVING", resp.GetStatus())
	}
}

func TestServeReturnsNilAfterClose(t *testing.T) {
	s := newHealthy()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(lis) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Addr() == "" {
		if time.Now().After(deadline) {
			t.Fatal("Addr still empty after Serve")
		}
		time.Sleep(time.Millisecond)
	}
	if got, want := s.Addr(), lis.Addr().String(); got != want {
		t.Errorf("Addr = %q, want %q", got, want)
	}
	s.Close()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Serve after Close = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
}
