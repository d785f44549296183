package intake

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// claimStore is a MemStore whose post intents are claims, as with
// several replicas: it records the claims released.
type claimStore struct {
	*handlerstest.MemStore
	mu       sync.Mutex
	released []string
}

func (s *claimStore) ReleaseIntent(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = append(s.released, key)
	return nil
}

// TestIntakeReleasesClaimItCannotPost: a card whose post failed has its
// claim released, so that another replica may post it on redelivery; a
// card posted keeps it until its record ends the intent.
func TestIntakeReleasesClaimItCannotPost(t *testing.T) {
	store := &claimStore{MemStore: handlerstest.NewMemStore()}
	poster := &handlerstest.FakePoster{Refuse: map[string]error{"C-gke": errors.New("slack is down")}}
	in := newTestIntake(store, poster)
	f := handlerstest.TestFinding("down", time.Unix(1700000000, 0))
	if err := in.Handle(context.Background(), f); err == nil {
		t.Fatal("Handle succeeded although the post failed")
	}
	if want := []string{bot.CardKey(f.Name)}; !slices.Equal(store.released, want) {
		t.Errorf("released %v after the failed post, want %v", store.released, want)
	}
	delete(poster.Refuse, "C-gke")
	if err := in.Handle(context.Background(), f); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if len(store.released) != 1 {
		t.Errorf("released %v; a posted card's claim must not be released", store.released)
	}
}
