package replica

import (
	"context"
	"errors"
	"testing"
)

// beats records a heartbeat's calls on channels.
type beats struct {
	beat  chan string
	left  chan string
	fails int
}

func (b *beats) Heartbeat(ctx context.Context, id string) error {
	if b.fails > 0 {
		b.fails--
		return errors.New("database away")
	}
	select {
	case b.beat <- id:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *beats) LeaveReplica(ctx context.Context, id string) error {
	if ctx.Err() != nil {
		return ctx.Err() // the goodbye must not use the ended context
	}
	b.left <- id
	return nil
}

// TestHeartbeatBeatsAndLeaves: the heartbeat beats at once and on every
// tick, keeps beating after a failure, and leaves when it stops.
func TestHeartbeatBeatsAndLeaves(t *testing.T) {
	store := &beats{beat: make(chan string, 10), left: make(chan string, 1), fails: 1}
	h := NewHeartbeat(store, HeartbeatOptions{ID: "r1", Every: 1})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	for range 3 {
		if id := <-store.beat; id != "r1" {
			t.Fatalf("beat as %q, want r1", id)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	select {
	case id := <-store.left:
		if id != "r1" {
			t.Errorf("left as %q", id)
		}
	default:
		t.Error("the heartbeat stopped without leaving")
	}
}
