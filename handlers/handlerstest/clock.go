package handlerstest

import (
	"sync"
	"testing"
	"time"
)

// Paris is Europe/Paris, a zone with daylight saving, for tests of local times.
func Paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestClock is a settable clock.
type TestClock struct {
	mu sync.Mutex
	T  time.Time
}

// Now is the clock's time.
func (c *TestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.T
}

// Set moves the clock to t.
func (c *TestClock) Set(t time.Time) {
	c.mu.Lock()
	c.T = t
	c.mu.Unlock()
}
