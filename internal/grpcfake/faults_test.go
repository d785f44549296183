package grpcfake

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const checkMethod = "/grpc.health.v1.Health/Check"

// call runs req through f's interceptor as a call of fullMethod and reports
// whether the handler ran.
func call(ctx context.Context, f *Faults, fullMethod string, req any) (ran bool, err error) {
	handler := func(context.Context, any) (any, error) {
		ran = true
		return "ok", nil
	}
	_, err = f.Interceptor()(ctx, req, &grpc.UnaryServerInfo{FullMethod: fullMethod}, handler)
	return ran, err
}

func checkReq(service string) *grpc_health_v1.HealthCheckRequest {
	return &grpc_health_v1.HealthCheckRequest{Service: service}
}

func TestFaultsRecordsCallsAndRequests(t *testing.T) {
	f := NewFaults("test")
	ctx := context.Background()
	req := checkReq("a")
	if _, err := call(ctx, f, checkMethod, req); err != nil {
		t.Fatal(err)
	}
	req.Service = "changed by the caller"
	if _, err := call(ctx, f, "/x.Y/Other", "not a proto message"); err != nil {
		t.Fatal(err)
	}
	if _, err := call(ctx, f, checkMethod, checkReq("b")); err != nil {
		t.Fatal(err)
	}

	if got, want := f.Calls(), []string{"Check", "Other", "Check"}; !slices.Equal(got, want) {
		t.Errorf("Calls = %v, want %v", got, want)
	}
	got := f.Requests("Check")
	if len(got) != 2 || !proto.Equal(got[0], checkReq("a")) || !proto.Equal(got[1], checkReq("b")) {
		t.Fatalf("Requests(Check) = %v, want services a, b", got)
	}
	got[0].(*grpc_health_v1.HealthCheckRequest).Service = "changed by the test"
	if again := f.Requests("Check"); !proto.Equal(again[0], checkReq("a")) {
		t.Errorf("Requests returned the stored request, not a copy: now %v", again[0])
	}
	if got := f.Requests("Other"); len(got) != 0 {
		t.Errorf("Requests(Other) = %v, want none for a request that is not a proto message", got)
	}

	f.FailNext("Check", codes.Internal, 1)
	f.Reset()
	if got := f.Calls(); len(got) != 0 {
		t.Errorf("Calls after Reset = %v, want none", got)
	}
	if got := f.Requests("Check"); len(got) != 0 {
		t.Errorf("Requests after Reset = %v, want none", got)
	}
	if _, err := call(ctx, f, checkMethod, checkReq("c")); status.Code(err) != codes.Internal {
		t.Errorf("after Reset err = %v, want the fault set before it", err)
	}
}

func TestFaultsFailNext(t *testing.T) {
	f := NewFaults("test")
	ctx := context.Background()
	f.FailNext("Check", codes.Unavailable, 2)
	for i := range 2 {
		ran, err := call(ctx, f, checkMethod, checkReq("a"))
		if ran {
			t.Errorf("call %d: handler ran despite the fault", i)
		}
		st, _ := status.FromError(err)
		if st.Code() != codes.Unavailable || st.Message() != "test: injected Unavailable for Check" {
			t.Errorf("call %d: err = %v, want Unavailable with the generic message", i, err)
		}
	}
	if ran, err := call(ctx, f, checkMethod, checkReq("a")); err != nil || !ran {
		t.Errorf("third call: ran %v, err %v; want the handler to run", ran, err)
	}
	if got := len(f.Requests("Check")); got != 3 {
		t.Errorf("%d requests recorded, want 3 (failed ones too)", got)
	}
	if _, err := call(ctx, f, "/x.Y/Other", checkReq("a")); err != nil {
		t.Errorf("another method: %v, want no fault", err)
	}
}

func TestFaultsFailAfter(t *testing.T) {
	f := NewFaults("test")
	ctx := context.Background()
	f.FailAfter("Check", 2, codes.Aborted, 1)
	var got []codes.Code
	for range 4 {
		_, err := call(ctx, f, checkMethod, checkReq("a"))
		got = append(got, status.Code(err))
	}
	want := []codes.Code{codes.OK, codes.OK, codes.Aborted, codes.OK}
	if !slices.Equal(got, want) {
		t.Errorf("codes = %v, want %v", got, want)
	}

	// A fault with no calls to fail injects nothing, whatever its skip.
	f.FailAfter("Check", 1, codes.Aborted, 0)
	if _, err := call(ctx, f, checkMethod, checkReq("a")); err != nil {
		t.Errorf("n = 0: %v, want no fault", err)
	}
}

func TestFaultsFailNextWithMessage(t *testing.T) {
	f := NewFaults("test")
	ctx := context.Background()
	f.FailNextWithMessage("Check", codes.PermissionDenied, "no actAs", 1)
	_, err := call(ctx, f, checkMethod, checkReq("a"))
	if st, _ := status.FromError(err); st.Code() != codes.PermissionDenied || st.Message() != "no actAs" {
		t.Errorf("err = %v, want PermissionDenied: no actAs", err)
	}

	// A later FailNext replaces the fault and its message.
	f.FailNextWithMessage("Check", codes.PermissionDenied, "no actAs", 5)
	f.FailNext("Check", codes.NotFound, 1)
	_, err = call(ctx, f, checkMethod, checkReq("a"))
	if st, _ := status.FromError(err); st.Code() != codes.NotFound || st.Message() != "test: injected NotFound for Check" {
		t.Errorf("err = %v, want NotFound with the generic message", err)
	}
	if _, err := call(ctx, f, checkMethod, checkReq("a")); err != nil {
		t.Errorf("after the replacing fault: %v, want none", err)
	}
}

func TestFaultsLatency(t *testing.T) {
	f := NewFaults("test")
	ctx := context.Background()
	const d = 30 * time.Millisecond
	f.SetLatency("Check", d)
	start := time.Now()
	if ran, err := call(ctx, f, checkMethod, checkReq("a")); err != nil || !ran {
		t.Fatalf("ran %v, err %v; want the handler to run", ran, err)
	}
	if took := time.Since(start); took < d {
		t.Errorf("call took %v, want at least %v", took, d)
	}

	// An injected fault comes after the delay.
	f.FailNext("Check", codes.Unavailable, 1)
	start = time.Now()
	if _, err := call(ctx, f, checkMethod, checkReq("a")); status.Code(err) != codes.Unavailable {
		t.Errorf("err = %v, want Unavailable", err)
	}
	if took := time.Since(start); took < d {
		t.Errorf("faulted call took %v, want at least %v", took, d)
	}
}

func TestFaultsLatencyEndsWithTheCaller(t *testing.T) {
	f := NewFaults("test")
	f.SetLatency("Check", time.Hour)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran, err := call(ctx, f, checkMethod, checkReq("a"))
	if ran || status.Code(err) != codes.Canceled {
		t.Errorf("cancelled: ran %v, err %v; want Canceled without the handler", ran, err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	ran, err = call(ctx, f, checkMethod, checkReq("a"))
	if ran || status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("deadline: ran %v, err %v; want DeadlineExceeded without the handler", ran, err)
	}
	if got := len(f.Requests("Check")); got != 2 {
		t.Errorf("%d requests recorded, want 2 (given up ones too)", got)
	}
}

func TestInterceptPassesShortMethodName(t *testing.T) {
	var gotMethod string
	var gotReq any
	errInjected := status.Error(codes.Internal, "injected")
	i := Intercept(func(method string, req any) (time.Duration, error) {
		gotMethod, gotReq = method, req
		return 0, errInjected
	})
	ran := false
	_, err := i(context.Background(), "req", &grpc.UnaryServerInfo{FullMethod: checkMethod},
		func(context.Context, any) (any, error) { ran = true; return nil, nil })
	if gotMethod != "Check" || gotReq != "req" {
		t.Errorf("before got (%q, %v), want (Check, req)", gotMethod, gotReq)
	}
	if ran || !errors.Is(err, errInjected) {
		t.Errorf("ran %v, err %v; want before's error without the handler", ran, err)
	}
}

// TestFaultsOnTheWire installs Interceptor on a served health service and
// calls it with a real client.
func TestFaultsOnTheWire(t *testing.T) {
	f := NewFaults("test")
	s := newHealthy(grpc.UnaryInterceptor(f.Interceptor()))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client := healthClient(t, s)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	f.FailNext("Check", codes.Unavailable, 1)
	if _, err := client.Check(ctx, checkReq("")); status.Code(err) != codes.Unavailable {
		t.Errorf("first Check: %v, want Unavailable", err)
	}
	if _, err := client.Check(ctx, checkReq("")); err != nil {
		t.Errorf("second Check: %v", err)
	}
	if got := len(f.Requests("Check")); got != 2 {
		t.Errorf("%d Check requests recorded, want 2", got)
	}
}
