package handlers

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Running is a piece of work a person started from a card.
type Running struct {
	Action string
	Label  string
	UserID string
	Since  time.Time
}

// Tracker knows what is running for each finding, so that a second click
// on the same button joins the first instead of starting the work again,
// and so that the card can show what is in progress.
type Tracker struct {
	mu      sync.Mutex
	running map[string]map[string]Running // finding name → action → work
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker {
	return &Tracker{running: map[string]map[string]Running{}}
}

// Start records that work begins; it returns false and the work already
// running when the same action runs for the finding.
func (t *Tracker) Start(finding string, w Running) (bool, Running) {
	t.mu.Lock()
	defer t.mu.Unlock()
	actions := t.running[finding]
	if prev, ok := actions[w.Action]; ok {
		return false, prev
	}
	if actions == nil {
		actions = map[string]Running{}
		t.running[finding] = actions
	}
	actions[w.Action] = w
	return true, Running{}
}

// Done records that the action finished for the finding.
func (t *Tracker) Done(finding, action string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.running[finding], action)
	if len(t.running[finding]) == 0 {
		delete(t.running, finding)
	}
}

// Running lists the work in progress for a finding, oldest first.
func (t *Tracker) Running(finding string) []Running {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Running
	for _, w := range t.running[finding] {
		out = append(out, w)
	}
	sortRunning(out)
	return out
}

func sortRunning(rs []Running) {
	slices.SortFunc(rs, func(a, b Running) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.Action, b.Action)
	})
}
