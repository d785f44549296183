package replica

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
)

// The claims are tested on the SQLite store, whose replica methods pass
// the same conformance suite as PostgreSQL's; bot/postgres races them
// across connections.

type world struct {
	db  *sqlite.DB
	now time.Time
	mu  sync.Mutex
}

func newWorld(t *testing.T) *world {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sccbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	w := &world{db: db, now: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
	return w
}

func (w *world) advance(d time.Duration) { w.mu.Lock(); w.now = w.now.Add(d); w.mu.Unlock() }

func (w *world) claims(id string) (*Claims, *Metrics) {
	m := NewMetrics(prometheus.NewRegistry())
	return NewClaims(w.db, ClaimsOptions{ID: id, Metrics: m}), m
}

func (w *world) beat(t *testing.T, id string) {
	t.Helper()
	if err := w.db.Heartbeat(t.Context(), id); err != nil {
		t.Fatal(err)
	}
}

func takeovers(m *Metrics, kind string) float64 {
	return testutil.ToFloat64(m.takeovers.WithLabelValues(kind))
}

var card = bot.PostIntent{Key: bot.CardKey("f1"), Channel: "C1", Finding: "f1"}

// TestClaimLiveHolderIsLeftAlone: another replica's intent is not touched
// while that replica beats; once it is dead, the first to meet the intent
// takes it over, as existing, and counts it.
func TestClaimLiveHolderIsLeftAlone(t *testing.T) {
	w := newWorld(t)
	a, _ := w.claims("a")
	b, mb := w.claims("b")
	w.beat(t, "a")
	if got, existed, err := a.BeginIntent(t.Context(), card); err != nil || existed || got.Holder != "a" {
		t.Fatalf("a's BeginIntent = %+v, %v, %v; want a new intent held by a", got, existed, err)
	}
	if _, _, err := b.BeginIntent(t.Context(), card); bot.ErrorCode(err) != bot.EUnavailable {
		t.Fatalf("b's BeginIntent while a is alive = %v, want EUnavailable", err)
	}
	w.advance(DefaultDeadAfter + time.Second)
	got, existed, err := b.BeginIntent(t.Context(), card)
	if err != nil || !existed || got.Holder != "b" || got.Created.IsZero() {
		t.Fatalf("b's BeginIntent once a is dead = %+v, %v, %v; want the open intent, now b's", got, existed, err)
	}
	if n := takeovers(mb, KindCard); n != 1 {
		t.Errorf("card takeovers = %v, want 1", n)
	}
	if in, _, _ := w.db.Intent(t.Context(), card.Key); in.Holder != "b" {
		t.Errorf("stored holder = %q, want b", in.Holder)
	}
	// b's own intent is b's: meeting it again is a resume, not a takeover.
	if _, existed, err := b.BeginIntent(t.Context(), card); err != nil || !existed || takeovers(mb, KindCard) != 1 {
		t.Errorf("b meeting its own intent: existed %v, err %v, takeovers %v", existed, err, takeovers(mb, KindCard))
	}
}

// TestClaimTakeOverRace has several live replicas meet a dead replica's
// intent at once: exactly one takes it over.
func TestClaimTakeOverRace(t *testing.T) {
	w := newWorld(t)
	dead, _ := w.claims("dead")
	listing := bot.PostIntent{Key: "list/g1/x", Channel: "C1", Names: []string{"f1"}}
	if _, _, err := dead.BeginIntent(t.Context(), listing); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make(chan error, 6)
	var total float64
	var mu sync.Mutex
	for _, id := range []string{"r1", "r2", "r3", "r4", "r5", "r6"} {
		c, m := w.claims(id)
		w.beat(t, id) // alive: the winner's claim stands against the others
		wg.Go(func() {
			_, _, err := c.BeginIntent(t.Context(), listing)
			results <- err
			mu.Lock()
			total += takeovers(m, KindListing)
			mu.Unlock()
		})
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case bot.ErrorCode(err) != bot.EUnavailable:
			t.Errorf("a loser got %v, want EUnavailable", err)
		}
	}
	if won != 1 || total != 1 {
		t.Errorf("%d replicas took the listing over (%v counted), want 1", won, total)
	}
}

// TestClaimOwed: an owed card is nobody's; the drainer claims it without
// counting a takeover, another live drainer leaves it alone, and a drainer
// that died mid-post has it taken over.
func TestClaimOwed(t *testing.T) {
	w := newWorld(t)
	a, _ := w.claims("a")
	d1, m1 := w.claims("drainer-1")
	d2, m2 := w.claims("drainer-2")
	ctx := t.Context()
	if _, _, err := a.BeginIntent(ctx, card); err != nil {
		t.Fatal(err)
	}
	if err := w.db.OweIntent(ctx, card.Key); err != nil {
		t.Fatal(err)
	}
	w.beat(t, "a")
	w.beat(t, "drainer-1")
	if prev, err := d1.AttemptIntent(ctx, card.Key); err != nil || !prev.IsZero() {
		t.Fatalf("first drainer's attempt = %v, %v; want a first attempt", prev, err)
	}
	if n := takeovers(m1, KindOwed); n != 0 {
		t.Errorf("claiming an owed card nobody held counted %v takeovers", n)
	}
	if _, err := d2.AttemptIntent(ctx, card.Key); bot.ErrorCode(err) != bot.EUnavailable {
		t.Errorf("second drainer while the first is alive: %v, want EUnavailable", err)
	}
	w.advance(DefaultDeadAfter + time.Second)
	prev, err := d2.AttemptIntent(ctx, card.Key)
	if err != nil || prev.IsZero() {
		t.Fatalf("second drainer once the first is dead = %v, %v; want the first attempt's time", prev, err)
	}
	if n := takeovers(m2, KindOwed); n != 1 {
		t.Errorf("owed takeovers = %v, want 1", n)
	}
}

// TestClaimListingsMoveWithTheLister: the lister's open listings are left
// to it while it runs; once it releases them (its lease moved on) the next
// lister claims them without waiting for it to die, and a dead lister's
// listings are taken over and counted.
func TestClaimListingsMoveWithTheLister(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	a, _ := w.claims("a")
	b, mb := w.claims("b")
	dead, _ := w.claims("dead")
	w.beat(t, "a")
	w.beat(t, "b")
	for _, key := range []string{"list/g/1", "list/g/2"} {
		if _, _, err := a.BeginIntent(ctx, bot.PostIntent{Key: key, Channel: "C1", Names: []string{"f"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := dead.BeginIntent(ctx, bot.PostIntent{Key: "list/g/3", Channel: "C1", Names: []string{"f"}}); err != nil {
		t.Fatal(err)
	}
	keys := func(ins []bot.PostIntent) (out []string) {
		for _, in := range ins {
			if in.Holder != "b" {
				t.Errorf("%s returned held by %q, want b", in.Key, in.Holder)
			}
			out = append(out, in.Key)
		}
		return out
	}
	open, err := b.OpenIntents(ctx, "list/")
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(open); len(got) != 1 || got[0] != "list/g/3" || takeovers(mb, KindListing) != 1 {
		t.Errorf("b's open listings while a lists = %v (%v taken over); want the dead lister's one, taken over", got, takeovers(mb, KindListing))
	}
	a.Release(ctx, "list/", false)
	open, err = b.OpenIntents(ctx, "list/")
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(open); len(got) != 3 || takeovers(mb, KindListing) != 1 {
		t.Errorf("b's open listings after a released them = %v (%v taken over); want all three, no new takeover", got, takeovers(mb, KindListing))
	}
}

// TestClaimReleasedAfterAFailedPost: a claim its live holder released is
// claimed by the next replica at once, without a takeover.
func TestClaimReleasedAfterAFailedPost(t *testing.T) {
	w := newWorld(t)
	a, _ := w.claims("a")
	b, mb := w.claims("b")
	w.beat(t, "a")
	if _, _, err := a.BeginIntent(t.Context(), card); err != nil {
		t.Fatal(err)
	}
	if err := b.ReleaseIntent(t.Context(), card.Key); err != nil { // not b's: nothing moves
		t.Fatal(err)
	}
	if _, _, err := b.BeginIntent(t.Context(), card); bot.ErrorCode(err) != bot.EUnavailable {
		t.Fatalf("b's BeginIntent while a holds it = %v, want EUnavailable", err)
	}
	if err := a.ReleaseIntent(t.Context(), card.Key); err != nil {
		t.Fatal(err)
	}
	got, existed, err := b.BeginIntent(t.Context(), card)
	if err != nil || !existed || got.Holder != "b" || takeovers(mb, KindCard) != 0 {
		t.Errorf("b's BeginIntent after a released it = %+v, %v, %v (%v takeovers); want it b's, no takeover",
			got, existed, err, takeovers(mb, KindCard))
	}
}

// TestClaimOwedLeavesLiveHoldersOut: the owed cards a live drainer holds
// are not offered to another; nobody's, its own and a dead drainer's are.
func TestClaimOwedLeavesLiveHoldersOut(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	intake, _ := w.claims("intake")
	for _, name := range []string{"free", "live", "dead", "mine"} {
		key := bot.CardKey(name)
		if _, _, err := intake.BeginIntent(ctx, bot.PostIntent{Key: key, Channel: "C1", Finding: name}); err != nil {
			t.Fatal(err)
		}
		if err := w.db.OweIntent(ctx, key); err != nil {
			t.Fatal(err)
		}
		if holder := map[string]string{"live": "drainer-live", "dead": "drainer-dead", "mine": "me"}[name]; holder != "" {
			if ok, err := w.db.TakeOverIntent(ctx, key, "", holder); err != nil || !ok {
				t.Fatalf("hold %s: %v %v", key, ok, err)
			}
		}
	}
	w.beat(t, "drainer-live")
	me, _ := w.claims("me")
	owed, err := me.OwedIntents(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range owed {
		got = append(got, in.Finding)
	}
	slices.Sort(got)
	if want := []string{"dead", "free", "mine"}; !slices.Equal(got, want) {
		t.Errorf("owed cards offered = %v, want %v", got, want)
	}
}

// TestHeldElsewhere: a listing a live replica holds is held elsewhere for
// the others (not for its holder); once its holder is dead it is not, since
// whoever meets it next takes it over.
func TestHeldElsewhere(t *testing.T) {
	w := newWorld(t)
	a, _ := w.claims("a")
	b, _ := w.claims("b")
	w.beat(t, "a")
	listing := bot.PostIntent{Key: "list/g1/f1", Channel: "C1", Thread: "1.1", Names: []string{"g1/f1"}}
	if _, _, err := a.BeginIntent(t.Context(), listing); err != nil {
		t.Fatal(err)
	}
	keys := func(c *Claims, prefix string) []string {
		held, err := c.HeldElsewhere(t.Context(), prefix)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, in := range held {
			out = append(out, in.Key)
		}
		return out
	}
	if got := keys(b, "list/"); !slices.Equal(got, []string{"list/g1/f1"}) {
		t.Errorf("held elsewhere for b while a lives = %v, want a's listing", got)
	}
	if got := keys(a, "list/"); len(got) != 0 {
		t.Errorf("held elsewhere for a itself = %v, want none", got)
	}
	if got := keys(b, "card/"); len(got) != 0 {
		t.Errorf("a listing counted under another prefix: %v", got)
	}
	w.advance(DefaultDeadAfter + time.Second)
	if got := keys(b, "list/"); len(got) != 0 {
		t.Errorf("held elsewhere once a is dead = %v, want none", got)
	}
}
