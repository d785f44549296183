package pace

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)

// takeAll takes n tokens at now, one after the other, and returns the waits.
func takeAll(s *State, n int, now time.Time, interval time.Duration, burst int) []time.Duration {
	var out []time.Duration
	for range n {
		var w time.Duration
		*s, w = s.Take(now, interval, burst)
		out = append(out, w)
	}
	return out
}

func TestBurstThenOneAnInterval(t *testing.T) {
	s := Fresh(3, t0)
	got := takeAll(&s, 6, t0, time.Second, 3)
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 3 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits = %v, want %v", got, want)
		}
	}
}

func TestRefillIsCappedAtBurst(t *testing.T) {
	s := Fresh(2, t0)
	takeAll(&s, 2, t0, time.Second, 2)
	// An hour idle refills two tokens, not 3600.
	got := takeAll(&s, 3, t0.Add(time.Hour), time.Second, 2)
	if got[0] != 0 || got[1] != 0 || got[2] != time.Second {
		t.Errorf("waits after an idle hour = %v, want [0 0 1s]", got)
	}
}

func TestHalfIntervalLater(t *testing.T) {
	s := Fresh(1, t0)
	s, _ = s.Take(t0, time.Second, 1)
	_, w := s.Take(t0.Add(400*time.Millisecond), time.Second, 1)
	if w != 600*time.Millisecond {
		t.Errorf("wait = %v, want 600ms", w)
	}
}

func TestPauseMakesEveryTakerWaitAndQueue(t *testing.T) {
	s := Fresh(3, t0)
	s = s.Pause(t0.Add(5 * time.Second))
	if until, paused := s.PausedAt(t0.Add(time.Second)); !paused || !until.Equal(t0.Add(5*time.Second)) {
		t.Errorf("PausedAt = %v %v, want paused until +5s", until, paused)
	}
	got := takeAll(&s, 3, t0.Add(time.Second), time.Second, 3)
	// The pause leaves one token at its end; the rest come at the pace.
	want := []time.Duration{4 * time.Second, 5 * time.Second, 6 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits = %v, want %v", got, want)
		}
	}
	if _, paused := s.PausedAt(t0.Add(5 * time.Second)); paused {
		t.Error("still paused at the pause's end")
	}
}

func TestEarlierPauseDoesNotShorten(t *testing.T) {
	s := Fresh(1, t0).Pause(t0.Add(10 * time.Second)).Pause(t0.Add(2 * time.Second))
	if _, w := s.Take(t0, time.Second, 1); w != 10*time.Second {
		t.Errorf("wait = %v, want the later pause's 10s", w)
	}
}

func TestPauseAfterReservationsKeepsTheirDebt(t *testing.T) {
	s := Fresh(1, t0)
	takeAll(&s, 3, t0, time.Second, 1) // slots at 0, 1s, 2s
	s = s.Pause(t0.Add(time.Second))
	// The pause ends before the reserved slots do: a new taker still
	// queues behind them.
	if _, w := s.Take(t0, time.Second, 1); w != 3*time.Second {
		t.Errorf("wait = %v, want 3s behind the reserved slots", w)
	}
}
