package slackfake

import (
	"context"
	"fmt"
)

// await blocks until done reports true, ctx ends or the Server closes. done
// and get run under mu, in the same critical section when done holds, so
// what get returns satisfies the condition. On failure get still returns
// what there is, which makes failure messages useful. Every state change
// closes s.changed, so waiting costs no polling.
func await[T any](ctx context.Context, s *Server, done func() bool, get func() T) (T, error) {
	for {
		s.mu.Lock()
		ok := done()
		v := get()
		changed, closed := s.changed, s.closed
		s.mu.Unlock()
		switch {
		case ok:
			return v, nil
		case closed:
			return v, ErrClosed
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-changed:
		}
	}
}

// lazy wraps a getter so that it runs only when its result is returned:
// await calls get on every wake-up, and copying a long channel on each one
// would make waits quadratic.
func lazy[T any](done func() bool, get func() T) (func() bool, func() T) {
	var ok bool
	return func() bool { ok = done(); return ok }, func() T {
		var zero T
		if !ok {
			return zero
		}
		return get()
	}
}

// WaitMessages waits until the channel (ID or "#name") has at least n
// top-level messages and returns them all.
func (s *Server) WaitMessages(ctx context.Context, channel string, n int) ([]Message, error) {
	list := func() []*message { return s.store.topLevel(s.dir.lookup(channel)) }
	done, get := lazy(func() bool { return len(list()) >= n }, func() []Message { return exportMessages(list()) })
	msgs, err := await(ctx, s, done, get)
	if err != nil {
		have := s.Messages(channel)
		return have, fmt.Errorf("slackfake: waiting for %d messages in %s, have %d: %w", n, channel, len(have), err)
	}
	return msgs, nil
}

// WaitThread waits until the message ts has at least n replies and returns
// them all.
func (s *Server) WaitThread(ctx context.Context, channel, ts string, n int) ([]Message, error) {
	list := func() []*message { return s.store.replies(s.dir.lookup(channel), ts) }
	done, get := lazy(func() bool { return len(list()) >= n }, func() []Message { return exportMessages(list()) })
	msgs, err := await(ctx, s, done, get)
	if err != nil {
		have := s.Thread(channel, ts)
		return have, fmt.Errorf("slackfake: waiting for %d replies to %s in %s, have %d: %w",
			n, ts, channel, len(have), err)
	}
	return msgs, nil
}

// WaitEdits waits until the message ts has been edited at least n times
// and returns it.
func (s *Server) WaitEdits(ctx context.Context, channel, ts string, n int) (Message, error) {
	find := func() *message { return s.store.find(s.dir.lookup(channel), ts) }
	done := func() bool { m := find(); return m != nil && m.Edits >= n }
	m, err := await(ctx, s, done, func() Message {
		if m := find(); m != nil {
			return m.clone()
		}
		return Message{}
	})
	if err != nil {
		return m, fmt.Errorf("slackfake: waiting for %d edits of %s in %s, have %d: %w", n, ts, channel, m.Edits, err)
	}
	return m, nil
}

// WaitCalls waits until method ("" for any) has been called at least n
// times and returns its calls.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	done, get := lazy(func() bool { return s.countCalls(method) >= n }, func() []Call { return s.callsLocked(method) })
	calls, err := await(ctx, s, done, get)
	if err != nil {
		have := s.Calls(method)
		return have, fmt.Errorf("slackfake: waiting for %d %s calls, have %d: %w", n, method, len(have), err)
	}
	return calls, nil
}

// WaitResponses waits until the response_url id has accepted at least n
// posts and returns them.
func (s *Server) WaitResponses(ctx context.Context, id string, n int) ([]Response, error) {
	done := func() bool { return len(s.store.responses[id]) >= n }
	_, err := await(ctx, s, done, func() struct{} { return struct{}{} })
	have := s.Responses(id)
	if err != nil {
		return have, fmt.Errorf("slackfake: waiting for %d posts to response_url %s, have %d: %w", n, id, len(have), err)
	}
	return have, nil
}

// WaitEphemerals waits until at least n ephemeral messages went to user
// ("" for any) in channel ("" for any) and returns them.
func (s *Server) WaitEphemerals(ctx context.Context, channel, user string, n int) ([]Ephemeral, error) {
	done := func() bool {
		id, count := s.dir.lookup(channel), 0
		for _, e := range s.store.ephemerals {
			if (channel == "" || e.Channel == id) && (user == "" || e.User == user) {
				count++
			}
		}
		return count >= n
	}
	_, err := await(ctx, s, done, func() struct{} { return struct{}{} })
	have := s.Ephemerals(channel, user)
	if err != nil {
		return have, fmt.Errorf("slackfake: waiting for %d ephemerals, have %d: %w", n, len(have), err)
	}
	return have, nil
}

// WaitViews waits until at least n views.* calls succeeded and returns them.
func (s *Server) WaitViews(ctx context.Context, n int) ([]View, error) {
	done := func() bool { return len(s.store.views) >= n }
	_, err := await(ctx, s, done, func() struct{} { return struct{}{} })
	have := s.Views()
	if err != nil {
		return have, fmt.Errorf("slackfake: waiting for %d views, have %d: %w", n, len(have), err)
	}
	return have, nil
}

// WaitReply waits until a reply to the message ts, as it stands now
// (edits included), satisfies match, and returns it. match gets each
// reply with its position in the thread; it runs with the fake locked, so
// it must only look at the message.
func (s *Server) WaitReply(ctx context.Context, channel, ts string, match func(i int, m Message) bool) (Message, error) {
	var found Message
	done := func() bool {
		for i, c := range exportMessages(s.store.replies(s.dir.lookup(channel), ts)) {
			if match(i, c) {
				found = c
				return true
			}
		}
		return false
	}
	m, err := await(ctx, s, done, func() Message { return found })
	if err != nil {
		return m, fmt.Errorf("slackfake: waiting for a matching reply to %s in %s: %w", ts, channel, err)
	}
	return m, nil
}

// WaitMessage waits until the message ts, as it stands now (edits
// included), satisfies match, and returns it. match runs with the fake
// locked, so it must only look at the message.
func (s *Server) WaitMessage(ctx context.Context, channel, ts string, match func(Message) bool) (Message, error) {
	var found Message
	done := func() bool {
		m := s.store.find(s.dir.lookup(channel), ts)
		if m == nil {
			return false
		}
		found = m.clone()
		return match(found)
	}
	m, err := await(ctx, s, done, func() Message { return found })
	if err != nil {
		return m, fmt.Errorf("slackfake: waiting for message %s in %s to match: %w", ts, channel, err)
	}
	return m, nil
}
