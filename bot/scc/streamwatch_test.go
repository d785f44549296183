package scc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// endingStream is a StreamingPull stream whose next receive ends it with err.
type endingStream struct {
	grpc.ClientStream
	ctx context.Context
	err error
}

func (s *endingStream) Context() context.Context { return s.ctx }
func (s *endingStream) RecvMsg(any) error        { return s.err }

// TestStreamWatchToleratesRecycledStreams: Pub/Sub ends long-lived streams
// with UNAVAILABLE as a matter of course; such an end is not a failure,
// while a stream that fails early, or cannot be opened, is.
func TestStreamWatchToleratesRecycledStreams(t *testing.T) {
	clock := &fakeClock{now: t0}
	m := NewMetrics(nil)
	h := NewHealth("pubsub:s", HealthOptions{Metrics: m, Now: clock.Now})
	w := NewStreamWatch(h, 5*time.Second)
	unavailable := status.Error(codes.Unavailable, "The service was unable to fulfill your request.")
	open := func(err error) grpc.ClientStream {
		t.Helper()
		cs, serr := w.Interceptor()(context.Background(), &grpc.StreamDesc{ServerStreams: true}, nil, streamingPullMethod,
			func(ctx context.Context, _ *grpc.StreamDesc, _ *grpc.ClientConn, _ string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
				return &endingStream{ctx: ctx, err: err}, nil
			})
		if serr != nil {
			t.Fatal(serr)
		}
		return cs
	}
	errorsCounted := func() float64 { return testutil.ToFloat64(m.errors.WithLabelValues("pubsub:s")) }

	long := open(unavailable)
	clock.advance(10 * time.Minute)
	w.Tick()
	_ = long.RecvMsg(nil)
	if n := errorsCounted(); n != 0 {
		t.Errorf("a stream recycled after 10 minutes counted %v errors, want 0", n)
	}
	if err := h.Ready(); err != nil {
		t.Errorf("Ready = %v", err)
	}

	short := open(unavailable)
	_ = short.RecvMsg(nil)
	if n := errorsCounted(); n != 1 {
		t.Errorf("a stream ended at once counted %v errors, want 1", n)
	}

	_, err := w.Interceptor()(context.Background(), &grpc.StreamDesc{}, nil, streamingPullMethod,
		func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
			return nil, unavailable
		})
	if !errors.Is(err, unavailable) || errorsCounted() != 2 {
		t.Errorf("open failure: err %v, errors %v", err, errorsCounted())
	}
}
