package playbooks

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock safe for concurrent use.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestGroupCacheTTL(t *testing.T) {
	clock := newTestClock()
	groups := &fakeGroups{members: map[string][]string{"S0SEC": {"U0ALICE"}}}
	c := NewGroupCache(groups, time.Minute, clock.Now)
	members := func() []string {
		t.Helper()
		m, err := c.Members(t.Context(), "S0SEC")
		if err != nil {
			t.Fatalf("Members: %v", err)
		}
		return m
	}
	members()[0] = "U0EVIL" // a caller changing its copy changes nothing
	clock.Advance(time.Minute - time.Nanosecond)
	if got := members(); !slices.Equal(got, []string{"U0ALICE"}) || groups.callsTo("S0SEC") != 1 {
		t.Errorf("within the TTL: members %v after %d lookups, want [U0ALICE] after 1", got, groups.callsTo("S0SEC"))
	}
	clock.Advance(time.Nanosecond)
	members()
	if n := groups.callsTo("S0SEC"); n != 2 {
		t.Errorf("after the TTL: %d lookups, want 2", n)
	}
	c.Invalidate("S0SEC")
	members()
	if n := groups.callsTo("S0SEC"); n != 3 {
		t.Errorf("after Invalidate: %d lookups, want 3", n)
	}
}

// TestGroupCacheFailsClosed: a failure is not cached, and a stale entry is
// not served in its place.
func TestGroupCacheFailsClosed(t *testing.T) {
	clock := newTestClock()
	groups := &fakeGroups{members: map[string][]string{"S0SEC": {"U0ALICE"}}}
	c := NewGroupCache(groups, time.Minute, clock.Now)
	if _, err := c.Members(t.Context(), "S0SEC"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	groups.mu.Lock()
	groups.fail = map[string]error{"S0SEC": errSlackDown}
	groups.mu.Unlock()
	for i := range 2 {
		if m, err := c.Members(t.Context(), "S0SEC"); !errors.Is(err, errSlackDown) || m != nil {
			t.Errorf("lookup %d while Slack fails = %v, %v; want the error and no members", i, m, err)
		}
	}
	if n := groups.callsTo("S0SEC"); n != 3 {
		t.Errorf("%d lookups, want 3: failures must not be cached", n)
	}
}

// blockingGroups answers only when released, and counts calls.
type blockingGroups struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	calls   int
}

func (g *blockingGroups) Members(ctx context.Context, _ string) ([]string, error) {
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()
	g.entered <- struct{}{}
	<-g.release
	return []string{"U0ALICE"}, nil
}

// TestGroupCacheSingleFlight: a burst of 20 clicks makes one lookup.
func TestGroupCacheSingleFlight(t *testing.T) {
	groups := &blockingGroups{entered: make(chan struct{}, 20), release: make(chan struct{})}
	c := NewGroupCache(groups, time.Minute, newTestClock().Now)
	const callers = 20
	results := make(chan error, callers)
	for range callers {
		go func() {
			m, err := c.Members(t.Context(), "S0SEC")
			if err == nil && !slices.Equal(m, []string{"U0ALICE"}) {
				err = errors.New("wrong members")
			}
			results <- err
		}()
	}
	<-groups.entered
	for {
		c.mu.Lock()
		n := c.joined
		c.mu.Unlock()
		if n == callers-1 {
			break
		}
		runtime.Gosched()
	}
	close(groups.release)
	for range callers {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	if groups.calls != 1 {
		t.Errorf("%d lookups for one burst, want 1", groups.calls)
	}
}

// TestGroupCacheInvalidateDuringLookup: a lookup that overlapped an
// invalidation may hold the old membership, so it is not cached.
func TestGroupCacheInvalidateDuringLookup(t *testing.T) {
	groups := &blockingGroups{entered: make(chan struct{}, 2), release: make(chan struct{}, 2)}
	c := NewGroupCache(groups, time.Minute, newTestClock().Now)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := c.Members(t.Context(), "S0SEC"); err != nil {
			t.Error(err)
		}
	}()
	<-groups.entered
	c.Invalidate("S0SEC")
	groups.release <- struct{}{}
	<-done
	groups.release <- struct{}{}
	if _, err := c.Members(t.Context(), "S0SEC"); err != nil {
		t.Fatal(err)
	}
	<-groups.entered
	if groups.calls != 2 {
		t.Errorf("%d lookups, want 2: the overlapping answer must not be cached", groups.calls)
	}
}
