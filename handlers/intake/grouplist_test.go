package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/replica"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// claimed is the store as a replica's lister sees it: its intents are
// the replica's claims (what cmd/sccbot wires on PostgreSQL).
type claimed struct {
	ListerStore
	claims *replica.Claims
}

func (s claimed) BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error) {
	return s.claims.BeginIntent(ctx, in)
}

func (s claimed) OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error) {
	return s.claims.OpenIntents(ctx, prefix)
}

func (s claimed) HeldElsewhere(ctx context.Context, prefix string) ([]bot.PostIntent, error) {
	return s.claims.HeldElsewhere(ctx, prefix)
}

// burst handles n findings of one group and returns the group and its
// members waiting to be listed, oldest first.
func (h *groupHarness) burst(t *testing.T, n int) (bot.Group, []bot.Finding) {
	t.Helper()
	for i := range n {
		h.handle(t, handlerstest.PodFinding(i, fmt.Sprintf("pod-%d", i%5), bot.SeverityLow, g0.Add(time.Duration(i)*time.Second)))
	}
	g, ok, err := h.store.OpenGroup(context.Background(), GroupKey(handlerstest.PodFinding(0, "", 0, g0), "default", nil))
	if err != nil || !ok {
		t.Fatalf("no open group: %v", err)
	}
	waiting, err := h.store.UnlistedMembers(context.Background(), g.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return g, waiting
}

// timesListed counts, for each finding, the listing lines naming it.
func (h *groupHarness) timesListed(fs []bot.Finding) map[string]int {
	got := map[string]int{}
	for _, p := range h.chat.All() {
		if !strings.HasPrefix(p.Msg.Key, "list/") {
			continue
		}
		for _, line := range strings.Split(handlerstest.Flatten(p.Msg), "\n") {
			for _, f := range fs {
				if strings.HasPrefix(strings.TrimLeft(line, "`"), f.ShortID()+" ") {
					got[f.ShortID()]++
				}
			}
		}
	}
	return got
}

// wantListedOnceAfter checks that the first held of fs are not listed
// (another listing holds them) and the rest are listed once.
func (h *groupHarness) wantListedOnceAfter(t *testing.T, fs []bot.Finding, held int, when string) {
	t.Helper()
	listed := h.timesListed(fs)
	for i, f := range fs {
		want := 1
		if i < held {
			want = 0
		}
		if listed[f.ShortID()] != want {
			t.Errorf("%s, %s is listed %d times, want %d", when, f.ShortID(), listed[f.ShortID()], want)
		}
	}
}

// stormOfTwo handles findings from to from+n of a storm in one channel
// across two groups (two categories, alternating) and returns them.
func (h *groupHarness) stormOfTwo(t *testing.T, from, n int) []bot.Finding {
	t.Helper()
	var out []bot.Finding
	for i := from; i < from+n; i++ {
		f := handlerstest.PodFinding(i, fmt.Sprintf("pod-%d", i%3), bot.SeverityLow, g0.Add(time.Duration(i)*time.Second))
		if i%2 == 1 {
			f.Category = "Defense Evasion: Launch Code Compiler Tool In Container"
		}
		h.handle(t, f)
		out = append(out, f)
	}
	return out
}

// claimsOf returns replica id's claims on the harness's store.
func (h *groupHarness) claimsOf(id string) *replica.Claims {
	return replica.NewClaims(h.store, replica.ClaimsOptions{ID: id, Metrics: replica.NewMetrics(prometheus.NewRegistry())})
}

// TestListerLeavesAListingHeldElsewhereToItsHolder is the takeover of a
// lister that was killed between recording a listing and its record: the
// new lister takes the lease before the dead one is known dead. The dead
// listing's members must wait for it (posting them anew would show them
// twice once it is taken over); the other members are listed at once;
// once the holder is dead its listing is finished, and every member is
// named exactly once.
func TestListerLeavesAListingHeldElsewhereToItsHolder(t *testing.T) {
	h := newGroupHarnessOn(t, GroupRule{Window: 10 * time.Minute, Repeat: 4 * time.Hour}, true)
	g, waiting := h.burst(t, 40)
	if len(waiting) != 39 {
		t.Fatalf("%d members waiting, want 39 besides the card's", len(waiting))
	}
	ctx := context.Background()
	if err := h.store.Heartbeat(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	inDoubt := waiting[:12]
	names := make([]string, len(inDoubt))
	for i, f := range inDoubt {
		names[i] = memberRef(g.ID, f.Name)
	}
	held := bot.PostIntent{Key: "list/" + g.ID + "/" + inDoubt[0].Name, Channel: g.Card.Channel, Thread: g.Card.TS, Names: names}
	if _, _, err := h.claimsOf("old").BeginIntent(ctx, held); err != nil {
		t.Fatal(err)
	}

	lister := NewLister(claimed{ListerStore: h.store, claims: h.claimsOf("new")}, h.chat, ListerOptions{Every: time.Hour})
	lister.Flush(ctx)
	h.wantListedOnceAfter(t, waiting, len(inDoubt), "while the old lister lives")

	h.advance(replica.DefaultDeadAfter + time.Second)
	lister.Flush(ctx)
	h.wantListedOnceAfter(t, waiting, 0, "once the old lister is dead")
	if left, _ := h.store.UnlistedMembers(ctx, g.ID, 1000); len(left) != 0 {
		t.Errorf("%d members still unlisted", len(left))
	}
	if open, _ := h.store.OpenIntents(ctx, "list/"); len(open) != 0 {
		t.Errorf("%d listings left open: %+v", len(open), open)
	}
}

// TestListerDoesNotRelistAListingItCannotFinish: a listing in doubt whose
// post keeps failing keeps its members (here a storm listing a crash left
// open, for a channel that refuses posts for now); the other members are
// listed around it, and once the channel takes posts again each member is
// named once.
func TestListerDoesNotRelistAListingItCannotFinish(t *testing.T) {
	h := newGroupHarness(t, GroupRule{Window: 10 * time.Minute, Repeat: 4 * time.Hour})
	g, waiting := h.burst(t, 30)
	ctx := context.Background()
	names := make([]string, 8)
	for i, f := range waiting[:8] {
		names[i] = memberRef(g.ID, f.Name)
	}
	if _, _, err := h.store.BeginIntent(ctx, bot.PostIntent{Key: "list/storm/" + waiting[0].Name, Channel: "C-storm", Names: names}); err != nil {
		t.Fatal(err)
	}
	h.chat.SetRefuse("C-storm", errors.New("slack is down"))
	h.lister.Flush(ctx)
	h.wantListedOnceAfter(t, waiting, len(names), "while its listing cannot be posted")
	h.chat.SetRefuse("C-storm", nil)
	h.lister.Flush(ctx)
	h.wantListedOnceAfter(t, waiting, 0, "once Slack takes the listing")
}

// TestStormThreadOutlivesItsLister: a lister that takes over (another
// replica, or a restart) keeps listing a storm in the thread the previous
// one opened, instead of opening a second; once the thread is older than
// stormAge the next storm opens a new one.
func TestStormThreadOutlivesItsLister(t *testing.T) {
	h := newGroupHarness(t, GroupRule{Window: 10 * time.Minute, Repeat: 4 * time.Hour})
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	openers := func() []handlerstest.Posted {
		var out []handlerstest.Posted
		for _, p := range h.topLevel() {
			if strings.HasPrefix(p.Msg.Key, "list/storm/") {
				out = append(out, p)
			}
		}
		return out
	}
	h.stormOfTwo(t, 0, 20)
	NewLister(h.store, h.chat, ListerOptions{Every: time.Hour, Now: clock}).Flush(ctx)
	if n := len(openers()); n != 1 {
		t.Fatalf("%d storm threads opened by the first lister, want 1", n)
	}
	before := len(h.chat.All())
	h.stormOfTwo(t, 20, 20)
	now = now.Add(time.Minute)
	NewLister(h.store, h.chat, ListerOptions{Every: time.Hour, Now: clock}).Flush(ctx)
	all := h.chat.All()
	if len(all) == before {
		t.Fatal("the second lister listed nothing")
	}
	thread := openers()[0]
	for _, p := range all[before:] {
		if strings.HasPrefix(p.Msg.Key, "list/storm/") && p.Thread == "" {
			t.Errorf("the lister that took over opened another storm thread: %q", p.Msg.Text)
		}
	}
	if n := len(openers()); n != 1 {
		t.Errorf("%d storm threads after the takeover, want 1 (posted in %s)", n, thread.Channel)
	}
	h.stormOfTwo(t, 40, 20)
	now = now.Add(stormAge)
	NewLister(h.store, h.chat, ListerOptions{Every: time.Hour, Now: clock}).Flush(ctx)
	if n := len(openers()); n != 2 {
		t.Errorf("%d storm threads once the first is %s old, want 2", n, stormAge)
	}
}

// TestListerAwaitsAStormThreadInDoubt: the killed lister was opening the
// channel's storm thread when it died. The lister that takes over lists
// nothing more of the storm until that listing is taken over (it would
// open a second thread), then finishes it and lists the rest in it.
func TestListerAwaitsAStormThreadInDoubt(t *testing.T) {
	h := newGroupHarnessOn(t, GroupRule{Window: 10 * time.Minute, Repeat: 4 * time.Hour}, true)
	ctx := context.Background()
	all := h.stormOfTwo(t, 0, 30)
	groups, err := h.store.GroupsWithUnlisted(ctx)
	if err != nil || len(groups) != 2 {
		t.Fatalf("%d groups with members waiting (%v), want 2", len(groups), err)
	}
	g := groups[0]
	waiting, err := h.store.UnlistedMembers(ctx, g.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(waiting))
	for i, f := range waiting {
		names[i] = memberRef(g.ID, f.Name)
	}
	if err := h.store.Heartbeat(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	opener := bot.PostIntent{Key: "list/storm/" + waiting[0].Name, Channel: g.Card.Channel, Names: names}
	if _, _, err := h.claimsOf("old").BeginIntent(ctx, opener); err != nil {
		t.Fatal(err)
	}
	lister := NewLister(claimed{ListerStore: h.store, claims: h.claimsOf("new")}, h.chat, ListerOptions{Every: time.Hour})
	before := len(h.chat.All())
	lister.Flush(ctx)
	if got := h.chat.All()[before:]; len(got) != 0 {
		t.Fatalf("the new lister posted %d messages while the storm thread was in doubt, want none", len(got))
	}
	h.advance(replica.DefaultDeadAfter + time.Second)
	lister.Flush(ctx)
	threads := 0
	for _, p := range h.chat.All() {
		if p.Thread == "" && strings.HasPrefix(p.Msg.Key, "list/storm/") {
			threads++
		}
	}
	if threads != 1 {
		t.Errorf("%d storm threads, want 1", threads)
	}
	listed := h.timesListed(all)
	for _, f := range all {
		if n := listed[f.ShortID()]; n > 1 {
			t.Errorf("%s is listed %d times", f.ShortID(), n)
		}
	}
}

// failingGroups is a lister store whose group reads fail while down is set.
type failingGroups struct {
	ListerStore
	down bool
}

func (s *failingGroups) GroupsWithUnlisted(ctx context.Context) ([]bot.Group, error) {
	if s.down {
		return nil, errors.New("connection refused")
	}
	return s.ListerStore.GroupsWithUnlisted(ctx)
}

// TestListerLogsAnOutageOnce: the lister retries every second, so a store
// or a channel that fails for a while is logged once with its cause (not
// once a flush), and once more when it works again; nothing is listed
// twice once it does.
func TestListerLogsAnOutageOnce(t *testing.T) {
	h := newGroupHarness(t, GroupRule{Window: 10 * time.Minute, Repeat: 4 * time.Hour})
	_, waiting := h.burst(t, 20)
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	store := &failingGroups{ListerStore: h.store, down: true}
	lister := NewLister(store, h.chat, ListerOptions{Every: time.Hour, Logger: log})
	ctx := context.Background()
	for range 5 {
		lister.Flush(ctx)
	}
	store.down = false
	h.chat.SetRefuse("C-default", errors.New("slack is down"))
	for range 5 {
		lister.Flush(ctx)
	}
	h.chat.SetRefuse("C-default", nil)
	lister.Flush(ctx)
	for _, c := range []struct {
		line string
		want int
	}{
		{"cannot read the groups with members to list", 1},
		{"connection refused", 1},
		{"group members not listed", 1},
		{"slack is down", 1},
		{"listing in doubt not finished", 0},
		{"listing works again", 2},
	} {
		if got := strings.Count(logs.String(), c.line); got != c.want {
			t.Errorf("%q logged %d times, want %d\n%s", c.line, got, c.want, logs.String())
		}
	}
	listed := h.timesListed(waiting)
	for _, f := range waiting {
		if listed[f.ShortID()] != 1 {
			t.Errorf("%s is listed %d times, want 1", f.ShortID(), listed[f.ShortID()])
		}
	}
}

// cardInFlight stores a group whose representative's card is being
// posted (its intent open, no record) and n members waiting to be listed.
func (h *groupHarness) cardInFlight(t *testing.T, n int) (bot.Finding, []bot.Finding) {
	t.Helper()
	ctx := context.Background()
	at := h.clock().Add(-time.Minute)
	rep := handlerstest.PodFinding(0, "pod-0", bot.SeverityLow, at)
	g := bot.Group{ID: "grp-inflight", Key: "k-inflight", Representative: rep.Name, Card: bot.MessageRef{Channel: "C-default"},
		OpenedAt: at, First: at, Last: at, Count: 1, Worst: bot.SeverityLow}
	if err := h.store.PutFinding(ctx, rep); err != nil {
		t.Fatal(err)
	}
	if err := h.store.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	var members []bot.Finding
	for i := 1; i <= n; i++ {
		f := handlerstest.PodFinding(i, fmt.Sprintf("pod-%d", i), bot.SeverityLow, at.Add(time.Duration(i)*time.Second))
		if err := h.store.PutFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
		if _, err := h.store.JoinGroup(ctx, g.ID, f, false); err != nil {
			t.Fatal(err)
		}
		members = append(members, f)
	}
	if _, _, err := h.store.BeginIntent(ctx, bot.PostIntent{Key: bot.CardKey(rep.Name), Channel: "C-default", Finding: rep.Name}); err != nil {
		t.Fatal(err)
	}
	return rep, members
}

// listings returns the listings posted so far.
func (h *groupHarness) listings() []handlerstest.Posted {
	var out []handlerstest.Posted
	for _, p := range h.chat.All() {
		if strings.HasPrefix(p.Msg.Key, "list/") {
			out = append(out, p)
		}
	}
	return out
}

// TestListerWaitsForAGroupCardBeingPosted: members of a group whose card
// is being posted wait for it and are listed in its thread, not in a
// channel storm thread opened for one group; the card's record names the
// group's card (PutPostedCard). A card owed to the channel's pace, or one
// still not recorded after cardWait, leaves them to the storm thread.
func TestListerWaitsForAGroupCardBeingPosted(t *testing.T) {
	ctx := context.Background()
	t.Run("recorded", func(t *testing.T) {
		h := newGroupHarnessOn(t, GroupRule{Window: 10 * time.Minute}, true)
		lister := NewLister(h.store, h.chat, ListerOptions{Every: time.Hour, Now: h.clock})
		rep, members := h.cardInFlight(t, 5)
		lister.Flush(ctx)
		if got := h.listings(); len(got) != 0 {
			t.Fatalf("%d listings while the group's card was being posted, want none: %+v", len(got), got)
		}
		card := bot.MessageRef{Channel: "C-default", TS: "1700000000.000100"}
		if err := h.store.PutPostedCard(ctx, rep.Key(), card, handlers.OutcomePosted); err != nil {
			t.Fatal(err)
		}
		lister.Flush(ctx)
		got := h.listings()
		if len(got) != 1 || got[0].Thread != card.TS {
			t.Fatalf("listings after the card was recorded = %+v, want one in the card's thread %s", got, card.TS)
		}
		for id, n := range h.timesListed(members) {
			if n != 1 {
				t.Errorf("%s listed %d times, want once", id, n)
			}
		}
	})
	t.Run("stuck", func(t *testing.T) {
		h := newGroupHarnessOn(t, GroupRule{Window: 10 * time.Minute}, true)
		lister := NewLister(h.store, h.chat, ListerOptions{Every: time.Hour, Now: h.clock})
		_, members := h.cardInFlight(t, 3)
		h.advance(cardWait - time.Second)
		lister.Flush(ctx)
		if got := h.listings(); len(got) != 0 {
			t.Fatalf("%d listings %v after the card was posted, want none yet", len(got), cardWait-time.Second)
		}
		h.advance(time.Second)
		lister.Flush(ctx)
		if got := h.listings(); len(got) != 1 || !strings.HasPrefix(got[0].Msg.Key, "list/storm/") || len(h.timesListed(members)) != 3 {
			t.Fatalf("listings after %v = %+v, want the 3 members in the storm thread", cardWait, got)
		}
	})
	t.Run("owed", func(t *testing.T) {
		h := newGroupHarnessOn(t, GroupRule{Window: 10 * time.Minute}, true)
		lister := NewLister(h.store, h.chat, ListerOptions{Every: time.Hour, Now: h.clock})
		rep, members := h.cardInFlight(t, 3)
		if err := h.store.OweIntent(ctx, bot.CardKey(rep.Name)); err != nil {
			t.Fatal(err)
		}
		lister.Flush(ctx)
		if got := h.listings(); len(got) != 1 || !strings.HasPrefix(got[0].Msg.Key, "list/storm/") || len(h.timesListed(members)) != 3 {
			t.Fatalf("listings with the group's card owed = %+v, want the 3 members in the storm thread at once", got)
		}
	})
}
