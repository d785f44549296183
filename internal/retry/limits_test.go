package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimitsOr(t *testing.T) {
	backoff := func(int) time.Duration { return time.Second }
	sleep := func(context.Context, time.Duration) error { return nil }
	def := Limits{Timeout: time.Minute, Attempts: 3, Backoff: backoff, Sleep: sleep}

	got := Limits{}.Or(def)
	if got.Timeout != time.Minute || got.Attempts != 3 || got.Backoff == nil || got.Sleep == nil {
		t.Errorf("Limits{}.Or(defaults) = %+v, want every default", got)
	}
	got = Limits{Timeout: -1, Attempts: -2}.Or(def)
	if got.Timeout != time.Minute || got.Attempts != 3 {
		t.Errorf("negative limits were kept: %+v", got)
	}
	own := func(int) time.Duration { return 0 }
	got = Limits{Timeout: time.Second, Attempts: 7, Backoff: own}.Or(def)
	if got.Timeout != time.Second || got.Attempts != 7 || got.Backoff(1) != 0 {
		t.Errorf("set limits were replaced: %+v", got)
	}
}

// The Policy of some Limits makes calls within them and retries what the
// adapter says is transient.
func TestLimitsPolicy(t *testing.T) {
	transient := errors.New("transient")
	var pauses []time.Duration
	var retried []int
	l := Limits{
		Attempts: 3,
		Backoff:  func(n int) time.Duration { return time.Duration(n) * time.Second },
		Sleep:    func(_ context.Context, d time.Duration) error { pauses = append(pauses, d); return nil },
	}
	p := l.Policy(func(err error) bool { return errors.Is(err, transient) },
		func(attempt int, _ error, _ time.Duration) { retried = append(retried, attempt) })
	calls := 0
	attempts, err := Do(context.Background(), p, func(context.Context) error { calls++; return transient })
	if attempts != 3 || calls != 3 || !errors.Is(err, transient) {
		t.Fatalf("Do = %d, %v after %d calls; want 3 attempts ending in the transient error", attempts, err, calls)
	}
	if len(pauses) != 2 || pauses[0] != time.Second || pauses[1] != 2*time.Second {
		t.Errorf("pauses = %v, want [1s 2s]", pauses)
	}
	if len(retried) != 2 {
		t.Errorf("OnRetry calls = %v, want 2", retried)
	}
	permanent := errors.New("permanent")
	calls = 0
	if attempts, _ := Do(context.Background(), p, func(context.Context) error { calls++; return permanent }); attempts != 1 {
		t.Errorf("a permanent error was retried: %d attempts", attempts)
	}
}

func TestAttempts(t *testing.T) {
	for n, want := range map[int]string{1: "1 attempt", 0: "0 attempts", 3: "3 attempts"} {
		if got := Attempts(n); got != want {
			t.Errorf("Attempts(%d) = %q, want %q", n, got, want)
		}
	}
}
