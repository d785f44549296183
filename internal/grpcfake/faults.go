package grpcfake

import (
	"context"
	"path"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Faults records the calls and requests a fake receives and injects
// latency and errors per method. A fake installs its Interceptor on its
// gRPC server and exposes the methods it offers through wrappers of its
// own, with its own docs. A method is named by the last element of its
// full gRPC name, e.g. "ListFindings". Its zero value is not usable; call
// NewFaults. It has its own lock, so a fake may call it with or without
// holding the fake's.
type Faults struct {
	name string // the fake's, e.g. "sccfake", for generic injected errors

	mu       sync.Mutex
	calls    []string
	requests map[string][]proto.Message
	latency  map[string]time.Duration
	faults   map[string]fault
}

type fault struct {
	code    codes.Code
	message string // "" for a generic one
	skip    int    // calls to let through first
	n       int
}

// NewFaults returns a Faults with nothing recorded or injected. name
// starts the message of injected errors: "NAME: injected CODE for METHOD".
func NewFaults(name string) *Faults {
	return &Faults{
		name:     name,
		requests: map[string][]proto.Message{},
		latency:  map[string]time.Duration{},
		faults:   map[string]fault{},
	}
}

// SetLatency delays every later call of method by d, or until the caller
// gives up. An injected error comes after the delay.
func (f *Faults) SetLatency(method string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency[method] = d
}

// FailNext makes the next n calls of method fail with code, before the
// handler runs. It replaces any fault set for method.
func (f *Faults) FailNext(method string, code codes.Code, n int) {
	f.FailAfter(method, 0, code, n)
}

// FailAfter lets the next skip calls of method through and makes the n
// calls after them fail with code. It replaces any fault set for method.
func (f *Faults) FailAfter(method string, skip int, code codes.Code, n int) {
	f.set(method, fault{code: code, skip: skip, n: n})
}

// FailNextWithMessage is FailNext with message in place of the generic
// one.
func (f *Faults) FailNextWithMessage(method string, code codes.Code, message string, n int) {
	f.set(method, fault{code: code, message: message, n: n})
}

func (f *Faults) set(method string, ft fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = ft
}

// Requests returns copies of the requests received for method, oldest
// first, including those that failed.
func (f *Faults) Requests(method string) []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]proto.Message, len(f.requests[method]))
	for i, r := range f.requests[method] {
		out[i] = proto.Clone(r)
	}
	return out
}

// Calls returns the methods called, in the order received.
func (f *Faults) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Reset forgets the calls and requests received so far, at once. Latency
// and faults stay.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
	f.requests = map[string][]proto.Message{}
}

// Interceptor records the call and its request, then applies the method's
// latency and injected fault before the real handler runs.
func (f *Faults) Interceptor() grpc.UnaryServerInterceptor { return Intercept(f.before) }

// before records the call and its request, then returns the method's
// latency and the error injected for this call, if any.
func (f *Faults) before(method string, req any) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method)
	if m, ok := req.(proto.Message); ok {
		f.requests[method] = append(f.requests[method], proto.Clone(m))
	}
	ft := f.faults[method]
	if ft.n <= 0 {
		return f.latency[method], nil
	}
	if ft.skip > 0 {
		ft.skip--
		f.faults[method] = ft
		return f.latency[method], nil
	}
	ft.n--
	f.faults[method] = ft
	if ft.message != "" {
		return f.latency[method], status.Error(ft.code, ft.message)
	}
	return f.latency[method], status.Errorf(ft.code, "%s: injected %s for %s", f.name, ft.code, method)
}

// Intercept returns a unary interceptor that first calls before with the
// method's name (e.g. "ListFindings") and the request, then waits the
// delay before returns, or until the caller gives up, and then returns
// before's error if there is one or runs the handler if not. A fake whose
// recording and faults do not fit Faults passes its own before.
func Intercept(before func(method string, req any) (time.Duration, error)) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler) (any, error) {
		delay, err := before(path.Base(info.FullMethod), req)
		if delay > 0 {
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return nil, status.FromContextError(ctx.Err()).Err()
			case <-t.C:
			}
		}
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}
