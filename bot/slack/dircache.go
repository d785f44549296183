package slack

import (
	"context"
	"sync"
	"time"
)

// ttlCache keeps answers for a while and makes concurrent misses of one
// key share a single call (single flight): a burst of clicks on an
// approval costs one usergroups.users.list, which is Tier 2 (20+ a
// minute). Errors are never kept, so a failed lookup is retried by the
// next caller instead of denying everyone for a whole TTL.
type ttlCache[V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry[V]
	flights map[string]*flight[V]
}

type cacheEntry[V any] struct {
	val     V
	expires time.Time
}

// flight is one call in progress; every caller that missed the key while
// it runs waits for its result.
type flight[V any] struct {
	done    chan struct{}
	val     V
	err     error
	waiters int
}

func newTTLCache[V any](ttl time.Duration, max int, now func() time.Time) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, max: max, now: now,
		entries: map[string]cacheEntry[V]{}, flights: map[string]*flight[V]{}}
}

// get returns the cached value for key, or joins (or starts) the flight
// that loads it. The load runs detached from the caller that started it,
// so one caller giving up does not fail the others; it gets its own
// deadline from load's context instead.
func (c *ttlCache[V]) get(ctx context.Context, key string, load func() (V, error)) (V, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && c.now().Before(e.expires) {
		c.mu.Unlock()
		return e.val, nil
	}
	f := c.flights[key]
	if f == nil {
		f = &flight[V]{done: make(chan struct{})}
		c.flights[key] = f
		go c.fly(key, f, load)
	}
	f.waiters++
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

func (c *ttlCache[V]) fly(key string, f *flight[V], load func() (V, error)) {
	val, err := load()
	c.mu.Lock()
	f.val, f.err = val, err
	delete(c.flights, key)
	if err == nil {
		c.put(key, val)
	}
	c.mu.Unlock()
	close(f.done)
}

// put stores val. When the cache is full it first drops expired entries,
// then an arbitrary one: the bound matters more than which entry goes,
// since keys such as e-mail addresses can come from findings. The caller
// holds mu.
func (c *ttlCache[V]) put(key string, val V) {
	now := c.now()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = cacheEntry[V]{val: val, expires: now.Add(c.ttl)}
}

// forget drops key, so the next get asks Slack again.
func (c *ttlCache[V]) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}

// waiting reports how many callers share the flight for key (tests use it
// to know every concurrent miss has joined).
func (c *ttlCache[V]) waiting(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.flights[key]; f != nil {
		return f.waiters
	}
	return 0
}
