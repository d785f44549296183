package slack

import (
	"testing"

	"github.com/sccbot/sccbot/handlers"
)

// TestNextRequestPrefersDialogs: with work waiting in both queues a worker
// always takes the dialog opener first; closed queues are reported so the
// worker can drop them.
func TestNextRequestPrefersDialogs(t *testing.T) {
	queue, dialogs := make(chan handlers.Request, 10), make(chan handlers.Request, 10)
	for i := range 5 {
		queue <- handlers.Request{ActionID: "slow"}
		if i < 3 {
			dialogs <- handlers.Request{ActionID: "dialog"}
		}
	}
	var order []string
	for range 8 {
		r, ok, _ := nextRequest(queue, dialogs)
		if !ok {
			t.Fatal("a queue reported closed")
		}
		order = append(order, r.ActionID)
	}
	want := []string{"dialog", "dialog", "dialog", "slow", "slow", "slow", "slow", "slow"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	close(dialogs)
	if _, ok, from := nextRequest(queue, dialogs); ok || from != dialogs {
		t.Errorf("closed dialogs queue: ok %v, from dialogs %v", ok, from == dialogs)
	}
	close(queue)
	if _, ok, from := nextRequest(queue, nil); ok || from != queue {
		t.Errorf("closed queue: ok %v, from queue %v", ok, from == queue)
	}
}
