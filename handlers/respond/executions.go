package respond

import (
	"context"
	"sync"
)

// executions runs the long part of a response (a request that needs no
// approval runs at once; an approval runs the action) on goroutines of its
// own, so that an action of up to ExecTimeout never holds one of the few
// Slack workers that every click and dialog shares. Closing waits for the
// work in flight; work handed over after that runs on the caller, where
// the runner refuses it with "restarting" at once.
type executions struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// run runs fn in the background, detached from ctx's cancellation (an
// action is never abandoned half done) but keeping its values.
func (e *executions) run(ctx context.Context, fn func(ctx context.Context)) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		fn(ctx)
		return
	}
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		fn(context.WithoutCancel(ctx))
	}()
}

// close refuses new background work and waits for what runs.
func (e *executions) close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.wg.Wait()
}
