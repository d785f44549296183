package retry

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

var (
	errTransient = errors.New("transient")
	errPermanent = errors.New("permanent")
	errSleep     = errors.New("sleep broke")
)

func transientOnly(err error) bool { return errors.Is(err, errTransient) }

// retried is one OnRetry call.
type retried struct {
	attempt int
	err     error
	pause   time.Duration
}

// run is what one Do call did, as the tests compare it.
type run struct {
	attempts int
	err      error
	calls    int
	pauses   []time.Duration
	retries  []retried
}

// script is what fn and Sleep do in one Do call.
type script struct {
	// results are fn's errors in turn; nil once they run out.
	results []error
	// cancelAtCall, when not 0, is the call (1-based) during which fn
	// ends Do's context before it returns.
	cancelAtCall int
	// cancelInPause makes the recording Sleep end Do's context.
	cancelInPause bool
}

// doScripted runs Do with p and an fn that follows sc. Unless p has a
// Sleep, it gets one that records its pauses and never waits.
func doScripted(p Policy, sc script) run {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var r run
	if p.Sleep == nil {
		p.Sleep = func(ctx context.Context, d time.Duration) error {
			r.pauses = append(r.pauses, d)
			if sc.cancelInPause {
				cancel()
			}
			return ctx.Err()
		}
	}
	p.OnRetry = func(attempt int, err error, pause time.Duration) {
		r.retries = append(r.retries, retried{attempt, err, pause})
	}
	r.attempts, r.err = Do(ctx, p, func(context.Context) error {
		r.calls++
		if r.calls == sc.cancelAtCall {
			cancel()
		}
		if r.calls > len(sc.results) {
			return nil
		}
		return sc.results[r.calls-1]
	})
	return r
}

func TestDo(t *testing.T) {
	linear := func(n int) time.Duration { return time.Duration(n) * time.Second }
	base := Policy{Attempts: 3, Backoff: linear, Retryable: transientOnly}
	with := func(f func(*Policy)) Policy { p := base; f(&p); return p }
	tests := []struct {
		name   string
		policy Policy
		script script
		want   run
	}{{
		name:   "success first time",
		policy: base,
		want:   run{attempts: 1, calls: 1},
	}, {
		name:   "transient then success",
		policy: base,
		script: script{results: []error{errTransient, errTransient}},
		want: run{attempts: 3, calls: 3, pauses: []time.Duration{time.Second, 2 * time.Second},
			retries: []retried{{1, errTransient, time.Second}, {2, errTransient, 2 * time.Second}}},
	}, {
		name:   "permanent error stops at once",
		policy: base,
		script: script{results: []error{errPermanent, nil}},
		want:   run{attempts: 1, err: errPermanent, calls: 1},
	}, {
		name:   "permanent after transient",
		policy: base,
		script: script{results: []error{errTransient, errPermanent}},
		want: run{attempts: 2, err: errPermanent, calls: 2, pauses: []time.Duration{time.Second},
			retries: []retried{{1, errTransient, time.Second}}},
	}, {
		name:   "attempts exhausted returns the last error and count",
		policy: base,
		script: script{results: []error{errTransient, errTransient, errTransient, nil}},
		want: run{attempts: 3, err: errTransient, calls: 3, pauses: []time.Duration{time.Second, 2 * time.Second},
			retries: []retried{{1, errTransient, time.Second}, {2, errTransient, 2 * time.Second}}},
	}, {
		name:   "nil Retryable retries every error",
		policy: with(func(p *Policy) { p.Retryable = nil }),
		script: script{results: []error{errPermanent, errTransient, errPermanent, nil}},
		want: run{attempts: 3, err: errPermanent, calls: 3, pauses: []time.Duration{time.Second, 2 * time.Second},
			retries: []retried{{1, errPermanent, time.Second}, {2, errTransient, 2 * time.Second}}},
	}, {
		name:   "attempts below 1 mean one attempt",
		policy: with(func(p *Policy) { p.Attempts = 0 }),
		script: script{results: []error{errTransient}},
		want:   run{attempts: 1, err: errTransient, calls: 1},
	}, {
		name:   "nil Backoff pauses 0",
		policy: with(func(p *Policy) { p.Backoff = nil }),
		script: script{results: []error{errTransient}},
		want:   run{attempts: 2, calls: 2, pauses: []time.Duration{0}, retries: []retried{{1, errTransient, 0}}},
	}, {
		name:   "ctx cancelled during the pause returns ctx's error",
		policy: with(func(p *Policy) { p.Backoff = func(int) time.Duration { return time.Hour } }),
		script: script{results: []error{errTransient, nil}, cancelInPause: true},
		want: run{attempts: 1, err: context.Canceled, calls: 1, pauses: []time.Duration{time.Hour},
			retries: []retried{{1, errTransient, time.Hour}}},
	}, {
		name:   "ctx cancelled during an attempt is not retried",
		policy: base,
		script: script{results: []error{errTransient, nil}, cancelAtCall: 1},
		want:   run{attempts: 1, err: context.Canceled, calls: 1},
	}, {
		name:   "ctx cancelled during the last attempt wins over its error",
		policy: base,
		script: script{results: []error{errTransient, errPermanent}, cancelAtCall: 2},
		want: run{attempts: 2, err: context.Canceled, calls: 2, pauses: []time.Duration{time.Second},
			retries: []retried{{1, errTransient, time.Second}}},
	}, {
		name:   "success while ctx ends is still success",
		policy: base,
		script: script{results: []error{errTransient, nil}, cancelAtCall: 2},
		want: run{attempts: 2, calls: 2, pauses: []time.Duration{time.Second},
			retries: []retried{{1, errTransient, time.Second}}},
	}, {
		name:   "a failing injected Sleep stops Do with its error",
		policy: with(func(p *Policy) { p.Sleep = func(context.Context, time.Duration) error { return errSleep } }),
		script: script{results: []error{errTransient, nil}},
		want:   run{attempts: 1, err: errSleep, calls: 1, retries: []retried{{1, errTransient, time.Second}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRun(t, doScripted(tt.policy, tt.script), tt.want)
		})
	}
}

func checkRun(t *testing.T, got, want run) {
	t.Helper()
	if got.attempts != want.attempts || got.calls != want.calls {
		t.Errorf("attempts, calls = %d, %d; want %d, %d", got.attempts, got.calls, want.attempts, want.calls)
	}
	if got.err != want.err {
		t.Errorf("err = %v, want %v", got.err, want.err)
	}
	if !slices.Equal(got.pauses, want.pauses) {
		t.Errorf("pauses = %v, want %v", got.pauses, want.pauses)
	}
	if !slices.Equal(got.retries, want.retries) {
		t.Errorf("OnRetry calls = %v, want %v", got.retries, want.retries)
	}
}

// TestDoCallsFnWithEndedContext: the first attempt is made even when the
// caller's context has already ended, and its ending is what Do reports.
func TestDoCallsFnWithEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	n, err := Do(ctx, Policy{Attempts: 3}, func(ctx context.Context) error {
		calls++
		return ctx.Err()
	})
	if n != 1 || calls != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("Do = %d, %v after %d calls; want 1, context.Canceled after 1", n, err, calls)
	}
}

// TestDoDeadline: a caller's deadline comes back as
// context.DeadlineExceeded, which callers may report differently from a
// cancellation.
func TestDoDeadline(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := Do(ctx, Policy{Attempts: 3}, func(context.Context) error { return errTransient })
	if err != context.DeadlineExceeded {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestDoTimeout(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration
		deadline bool
	}{
		{"positive timeout bounds the attempt", time.Hour, true},
		{"zero adds no deadline", 0, false},
		{"negative adds no deadline", -time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var actx context.Context
			before := time.Now()
			_, err := Do(context.Background(), Policy{Timeout: tt.timeout}, func(ctx context.Context) error {
				actx = ctx
				return nil
			})
			after := time.Now()
			if err != nil {
				t.Fatal(err)
			}
			dl, ok := actx.Deadline()
			if ok != tt.deadline {
				t.Fatalf("attempt has a deadline: %v, want %v", ok, tt.deadline)
			}
			if !ok {
				return
			}
			// The bounds hold however slow the machine: the deadline is
			// set between before and after.
			if dl.Before(before.Add(tt.timeout)) || dl.After(after.Add(tt.timeout)) {
				t.Errorf("deadline %v not within the timeout %v of the call", dl, tt.timeout)
			}
			if actx.Err() == nil {
				t.Error("the attempt's context outlives the attempt")
			}
		})
	}
}

// TestDoTimeoutPerAttempt: an attempt that runs out of its own time is
// retried with a fresh one, and the caller's context is not ended by it.
func TestDoTimeoutPerAttempt(t *testing.T) {
	ctx := context.Background()
	var errs []error
	n, err := Do(ctx, Policy{Attempts: 3, Timeout: time.Millisecond, Sleep: noSleep},
		func(actx context.Context) error {
			if len(errs) == 0 {
				<-actx.Done() // the only real wait: one millisecond
			}
			errs = append(errs, actx.Err())
			return actx.Err()
		})
	if n != 2 || err != nil {
		t.Fatalf("Do = %d, %v; want 2, nil", n, err)
	}
	if errs[0] != context.DeadlineExceeded || errs[1] != nil {
		t.Errorf("attempt context errors = %v, want [deadline exceeded, nil]", errs)
	}
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// TestDoDefaultSleep: a nil Sleep is Sleep: no wait for a zero pause, and
// an ended context stops it however long the pause.
func TestDoDefaultSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := Do(ctx, Policy{Attempts: 3}, func(context.Context) error { return errTransient })
	if n != 3 || err != errTransient {
		t.Errorf("zero pause: Do = %d, %v; want 3, %v", n, err, errTransient)
	}
	p := Policy{
		Attempts: 3,
		Backoff:  func(int) time.Duration { return time.Hour },
		OnRetry:  func(int, error, time.Duration) { cancel() },
	}
	n, err = Do(ctx, p, func(context.Context) error { return errTransient })
	if n != 1 || err != context.Canceled {
		t.Errorf("hour pause, cancelled: Do = %d, %v; want 1, context.Canceled", n, err)
	}
}

func TestSleep(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"zero on a live context", live, 0, nil},
		{"negative on a live context", live, -time.Hour, nil},
		{"short wait", live, time.Microsecond, nil},
		{"zero on an ended context", ended, 0, context.Canceled},
		{"long wait on an ended context", ended, time.Hour, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sleep(tt.ctx, tt.d); got != tt.want {
				t.Errorf("Sleep(%v) = %v, want %v", tt.d, got, tt.want)
			}
		})
	}
}

// TestSleepCancelled: a context ending mid-wait ends the wait.
func TestSleepCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Sleep(ctx, time.Hour) }()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
}

func TestExponential(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name           string
		first, ceiling time.Duration
		attempts       []int
		want           []time.Duration
	}{
		{"doubles up to the ceiling", 500 * ms, 10 * time.Second, []int{1, 2, 3, 4, 5, 6, 7},
			[]time.Duration{500 * ms, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
				10 * time.Second, 10 * time.Second}},
		{"ceiling a power of two of first", 500 * ms, 8 * time.Second, []int{4, 5, 6},
			[]time.Duration{4 * time.Second, 8 * time.Second, 8 * time.Second}},
		{"seconds", time.Second, 30 * time.Second, []int{1, 5, 6, 100},
			[]time.Duration{time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}},
		{"attempts below 1 count as 1", 500 * ms, 5 * time.Second, []int{0, -1, math.MinInt},
			[]time.Duration{500 * ms, 500 * ms, 500 * ms}},
		{"huge attempt numbers stay at the ceiling", time.Second, 30 * time.Second, []int{63, 64, 1 << 40, math.MaxInt},
			[]time.Duration{30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}},
		{"no overflow near the largest duration", time.Nanosecond, math.MaxInt64, []int{63, 64, math.MaxInt},
			[]time.Duration{1 << 62, math.MaxInt64, math.MaxInt64}},
		{"first above the ceiling is capped", time.Minute, time.Second, []int{1, 2},
			[]time.Duration{time.Second, time.Second}},
		{"no first, no pause", 0, time.Second, []int{1, math.MaxInt}, []time.Duration{0, 0}},
		{"no ceiling, no pause", time.Second, 0, []int{1, 3}, []time.Duration{0, 0}},
		{"negative first, no pause", -time.Second, time.Second, []int{2}, []time.Duration{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backoff := Exponential(tt.first, tt.ceiling)
			for i, n := range tt.attempts {
				if got := backoff(n); got != tt.want[i] {
					t.Errorf("Exponential(%v, %v)(%d) = %v, want %v", tt.first, tt.ceiling, n, got, tt.want[i])
				}
			}
		})
	}
}

// TestDoSleepFailsAfterCancel: when ctx has ended, Do returns ctx's error
// even if an injected Sleep reports the ending in its own words.
func TestDoSleepFailsAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := Policy{Attempts: 3, Sleep: func(context.Context, time.Duration) error {
		cancel()
		return errSleep
	}}
	n, err := Do(ctx, p, func(context.Context) error { return errTransient })
	if n != 1 || err != context.Canceled {
		t.Errorf("Do = %d, %v; want 1, context.Canceled", n, err)
	}
}
