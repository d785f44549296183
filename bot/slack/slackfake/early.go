package slackfake

import "time"

// earlyPosts watches the fake's own 429s to chat.postMessage: each one
// opens a window, per channel, that ends when its Retry-After does, and a
// post to that channel inside the window is early. A client that honours
// Retry-After (across all its replicas) makes none. Guarded by Server.mu.
type earlyPosts struct {
	windows map[string]time.Time // channel (ID, or the name as sent) -> end
	count   int
}

// notePost counts req as early if it posts inside a window. It runs before
// the call is answered, so the call's own 429 does not count against it.
// The caller holds mu.
func (s *Server) notePost(req *apiRequest) {
	if req.method != "chat.postMessage" || s.early.windows == nil {
		return
	}
	ref := req.get("channel")
	now := s.now()
	for _, key := range []string{ref, s.dir.lookup(ref)} {
		if end, ok := s.early.windows[key]; ok && now.Before(end) {
			s.early.count++
			return
		}
	}
}

// noteRetryAfter opens a window when the fake answered a post with 429 and
// a Retry-After, whether a WithPostRate bucket or RateLimitNext imposed
// it. The caller holds mu.
func (s *Server) noteRetryAfter(req *apiRequest, res apiResult) {
	if req.method != "chat.postMessage" || res.retryAfter <= 0 {
		return
	}
	if s.early.windows == nil {
		s.early.windows = map[string]time.Time{}
	}
	end := s.now().Add(time.Duration(res.retryAfter) * time.Second)
	key := s.dir.lookup(req.get("channel"))
	if end.After(s.early.windows[key]) {
		s.early.windows[key] = end
	}
}

// EarlyPosts is how many chat.postMessage calls reached a channel while a
// Retry-After the fake had answered for that channel was still running:
// posts a well-behaved client (or set of replicas) never makes. Such posts
// are answered as any other; this only counts them.
func (s *Server) EarlyPosts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early.count
}
