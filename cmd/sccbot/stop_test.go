package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRunBoundedGivesUp: a component that ignores its context cannot keep
// the process alive past the bound; one that stops is waited for.
func TestRunBoundedGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stuck := make(chan struct{})
	defer close(stuck)
	done := make(chan error, 1)
	go func() {
		done <- runBounded(ctx, func(context.Context) error { <-stuck; return nil }, 50*time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "did not stop within 50ms") {
		t.Errorf("runBounded = %v, want the bound named", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	want := errors.New("socket refused")
	go func() {
		done <- runBounded(ctx, func(ctx context.Context) error { <-ctx.Done(); return want }, time.Hour, slog.New(slog.DiscardHandler))
	}()
	cancel()
	if err := <-done; !errors.Is(err, want) {
		t.Errorf("runBounded = %v, want the component's own result", err)
	}
}
