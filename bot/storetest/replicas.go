package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// ReplicaStore is what several replicas on one database need to share its
// work: heartbeats that say who is alive, post intents held by one replica
// and taken over by another only with a compare-and-set, and the replica
// that runs each action. The contract, beyond the method docs:
//
//   - Liveness is by the store's clock: a replica is alive while its last
//     heartbeat is within the bound the caller gives, and dead once it
//     left or was never seen.
//   - TakeOverIntent is single-winner: of any number of callers, in any
//     number of processes, taking one intent over from the same holder,
//     exactly one succeeds.
type ReplicaStore interface {
	PutFinding(ctx context.Context, f bot.Finding) error
	CreateRequest(ctx context.Context, r bot.ActionRequest) (stored bot.ActionRequest, created bool, err error)
	TransitionRequest(ctx context.Context, id string, from []bot.RequestState, to bot.RequestState,
		update func(*bot.ActionRequest)) (bot.ActionRequest, bool, error)
	BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error)
	Intent(ctx context.Context, key string) (bot.PostIntent, bool, error)
	// OweIntent marks an intent owed, held by nobody until claimed.
	OweIntent(ctx context.Context, key string) error

	// Heartbeat records that replica id is alive now.
	Heartbeat(ctx context.Context, id string) error
	// LeaveReplica makes replica id dead at once.
	LeaveReplica(ctx context.Context, id string) error
	// ReplicaAlive reports whether id beat within deadAfter.
	ReplicaAlive(ctx context.Context, id string, deadAfter time.Duration) (bool, error)
	// TakeOverIntent moves an open intent from holder from to holder to,
	// reporting whether this call did.
	TakeOverIntent(ctx context.Context, key, from, to string) (bool, error)
	// ReleaseIntents sets the holder of holder's open intents with key
	// prefix and owed mark to nobody, returning how many.
	ReleaseIntents(ctx context.Context, holder, prefix string, owed bool) (int64, error)
	// SetRequestExecutor records the replica that runs a running request
	// (ENotFound when it is not running).
	SetRequestExecutor(ctx context.Context, id, replica string) error
	// InterruptedRequests returns the running requests whose recorded
	// executor is dead, oldest first.
	InterruptedRequests(ctx context.Context, deadAfter time.Duration) ([]bot.ActionRequest, error)
}

// ReplicaOpenFunc opens an empty database with the clock now and returns
// handles on it as separate replicas would have them (at least one; a
// store that allows it returns several, each with its own connections).
type ReplicaOpenFunc = func(t *testing.T, now func() time.Time) []ReplicaStore

// RunReplicas runs the suite of what replicas share.
func RunReplicas(t *testing.T, open ReplicaOpenFunc) {
	t.Run("ReplicaLiveness", func(t *testing.T) { testReplicaLiveness(t, open) })
	t.Run("ReplicaIntentHolder", func(t *testing.T) { testReplicaIntentHolder(t, open) })
	t.Run("ReplicaReleaseIntents", func(t *testing.T) { testReplicaRelease(t, open) })
	t.Run("ReplicaTakeOverRace", func(t *testing.T) { testReplicaTakeOverRace(t, open) })
	t.Run("ReplicaInterruptedRequests", func(t *testing.T) { testReplicaInterrupted(t, open) })
}

const deadAfter = 10 * time.Second

func wantAlive(t *testing.T, s ReplicaStore, id string, want bool) {
	t.Helper()
	alive, err := s.ReplicaAlive(context.Background(), id, deadAfter)
	must(t, "replica alive", err)
	if alive != want {
		t.Errorf("ReplicaAlive(%q) = %v, want %v", id, alive, want)
	}
}

func testReplicaLiveness(t *testing.T, open ReplicaOpenFunc) {
	ctx := context.Background()
	clk := &clock{t: baseTime}
	stores := open(t, clk.now)
	a, b := stores[0], stores[len(stores)-1]
	wantAlive(t, a, "never-seen", false)
	must(t, "first beat", a.Heartbeat(ctx, "replica-a"))
	wantAlive(t, b, "replica-a", true)
	clk.set(baseTime.Add(deadAfter))
	wantAlive(t, b, "replica-a", true) // exactly at the bound: still alive
	clk.set(baseTime.Add(deadAfter + time.Nanosecond))
	wantAlive(t, b, "replica-a", false)
	must(t, "beat again", a.Heartbeat(ctx, "replica-a"))
	wantAlive(t, b, "replica-a", true)
	wantAlive(t, b, "replica-b", false)
	must(t, "leave", a.LeaveReplica(ctx, "replica-a"))
	wantAlive(t, b, "replica-a", false)
	must(t, "leave twice", a.LeaveReplica(ctx, "replica-a"))
}

func testReplicaIntentHolder(t *testing.T, open ReplicaOpenFunc) {
	ctx := context.Background()
	clk := &clock{t: baseTime}
	stores := open(t, clk.now)
	a, b := stores[0], stores[len(stores)-1]
	key := bot.CardKey("held")
	got, existed, err := a.BeginIntent(ctx, bot.PostIntent{Key: key, Channel: "C1", Finding: "held", Holder: "replica-a"})
	must(t, "begin", err)
	if existed || got.Holder != "replica-a" {
		t.Fatalf("BeginIntent = %+v, existed %v; want a new intent held by replica-a", got, existed)
	}
	old, existed, err := b.BeginIntent(ctx, bot.PostIntent{Key: key, Channel: "C1", Finding: "held", Holder: "replica-b"})
	must(t, "begin again", err)
	if !existed || old.Holder != "replica-a" {
		t.Errorf("BeginIntent by another replica = %+v, existed %v; want the open intent, held by replica-a", old, existed)
	}
	for _, tc := range []struct {
		key, from, to string
		want          bool
	}{
		{key, "replica-x", "replica-b", false}, // not the holder: nothing moves
		{key, "replica-a", "replica-b", true},
		{key, "replica-a", "replica-c", false}, // already taken over
		{"card/none", "replica-a", "replica-b", false},
	} {
		ok, err := b.TakeOverIntent(ctx, tc.key, tc.from, tc.to)
		must(t, "take over", err)
		if ok != tc.want {
			t.Errorf("TakeOverIntent(%q, %q, %q) = %v, want %v", tc.key, tc.from, tc.to, ok, tc.want)
		}
	}
	now, ok, err := a.Intent(ctx, key)
	must(t, "intent", err)
	if !ok || now.Holder != "replica-b" || !now.Created.Equal(got.Created) {
		t.Errorf("Intent after the takeover = %+v, %v; want the same intent held by replica-b", now, ok)
	}
	must(t, "owe", b.OweIntent(ctx, key))
	if owed, _, err := a.Intent(ctx, key); err != nil || owed.Holder != "" || !owed.Owed {
		t.Errorf("Intent after OweIntent = %+v, %v; want owed and held by nobody", owed, err)
	}
	if ok, err := a.TakeOverIntent(ctx, key, "", "drainer"); err != nil || !ok {
		t.Errorf("claiming the owed intent = %v, %v; want it claimed", ok, err)
	}
}

// testReplicaTakeOverRace has many callers, spread over every handle,
// take the same intents over from a dead holder: one wins each.
func testReplicaTakeOverRace(t *testing.T, open ReplicaOpenFunc) {
	ctx := context.Background()
	clk := &clock{t: baseTime}
	stores := open(t, clk.now)
	const racers = 12
	for k := range 10 {
		key := fmt.Sprintf("list/g/race-%d", k)
		_, _, err := stores[0].BeginIntent(ctx, bot.PostIntent{Key: key, Channel: "C1", Names: []string{"a"}, Holder: "dead"})
		must(t, "begin", err)
		var wg sync.WaitGroup
		won := make(chan string, racers)
		for i := range racers {
			wg.Go(func() {
				me := fmt.Sprintf("racer-%d", i)
				ok, err := stores[i%len(stores)].TakeOverIntent(ctx, key, "dead", me)
				if err != nil {
					t.Errorf("TakeOverIntent: %v", err)
				}
				if ok {
					won <- me
				}
			})
		}
		wg.Wait()
		close(won)
		var winners []string
		for w := range won {
			winners = append(winners, w)
		}
		in, _, err := stores[0].Intent(ctx, key)
		must(t, "intent", err)
		if len(winners) != 1 || in.Holder != winners[0] {
			t.Errorf("%s: winners %v, holder %q; want exactly one winner, holding it", key, winners, in.Holder)
		}
	}
}

func testReplicaInterrupted(t *testing.T, open ReplicaOpenFunc) {
	ctx := context.Background()
	clk := &clock{t: baseTime}
	stores := open(t, clk.now)
	a, b := stores[0], stores[len(stores)-1]
	must(t, "put finding", a.PutFinding(ctx, simpleFinding("f1", at(0))))
	running := func(id, action string) {
		_, _, err := a.CreateRequest(ctx, pendingRequest(id, "f1", action))
		must(t, "create request", err)
		_, ok, err := a.TransitionRequest(ctx, id, []bot.RequestState{bot.RequestPending}, bot.RequestRunning,
			func(r *bot.ActionRequest) { r.DecidedBy, r.DecidedAt = "U0APPROVER", at(time.Minute) })
		must(t, "start request", err)
		if !ok {
			t.Fatalf("request %s did not start", id)
		}
	}
	running("r-a", bot.ActionIsolatePod)
	running("r-b", bot.ActionDeletePod)
	running("r-none", bot.ActionCordonNode) // no executor recorded
	_, _, err := a.CreateRequest(ctx, pendingRequest("r-pending", "f1", bot.ActionPageOwner))
	must(t, "create pending", err)
	wantCode(t, "executor of a pending request", a.SetRequestExecutor(ctx, "r-pending", "replica-a"), bot.ENotFound)
	must(t, "executor a", a.SetRequestExecutor(ctx, "r-a", "replica-a"))
	must(t, "executor b", b.SetRequestExecutor(ctx, "r-b", "replica-b"))
	must(t, "beat a", a.Heartbeat(ctx, "replica-a"))
	must(t, "beat b", b.Heartbeat(ctx, "replica-b"))
	wantInterrupted(t, a, nil)
	clk.set(baseTime.Add(deadAfter / 2))
	must(t, "beat b later", b.Heartbeat(ctx, "replica-b"))
	clk.set(baseTime.Add(deadAfter + time.Second)) // a missed its beats, b did not
	wantInterrupted(t, b, []string{"r-a"})
	must(t, "b leaves", b.LeaveReplica(ctx, "replica-b"))
	wantInterrupted(t, a, []string{"r-a", "r-b"})
}

func wantInterrupted(t *testing.T, s ReplicaStore, want []string) {
	t.Helper()
	got, err := s.InterruptedRequests(context.Background(), deadAfter)
	must(t, "interrupted requests", err)
	var ids []string
	for _, r := range got {
		if r.State != bot.RequestRunning {
			t.Errorf("interrupted request %s is %s, want running", r.ID, r.State)
		}
		ids = append(ids, r.ID)
	}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("InterruptedRequests = %v, want %v", ids, want)
	}
}

// testReplicaRelease: a replica that stops running a singleton lets go of
// exactly that singleton's intents.
func testReplicaRelease(t *testing.T, open ReplicaOpenFunc) {
	ctx := context.Background()
	clk := &clock{t: baseTime}
	s := open(t, clk.now)[0]
	begin := func(key, holder string) {
		_, _, err := s.BeginIntent(ctx, bot.PostIntent{Key: key, Channel: "C1", Names: []string{"x"}, Holder: holder})
		must(t, "begin "+key, err)
	}
	begin("list/g/a", "A")
	begin("list/g/b", "B")
	begin("card/c", "A")
	begin("card/d", "A")
	must(t, "owe d", s.OweIntent(ctx, "card/d"))
	if ok, err := s.TakeOverIntent(ctx, "card/d", "", "A"); err != nil || !ok {
		t.Fatalf("claim owed d: %v, %v", ok, err)
	}
	n, err := s.ReleaseIntents(ctx, "A", "list/", false)
	must(t, "release listings", err)
	if n != 1 {
		t.Errorf("released %d listings, want 1", n)
	}
	n, err = s.ReleaseIntents(ctx, "A", "card/", true)
	must(t, "release owed", err)
	if n != 1 {
		t.Errorf("released %d owed cards, want 1", n)
	}
	for key, want := range map[string]string{"list/g/a": "", "list/g/b": "B", "card/c": "A", "card/d": ""} {
		in, ok, err := s.Intent(ctx, key)
		must(t, "intent", err)
		if !ok || in.Holder != want {
			t.Errorf("%s held by %q (open %v), want %q", key, in.Holder, ok, want)
		}
	}
}
