package playbooks

import (
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// onReplica gives h's runner a replica id, and returns another runner on
// the same store as replica id.
func (h *harness) onReplica(id string, interrupted chan<- bot.ActionRequest) *Runner {
	r := h.newRunner(defaultRules())
	r.replicas = &ReplicaOptions{Store: h.db, ID: id, DeadAfter: 10 * time.Second,
		OnInterrupted: func(req bot.ActionRequest) { interrupted <- req }}
	return r
}

func (h *harness) beat(id string) {
	h.t.Helper()
	if err := h.db.Heartbeat(h.t.Context(), id); err != nil {
		h.t.Fatal(err)
	}
}

// TestInterruptedOnDeadReplica: an action running on replica a is left
// alone by replica b's sweep while a beats; once a is dead, b's sweep
// shows it as interrupted ("may have been applied"), at once rather than
// after ExecTimeout, and never runs it again.
func TestInterruptedOnDeadReplica(t *testing.T) {
	h := newHarness(t, nil, nil)
	interrupted := make(chan bot.ActionRequest, 2)
	h.runner = h.onReplica("replica-a", interrupted)
	b := h.onReplica("replica-b", interrupted)
	h.resp.block, h.resp.entered = make(chan struct{}), make(chan string, 1)
	req := h.request(alice)
	approved := make(chan bot.ActionRequest, 1)
	go func() {
		got, _, _ := h.runner.Approve(t.Context(), req.ID, bob)
		approved <- got
	}()
	<-h.resp.entered
	h.beat("replica-a")
	h.beat("replica-b")
	if err := b.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.db.Request(t.Context(), req.ID); got.State != bot.RequestRunning {
		t.Fatalf("request while its replica beats = %s, want running", got.State)
	}
	h.clock.Advance(11 * time.Second) // a stops beating; far less than ExecTimeout
	h.beat("replica-b")
	if err := h.runner.Sweep(t.Context()); err != nil { // a's own sweep spares its own execution
		t.Fatal(err)
	}
	if err := b.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, _ := h.db.Request(t.Context(), req.ID)
	if got.State != bot.RequestFailed || got.Error != msgInterrupted {
		t.Errorf("request once its replica is dead = %s %q, want failed with %q", got.State, got.Error, msgInterrupted)
	}
	if r := <-interrupted; r.ID != req.ID {
		t.Errorf("interrupted %s, want %s", r.ID, req.ID)
	}
	close(h.resp.block) // the "dead" replica finishes: its outcome loses to the failure
	<-approved
	if final, _ := h.db.Request(t.Context(), req.ID); final.State != bot.RequestFailed || final.Error != msgInterrupted {
		t.Errorf("the late finish left the request %s %q, want it failed as interrupted", final.State, final.Error)
	}
	if err := b.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-interrupted:
		t.Errorf("%s shown as interrupted twice", r.ID)
	default:
	}
	if runs := len(h.resp.runs); runs != 1 {
		t.Errorf("the action ran %d times, want once", runs)
	}
}
