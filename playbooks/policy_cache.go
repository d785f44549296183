package playbooks

import (
	"context"
	"slices"
	"sync"
	"time"
)

// DefaultGroupTTL is how long a GroupCache trusts a group's members when
// not told otherwise: short enough that removing someone from a group
// takes effect within a minute, long enough that a burst of clicks makes
// one call (usergroups.users.list is Tier 2, about 20 calls a minute).
const DefaultGroupTTL = time.Minute

// GroupCache is a Groups that remembers each group's members for a TTL and
// makes at most one lookup per group at a time, however many clicks
// arrive together. It fails closed: a failed lookup is not cached, and
// an expired entry is never served in its place, so a lookup failure is
// an error (and a denial) until a lookup succeeds again.
type GroupCache struct {
	groups Groups
	ttl    time.Duration
	now    func() time.Time

	mu       sync.Mutex
	entries  map[string]groupEntry
	inflight map[string]*groupCall
	// gen counts invalidations; a lookup that overlapped one is not cached,
	// since it may have read the membership from before the change.
	gen uint64
	// joined counts callers that waited for another's lookup instead of
	// making their own; tests read it to know a burst has gathered.
	joined int
}

// groupEntry is a group's members as of at.
type groupEntry struct {
	members []string
	at      time.Time
}

// groupCall is one lookup in flight; done closes when it ends.
type groupCall struct {
	done    chan struct{}
	members []string
	err     error
}

// NewGroupCache caches groups' answers for ttl (DefaultGroupTTL if not
// positive), by the clock now (time.Now if nil).
func NewGroupCache(groups Groups, ttl time.Duration, now func() time.Time) *GroupCache {
	if ttl <= 0 {
		ttl = DefaultGroupTTL
	}
	if now == nil {
		now = time.Now
	}
	return &GroupCache{groups: groups, ttl: ttl, now: now,
		entries: map[string]groupEntry{}, inflight: map[string]*groupCall{}}
}

// Members returns the group's members, from the cache while fresh. A
// caller that finds a lookup in flight waits for it (or for its own ctx)
// instead of making another; the lookup runs under the context of the
// caller that started it.
func (c *GroupCache) Members(ctx context.Context, groupID string) ([]string, error) {
	c.mu.Lock()
	if e, ok := c.entries[groupID]; ok && c.now().Sub(e.at) < c.ttl {
		c.mu.Unlock()
		return slices.Clone(e.members), nil
	}
	call, joined := c.inflight[groupID]
	if joined {
		c.joined++
	} else {
		call = &groupCall{done: make(chan struct{})}
		c.inflight[groupID] = call
	}
	c.mu.Unlock()
	if !joined {
		c.lookup(ctx, groupID, call)
	}
	select {
	case <-call.done:
		return slices.Clone(call.members), call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lookup asks groups and publishes the answer to everyone waiting on call.
func (c *GroupCache) lookup(ctx context.Context, groupID string, call *groupCall) {
	c.mu.Lock()
	at, gen := c.now(), c.gen
	c.mu.Unlock()
	call.members, call.err = c.groups.Members(ctx, groupID)
	c.mu.Lock()
	delete(c.inflight, groupID)
	if call.err == nil && gen == c.gen {
		c.entries[groupID] = groupEntry{members: call.members, at: at}
	} else {
		delete(c.entries, groupID)
	}
	c.mu.Unlock()
	close(call.done)
}

// Invalidate forgets a group's members, for when Slack says they changed
// (the subteam_members_changed event).
func (c *GroupCache) Invalidate(groupID string) {
	c.mu.Lock()
	delete(c.entries, groupID)
	c.gen++
	c.mu.Unlock()
}
