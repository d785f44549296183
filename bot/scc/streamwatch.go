package scc

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// streamingPullMethod is the only streaming RPC of the Pub/Sub client.
const streamingPullMethod = "/google.pubsub.v1.Subscriber/StreamingPull"

// DefaultStableAfter is how long a StreamingPull stream must stay open
// without an error before the subscription counts as working.
const DefaultStableAfter = 5 * time.Second

// StreamWatch reports the health of a Pub/Sub subscriber from its
// StreamingPull streams. pubsub/v2 (v2.8.1) retries a stream that cannot
// connect or breaks without telling its caller: Receive neither returns
// nor logs while the endpoint is unreachable. A gRPC stream interceptor on
// the client's connection sees every attempt, so each failure is counted
// with its cause at no cost in API calls. A message received, or a stream
// that stays open for StableAfter, counts as success: an idle but healthy
// subscription delivers nothing, and the server does not answer the
// opening request until it has messages.
type StreamWatch struct {
	health      *Health
	stableAfter time.Duration
	now         func() time.Time

	mu        sync.Mutex
	open      int
	openSince time.Time // start of the current error-free stretch; zero after an error
}

// NewStreamWatch returns a watch that reports to h. A stableAfter of 0
// means DefaultStableAfter.
func NewStreamWatch(h *Health, stableAfter time.Duration) *StreamWatch {
	if stableAfter <= 0 {
		stableAfter = DefaultStableAfter
	}
	return &StreamWatch{health: h, stableAfter: stableAfter, now: h.opts.Now}
}

// Health is the health the watch reports to.
func (w *StreamWatch) Health() *Health { return w.health }

// ClientOption installs the watch on a Pub/Sub client that dials its own
// connection (not one passed with option.WithGRPCConn).
func (w *StreamWatch) ClientOption() option.ClientOption {
	return option.WithGRPCDialOption(grpc.WithChainStreamInterceptor(w.Interceptor()))
}

// Interceptor observes StreamingPull streams and passes every other
// stream through untouched.
func (w *StreamWatch) Interceptor() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
		streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if method != streamingPullMethod {
			return cs, err
		}
		if err != nil {
			w.failed(ctx, err)
			return nil, err
		}
		s := &watchedStream{ClientStream: cs, w: w, openedAt: w.now()}
		w.opened()
		s.stop = context.AfterFunc(ctx, s.end)
		return s, nil
	}
}

// Tick turns a stream that has stayed open without error for StableAfter
// into a success. The subscription calls it periodically while it runs.
func (w *StreamWatch) Tick() {
	w.mu.Lock()
	stable := w.open > 0 && !w.openSince.IsZero() && w.now().Sub(w.openSince) >= w.stableAfter
	w.mu.Unlock()
	if stable {
		w.health.OK()
	}
}

func (w *StreamWatch) opened() {
	w.mu.Lock()
	w.open++
	if w.openSince.IsZero() {
		w.openSince = w.now()
	}
	w.mu.Unlock()
}

func (w *StreamWatch) closed() {
	w.mu.Lock()
	w.open--
	w.mu.Unlock()
}

// failed records a stream error, unless it is the stream being closed on
// purpose (the client reopening it, or Receive stopping).
func (w *StreamWatch) failed(ctx context.Context, err error) {
	if ctx.Err() != nil || errors.Is(err, io.EOF) || status.Code(err) == codes.Canceled {
		return
	}
	w.mu.Lock()
	w.openSince = time.Time{}
	w.mu.Unlock()
	w.health.Fail(err)
}

// watchedStream reports each received message and the stream's end.
type watchedStream struct {
	grpc.ClientStream
	w        *StreamWatch
	openedAt time.Time
	once     sync.Once
	stop     func() bool
}

func (s *watchedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil {
		s.w.health.OK()
		return nil
	}
	if !s.recycled(err) {
		s.w.failed(s.Context(), err)
	}
	s.end()
	s.stop()
	return err
}

// recycled reports a stream that worked for StableAfter and was then
// ended by the server with UNAVAILABLE: Pub/Sub ends every StreamingPull
// stream that way after a while, and the client opens another at once.
// Only if that fails is the subscription failing.
func (s *watchedStream) recycled(err error) bool {
	return status.Code(err) == codes.Unavailable && s.w.now().Sub(s.openedAt) >= s.w.stableAfter
}

// end marks the stream closed once, whether it ended with an error or its
// context was cancelled (then it runs on the AfterFunc goroutine, so it
// must not touch stop).
func (s *watchedStream) end() {
	s.once.Do(s.w.closed)
}
