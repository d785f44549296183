package storerow

import (
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// The stores' conformance suite (bot/storetest) covers this package through
// both engines; these are the edges a store's figures cannot reach easily.

func TestMean(t *testing.T) {
	for _, c := range []struct {
		n, secs, nanos int64
		want           time.Duration
	}{
		{0, 0, 0, 0},
		{2, 3, 0, 1500 * time.Millisecond},
		{3, 1, 0, 333333333},                     // rounded down
		{2, 2, -1, time.Second - 1},              // a negative nanosecond remainder rounds down, not towards zero
		{4, 1 << 32, 4, (1<<30)*time.Second + 1}, // large sums divide before they multiply
	} {
		if got := Mean(c.n, c.secs, c.nanos); got != c.want {
			t.Errorf("Mean(%d, %d, %d) = %d, want %d", c.n, c.secs, c.nanos, got, c.want)
		}
	}
}

func TestTransitions(t *testing.T) {
	for _, c := range []struct {
		from []bot.RequestState
		to   bot.RequestState
		ok   bool
	}{
		{[]bot.RequestState{bot.RequestPending}, bot.RequestRunning, true},
		{[]bot.RequestState{bot.RequestPending, bot.RequestRunning}, bot.RequestFailed, false},
		{[]bot.RequestState{bot.RequestDone}, bot.RequestPending, false},
		{nil, bot.RequestRunning, false},
	} {
		if err := CheckTransitions(c.from, c.to); (err == nil) != c.ok {
			t.Errorf("CheckTransitions(%v, %s) = %v, want ok %v", c.from, c.to, err, c.ok)
		}
	}
	cur := bot.ActionRequest{ID: "r", Finding: "f", Action: "a", RequestedBy: "U1", State: bot.RequestPending,
		Result: bot.ActionResult{Details: []string{"x"}}}
	next := Next(cur, bot.RequestRunning, func(r *bot.ActionRequest) {
		r.ID, r.RequestedBy, r.DecidedBy = "other", "U9", "U2"
		r.Result.Details[0] = "changed"
	})
	if next.ID != "r" || next.RequestedBy != "U1" || next.DecidedBy != "U2" || next.State != bot.RequestRunning {
		t.Errorf("Next = %+v: identity must stay, the decision and state must move", next)
	}
	if cur.Result.Details[0] != "x" {
		t.Error("Next's update changed the current request's details")
	}
}
