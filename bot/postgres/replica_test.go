package postgres

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/postgres/pgtest"
)

// The conformance suite races goroutines on one store, whose pool spreads
// them over several connections. These tests race two stores on one
// database, as two replicas would: each with its own pool, clock and
// process state.

// racers is how many goroutines each replica runs.
const racers = 20

// replicas opens two stores on one fresh database.
func replicas(t *testing.T) (a, b *DB) {
	url := pgtest.Database(t)
	a, b = mustOpen(t, url), mustOpen(t, url)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// race runs fn racers times on each replica at once and waits.
func race(a, b *DB, fn func(db *DB, i int)) {
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { fn(a, i) })
		wg.Go(func() { fn(b, racers+i) })
	}
	wg.Wait()
}

var raceTime = time.Date(2026, 12, 6, 9, 0, 0, 123456789, time.UTC)

func raceFinding(id string) bot.Finding {
	return bot.Finding{Name: "organizations/1/sources/2/locations/global/findings/" + id, Category: "Execution: X",
		Severity: bot.SeverityHigh, State: "ACTIVE", EventTime: raceTime,
		Target: bot.Target{Product: bot.ProductGKE, Namespace: "ns", Pod: "p-" + id}, Processes: []bot.Process{{Binary: "/bin/" + id}}}
}

func mustPutFinding(t *testing.T, db *DB, f bot.Finding) {
	t.Helper()
	if err := db.PutFinding(t.Context(), f); err != nil {
		t.Fatal(err)
	}
}

// TestReplicaApproveOnce has both replicas approve the same request at
// once: exactly one moves it to running.
func TestReplicaApproveOnce(t *testing.T) {
	a, b := replicas(t)
	f := raceFinding("approve")
	mustPutFinding(t, a, f)
	r := bot.ActionRequest{ID: "r1", Finding: f.Name, Action: bot.ActionIsolatePod, RequestedBy: "U1",
		RequestedAt: raceTime, ExpiresAt: raceTime.Add(time.Hour), State: bot.RequestPending}
	if _, created, err := a.CreateRequest(t.Context(), r); err != nil || !created {
		t.Fatalf("CreateRequest = %v, %v", created, err)
	}
	var wins atomic.Int32
	var winner atomic.Value
	race(a, b, func(db *DB, i int) {
		who := fmt.Sprint("U", i)
		_, ok, err := db.TransitionRequest(t.Context(), "r1", []bot.RequestState{bot.RequestPending}, bot.RequestRunning,
			func(r *bot.ActionRequest) { r.DecidedBy = who })
		if err != nil {
			t.Error(err)
		}
		if ok {
			wins.Add(1)
			winner.Store(who)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d approvals won, want 1", wins.Load())
	}
	got, err := b.Request(t.Context(), "r1")
	if err != nil || got.State != bot.RequestRunning || got.DecidedBy != winner.Load() {
		t.Errorf("request after the race = %s by %q, %v; want running by %q", got.State, got.DecidedBy, err, winner.Load())
	}
}

// TestReplicaRequestOnce has both replicas request the same action on the
// same finding at once, under different ids: one request is created and
// every caller gets it.
func TestReplicaRequestOnce(t *testing.T) {
	a, b := replicas(t)
	f := raceFinding("request")
	mustPutFinding(t, a, f)
	var created atomic.Int32
	ids := make([]string, 2*racers)
	race(a, b, func(db *DB, i int) {
		r := bot.ActionRequest{ID: fmt.Sprint("r-", i), Finding: f.Name, Action: bot.ActionMute, RequestedBy: "U1",
			RequestedAt: raceTime, ExpiresAt: raceTime.Add(time.Hour), State: bot.RequestPending}
		got, ok, err := db.CreateRequest(t.Context(), r)
		if err != nil {
			t.Error(err)
			return
		}
		if ok {
			created.Add(1)
		}
		ids[i] = got.ID
	})
	if created.Load() != 1 {
		t.Fatalf("%d requests created, want 1", created.Load())
	}
	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("caller %d got request %q, caller 0 got %q", i, id, ids[0])
		}
	}
}

// TestReplicaClaimsOnce races the other single-winner claims across
// replicas: a digest run, an acknowledgement, a notification's mark.
func TestReplicaClaimsOnce(t *testing.T) {
	a, b := replicas(t)
	f := raceFinding("claims")
	mustPutFinding(t, a, f)
	var digests, acks atomic.Int32
	ackers := make([]string, 2*racers)
	race(a, b, func(db *DB, i int) {
		ctx := t.Context()
		if ok, err := db.ClaimDigest(ctx, "daily", raceTime, "C1"); err != nil {
			t.Error(err)
		} else if ok {
			digests.Add(1)
		}
		by, _, first, err := db.Ack(ctx, f.Name, fmt.Sprint("U", i))
		if err != nil {
			t.Error(err)
		} else if first {
			acks.Add(1)
		}
		ackers[i] = by
		if err := db.MarkNotification(ctx, f.Key(), fmt.Sprint("outcome-", i)); err != nil {
			t.Error(err)
		}
	})
	if digests.Load() != 1 || acks.Load() != 1 {
		t.Errorf("digest claims won %d, first acknowledgements %d; want 1 each", digests.Load(), acks.Load())
	}
	for i, by := range ackers {
		if by != ackers[0] {
			t.Errorf("caller %d sees the acknowledgement by %q, caller 0 by %q", i, by, ackers[0])
		}
	}
	if _, _, err := a.Notification(t.Context(), f.Key()); err != nil {
		t.Errorf("Notification after the race: %v", err)
	}
}

// TestReplicaSilenceExpiryOnce has both replicas sweep expired silences at
// once: each expiry is reported to exactly one of them.
func TestReplicaSilenceExpiryOnce(t *testing.T) {
	a, b := replicas(t)
	const silences = 30
	for i := range silences {
		s := bot.Silence{ID: fmt.Sprint("s", i), Matchers: []bot.Matcher{{Field: "project", Value: "p"}}, Reason: "r",
			CreatedBy: "U1", CreatedAt: raceTime, ExpiresAt: raceTime.Add(time.Minute)}
		if err := a.CreateSilence(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	race(a, b, func(db *DB, _ int) {
		got, err := db.ExpiredSilences(t.Context(), raceTime.Add(time.Hour))
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, s := range got {
			seen[s.ID]++
		}
	})
	if len(seen) != silences {
		t.Errorf("%d silences reported expired, want %d", len(seen), silences)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("silence %s reported expired %d times", id, n)
		}
	}
}

// TestReplicaGroupFold has both replicas add distinct members to one group
// at once: no member's figures are lost to another's update.
func TestReplicaGroupFold(t *testing.T) {
	a, b := replicas(t)
	rep := raceFinding("rep")
	mustPutFinding(t, a, rep)
	g := bot.Group{ID: "g1", Key: "k", Representative: rep.Name, OpenedAt: raceTime,
		Card: bot.MessageRef{Channel: "C1", TS: "1.1"}, First: raceTime, Last: raceTime, Count: 1, Worst: bot.SeverityHigh}
	if err := a.CreateGroup(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	members := make([]bot.Finding, 2*racers)
	for i := range members {
		members[i] = raceFinding(fmt.Sprint("m", i))
		members[i].EventTime = raceTime.Add(time.Duration(i+1) * time.Second)
		mustPutFinding(t, a, members[i])
	}
	race(a, b, func(db *DB, i int) {
		if _, err := db.JoinGroup(t.Context(), "g1", members[i], false); err != nil {
			t.Error(err)
		}
		if _, err := db.JoinGroup(t.Context(), "g1", members[i], false); err != nil { // again: no change
			t.Error(err)
		}
	})
	got, ok, err := b.OpenGroup(t.Context(), "k")
	if err != nil || !ok {
		t.Fatalf("OpenGroup = %v, %v", ok, err)
	}
	want := 1 + len(members)
	if got.Count != want || len(got.Pods)+got.MorePods != len(members) || !got.Last.Equal(raceTime.Add(time.Duration(len(members))*time.Second)) {
		t.Errorf("group after the race: count %d, pods %d+%d, last %v; want count %d, %d pods, last %v",
			got.Count, len(got.Pods), got.MorePods, got.Last, want, len(members), raceTime.Add(time.Duration(len(members))*time.Second))
	}
}
