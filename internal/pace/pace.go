// Package pace is the token-bucket arithmetic behind Slack's posting pace
// (about one message a second per channel, short bursts), kept apart from
// where the bucket lives: the outbox's memory for one replica, a store's
// row for several. Each holder applies the same two steps, Take and Pause,
// to its copy of State, so that every replica computes the same slots.
//
// A take always succeeds and says how long to wait before using its slot:
// tokens go negative to hold slots reserved in the future, so concurrent
// takers queue behind each other instead of retrying. A pause (Slack's 429
// with Retry-After) is recorded as Until and folded into the bucket by the
// next take: at Until the bucket holds at most one token.
package pace

import "time"

// State is one bucket: Tokens is its level at Last, which may lie in the
// future when slots beyond a pause are reserved; Until is the end of the
// latest pause (zero if none).
type State struct {
	Tokens float64
	Last   time.Time
	Until  time.Time
}

// Fresh is the state of a bucket nobody has taken from yet: full.
func Fresh(burst int, now time.Time) State {
	return State{Tokens: float64(max(burst, 1)), Last: now}
}

// Take spends one token at now and returns the new state and how long the
// taker waits for its slot. interval is the time one token takes to come
// back; burst is how many the bucket holds.
func (s State) Take(now time.Time, interval time.Duration, burst int) (State, time.Duration) {
	s = s.fold(interval, burst)
	t := s.Last
	if now.After(t) {
		t = now
	}
	level := refill(s.Tokens, t.Sub(s.Last), interval, burst) - 1
	wait := t.Sub(now)
	if level < 0 {
		wait += time.Duration(-level * float64(interval))
	}
	s.Tokens, s.Last = level, t
	return s, wait
}

// Pause records that nothing may be sent before until.
func (s State) Pause(until time.Time) State {
	if until.After(s.Until) {
		s.Until = until
	}
	return s
}

// PausedAt reports whether now falls in a pause, and its end.
func (s State) PausedAt(now time.Time) (time.Time, bool) {
	return s.Until, now.Before(s.Until)
}

// fold applies a pause the bucket has not seen yet: the level is carried
// to the pause's end and capped at one token, so that the first slot after
// a 429 is its Retry-After and the next ones follow at the pace. Slots
// reserved before the pause keep their debt; their takers find the pause
// when they wake and take again.
func (s State) fold(interval time.Duration, burst int) State {
	if !s.Until.After(s.Last) {
		return s
	}
	s.Tokens = min(1, refill(s.Tokens, s.Until.Sub(s.Last), interval, burst))
	s.Last = s.Until
	return s
}

// refill is the level after elapsed, capped at burst.
func refill(tokens float64, elapsed, interval time.Duration, burst int) float64 {
	if elapsed > 0 && interval > 0 {
		tokens += float64(elapsed) / float64(interval)
	}
	return min(float64(max(burst, 1)), tokens)
}
