package playbooks

import (
	"sync"

	"github.com/sccbot/sccbot/bot"
)

// RequestFeed carries the runner's request changes, in order, to the one
// component that shows them. Publishing never blocks the runner: the feed
// queues without bound (a change is a few hundred bytes and the reader
// drains them as fast as Slack takes edits), and a reader that wakes late
// still gets every change, so no state a request went through is lost.
type RequestFeed struct {
	mu      sync.Mutex
	pending []bot.ActionRequest
	wake    chan struct{}
}

func newRequestFeed() *RequestFeed { return &RequestFeed{wake: make(chan struct{}, 1)} }

// publish queues a change and wakes the reader.
func (f *RequestFeed) publish(req bot.ActionRequest) {
	f.mu.Lock()
	f.pending = append(f.pending, req)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Ready is signalled when changes are waiting.
func (f *RequestFeed) Ready() <-chan struct{} { return f.wake }

// Take returns the changes published since the last Take, oldest first.
func (f *RequestFeed) Take() []bot.ActionRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.pending
	f.pending = nil
	return out
}
