package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// GroupStore is what grouping and silences need from a store.
type GroupStore interface {
	PutFinding(ctx context.Context, f bot.Finding) error
	CreateGroup(ctx context.Context, g bot.Group) error
	SetGroupCard(ctx context.Context, groupID string, ref bot.MessageRef) error
	PutPostedCard(ctx context.Context, key bot.NotificationKey, ref bot.MessageRef, outcome string) error
	OpenGroup(ctx context.Context, key string) (bot.Group, bool, error)
	GroupOf(ctx context.Context, findingName string) (bot.Group, bool, error)
	JoinGroup(ctx context.Context, groupID string, f bot.Finding, breakout bool) (bot.Group, error)
	CloseGroup(ctx context.Context, groupID string) error
	UnlistedMembers(ctx context.Context, groupID string, limit int) ([]bot.Finding, error)
	MarkListed(ctx context.Context, groupID string, names []string) error
	GroupsWithUnlisted(ctx context.Context) ([]bot.Group, error)
	StormThread(ctx context.Context, channel string) (bot.MessageRef, time.Time, bool, error)
	PutStormThread(ctx context.Context, ref bot.MessageRef, at time.Time) error

	CreateSilence(ctx context.Context, s bot.Silence) error
	ActiveSilences(ctx context.Context, now time.Time) ([]bot.Silence, error)
	Silence(ctx context.Context, id string) (bot.Silence, error)
	RemoveSilence(ctx context.Context, id, by string) (bot.Silence, error)
	ExpiredSilences(ctx context.Context, now time.Time) ([]bot.Silence, error)
}

// RunGroups runs the conformance tests of groups and silences.
func RunGroups(t *testing.T, open func(t *testing.T) (s GroupStore, reopen func() GroupStore)) {
	t.Run("GroupLifecycle", func(t *testing.T) { testGroupLifecycle(t, open) })
	t.Run("GroupFold", func(t *testing.T) { testGroupFold(t, open) })
	t.Run("GroupListing", func(t *testing.T) { testGroupListing(t, open) })
	t.Run("GroupCardLater", func(t *testing.T) { testGroupCardLater(t, open) })
	t.Run("GroupCardWithItsPost", func(t *testing.T) { testGroupCardWithItsPost(t, open) })
	t.Run("Silences", func(t *testing.T) { testSilences(t, open) })
	t.Run("StormThreads", func(t *testing.T) { testStormThreads(t, open) })
}

// testStormThreads: a channel's storm thread survives a reopen, a new one
// replaces it, channels keep their own (hostile names included), and an
// empty reference is refused.
func testStormThreads(t *testing.T, open func(t *testing.T) (GroupStore, func() GroupStore)) {
	s, reopen := open(t)
	ctx := context.Background()
	if _, _, ok, err := s.StormThread(ctx, "C1"); err != nil || ok {
		t.Fatalf("storm thread of a fresh store = %v, %v; want none", ok, err)
	}
	hostile := "C'; DROP TABLE storm_threads; --\u202e"
	first := bot.MessageRef{Channel: "C1", TS: "1700000000.000001"}
	for _, put := range []struct {
		ref bot.MessageRef
		at  time.Time
	}{{first, t0}, {bot.MessageRef{Channel: hostile, TS: "1700000000.000009"}, t0.Add(time.Minute)}} {
		if err := s.PutStormThread(ctx, put.ref, put.at); err != nil {
			t.Fatalf("PutStormThread(%+v): %v", put.ref, err)
		}
	}
	s = reopen()
	if ref, at, ok, err := s.StormThread(ctx, "C1"); err != nil || !ok || ref != first || !at.Equal(t0) {
		t.Errorf("storm thread of C1 after reopen = %+v at %v, %v, %v; want %+v at %v", ref, at, ok, err, first, t0)
	}
	next := bot.MessageRef{Channel: "C1", TS: "1700000500.000002"}
	if err := s.PutStormThread(ctx, next, t0.Add(40*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ref, at, ok, err := s.StormThread(ctx, "C1"); err != nil || !ok || ref != next || !at.Equal(t0.Add(40*time.Minute)) {
		t.Errorf("storm thread of C1 once replaced = %+v at %v, %v, %v; want %+v", ref, at, ok, err, next)
	}
	if ref, _, ok, err := s.StormThread(ctx, hostile); err != nil || !ok || ref.TS != "1700000000.000009" {
		t.Errorf("storm thread of a hostile channel name = %+v, %v, %v", ref, ok, err)
	}
	if err := s.PutStormThread(ctx, bot.MessageRef{Channel: "C2"}, t0); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("an empty storm thread: %v, want EInvalid", err)
	}
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func member(i int, pod, binary string, sev bot.Severity, at time.Time) bot.Finding {
	return bot.Finding{Name: fmt.Sprintf("organizations/1/sources/2/locations/global/findings/m%03d", i),
		Category: "Execution: Added Binary Executed", Severity: sev, EventTime: at,
		Target:    bot.Target{Product: bot.ProductGKE, Cluster: "c", Namespace: "ns", Pod: pod},
		Processes: []bot.Process{{Binary: binary}}}
}

func mustPut(t *testing.T, s GroupStore, fs ...bot.Finding) {
	t.Helper()
	for _, f := range fs {
		if err := s.PutFinding(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
}

func newGroup(rep bot.Finding) bot.Group {
	return bot.Group{ID: "g-" + rep.ShortID(), Key: "k", Representative: rep.Name, OpenedAt: t0,
		Card: bot.MessageRef{Channel: "C1", TS: "1700000000.000001"}, First: rep.EventTime, Last: rep.EventTime,
		Count: 1, Worst: rep.Severity}
}

func testGroupLifecycle(t *testing.T, open func(t *testing.T) (GroupStore, func() GroupStore)) {
	s, reopen := open(t)
	ctx := context.Background()
	rep := member(0, "p0", "/bin/a", bot.SeverityLow, t0)
	mustPut(t, s, rep)
	g := newGroup(rep)
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	dup := g
	dup.ID = "other"
	if err := s.CreateGroup(ctx, dup); bot.ErrorCode(err) != bot.EConflict {
		t.Errorf("second open group for a key: %v, want EConflict", err)
	}
	s = reopen()
	got, ok, err := s.OpenGroup(ctx, "k")
	if err != nil || !ok || got.ID != g.ID || got.Card != g.Card || !got.OpenedAt.Equal(t0) {
		t.Fatalf("OpenGroup = %+v, %v, %v", got, ok, err)
	}
	if of, ok, _ := s.GroupOf(ctx, rep.Name); !ok || of.ID != g.ID {
		t.Errorf("GroupOf(representative) = %+v, %v", of, ok)
	}
	if err := s.CloseGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.OpenGroup(ctx, "k"); ok {
		t.Error("a closed group is still open")
	}
	dup.Representative = member(1, "p1", "/bin/a", bot.SeverityLow, t0).Name
	mustPut(t, s, member(1, "p1", "/bin/a", bot.SeverityLow, t0))
	if err := s.CreateGroup(ctx, dup); err != nil {
		t.Errorf("a new group after closing: %v", err)
	}
}

func testGroupFold(t *testing.T, open func(t *testing.T) (GroupStore, func() GroupStore)) {
	s, _ := open(t)
	ctx := context.Background()
	rep := member(0, "p0", "/bin/a", bot.SeverityLow, t0)
	mustPut(t, s, rep)
	g := newGroup(rep)
	g.Pods, g.Binaries = []string{"ns/p0"}, []string{"/bin/a"}
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	var last bot.Group
	for i := 1; i <= 25; i++ {
		m := member(i, fmt.Sprintf("p%d", i%23), "/bin/a", bot.SeverityLow, t0.Add(time.Duration(i)*time.Second))
		if i == 7 {
			m.Severity, m.EventTime = bot.SeverityHigh, t0.Add(-time.Minute)
		}
		mustPut(t, s, m)
		var err error
		if last, err = s.JoinGroup(ctx, g.ID, m, i == 7); err != nil {
			t.Fatal(err)
		}
	}
	again, err := s.JoinGroup(ctx, g.ID, member(3, "p3", "/bin/a", bot.SeverityLow, t0), false)
	if err != nil || again.Count != last.Count {
		t.Errorf("joining a member twice changed the group: %d then %d (%v)", last.Count, again.Count, err)
	}
	want := struct {
		Count, Pods, More int
		Worst             bot.Severity
		First, Last       time.Time
	}{26, bot.MaxGroupValues, 3, bot.SeverityHigh, t0.Add(-time.Minute), t0.Add(25 * time.Second)}
	got := struct {
		Count, Pods, More int
		Worst             bot.Severity
		First, Last       time.Time
	}{last.Count, len(last.Pods), last.MorePods, last.Worst, last.First, last.Last}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("folded group (-want +got):\n%s", diff)
	}
	if len(last.Binaries) != 1 {
		t.Errorf("binaries = %v, want one distinct", last.Binaries)
	}
	if of, ok, _ := s.GroupOf(ctx, member(9, "", "", 0, t0).Name); !ok || of.ID != g.ID {
		t.Errorf("GroupOf(member) = %+v, %v", of, ok)
	}
}

func testGroupListing(t *testing.T, open func(t *testing.T) (GroupStore, func() GroupStore)) {
	s, reopen := open(t)
	ctx := context.Background()
	rep := member(0, "p0", "/bin/a", bot.SeverityLow, t0)
	mustPut(t, s, rep)
	g := newGroup(rep)
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		m := member(i, "p", "/bin/a", bot.SeverityLow, t0)
		mustPut(t, s, m)
		if _, err := s.JoinGroup(ctx, g.ID, m, false); err != nil {
			t.Fatal(err)
		}
	}
	// A breakout has its own card: counted in the group, never listed.
	breakout := member(9, "p9", "/bin/a", bot.SeverityHigh, t0)
	mustPut(t, s, breakout)
	if got, err := s.JoinGroup(ctx, g.ID, breakout, true); err != nil || got.Count != 7 {
		t.Fatalf("JoinGroup(breakout) = count %d, %v; want 7", got.Count, err)
	}
	if all, _ := s.UnlistedMembers(ctx, g.ID, 100); len(all) != 5 {
		t.Errorf("UnlistedMembers with a breakout = %d findings, want the 5 that have no card", len(all))
	}
	first, err := s.UnlistedMembers(ctx, g.ID, 3)
	if err != nil || len(first) != 3 || first[0].Name != member(1, "", "", 0, t0).Name {
		t.Fatalf("UnlistedMembers = %d findings, %v", len(first), err)
	}
	if err := s.MarkListed(ctx, g.ID, []string{first[0].Name, first[1].Name, first[2].Name}); err != nil {
		t.Fatal(err)
	}
	s = reopen()
	rest, _ := s.UnlistedMembers(ctx, g.ID, 10)
	if len(rest) != 2 {
		t.Errorf("after listing 3 of 5, %d unlisted, want 2", len(rest))
	}
	groups, _ := s.GroupsWithUnlisted(ctx)
	if len(groups) != 1 || groups[0].ID != g.ID {
		t.Errorf("GroupsWithUnlisted = %+v", groups)
	}
	_ = s.MarkListed(ctx, g.ID, []string{rest[0].Name, rest[1].Name})
	if groups, _ := s.GroupsWithUnlisted(ctx); len(groups) != 0 {
		t.Errorf("GroupsWithUnlisted after listing all = %+v", groups)
	}
}

func testSilences(t *testing.T, open func(t *testing.T) (GroupStore, func() GroupStore)) {
	s, reopen := open(t)
	ctx := context.Background()
	sil := bot.Silence{ID: "s1", Reason: "known scanner <!channel>", CreatedBy: "U1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
		Matchers: []bot.Matcher{{Field: bot.MatchCategory, Value: "Reverse Shell"}, {Field: bot.MatchCluster, Value: "c"}}}
	if err := s.CreateSilence(ctx, sil); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSilence(ctx, bot.Silence{ID: "s2", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("silence without matchers: %v, want EInvalid", err)
	}
	s = reopen()
	active, err := s.ActiveSilences(ctx, t0.Add(time.Minute))
	if err != nil || len(active) != 1 || !cmp.Equal(active[0], sil) {
		t.Fatalf("ActiveSilences = %+v, %v\nwant %+v", active, err, sil)
	}
	if active, _ := s.ActiveSilences(ctx, t0.Add(time.Hour)); len(active) != 0 {
		t.Error("an expired silence is active")
	}
	removed, err := s.RemoveSilence(ctx, "s1", "U2")
	if err != nil || removed.RemovedBy != "U2" || removed.RemovedAt.IsZero() {
		t.Fatalf("RemoveSilence = %+v, %v", removed, err)
	}
	again, _ := s.RemoveSilence(ctx, "s1", "U3")
	if again.RemovedBy != "U2" {
		t.Errorf("removing twice changed who removed it: %q", again.RemovedBy)
	}
	if active, _ := s.ActiveSilences(ctx, t0.Add(time.Minute)); len(active) != 0 {
		t.Error("a removed silence is active")
	}
	short := bot.Silence{ID: "s3", CreatedBy: "U1", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute),
		Matchers: []bot.Matcher{{Field: bot.MatchPod, Value: "p*"}}}
	if err := s.CreateSilence(ctx, short); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ExpiredSilences(ctx, t0.Add(30*time.Second)); len(got) != 0 {
		t.Errorf("ExpiredSilences before expiry = %+v", got)
	}
	if got, _ := s.ExpiredSilences(ctx, t0.Add(2*time.Hour)); len(got) != 1 || got[0].ID != "s3" {
		t.Errorf("ExpiredSilences = %+v, want s3 only (s1 was removed)", got)
	}
	if got, _ := s.ExpiredSilences(ctx, t0.Add(3*time.Hour)); len(got) != 0 {
		t.Errorf("an expiry was reported twice: %+v", got)
	}
	if _, err := s.Silence(ctx, "nope"); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("Silence(unknown) = %v, want ENotFound", err)
	}
}

// testGroupCardLater: a group is created before its card (knowing only
// its channel); members join at once and are listed (in the channel's
// storm thread) before the card is recorded.
func testGroupCardLater(t *testing.T, open func(t *testing.T) (GroupStore, func() GroupStore)) {
	s, reopen := open(t)
	ctx := context.Background()
	rep := member(0, "p0", "/bin/a", bot.SeverityLow, t0)
	mustPut(t, s, rep)
	g := newGroup(rep)
	g.Card = bot.MessageRef{Channel: "C1"}
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatalf("CreateGroup without a card: %v", err)
	}
	m := member(1, "p1", "/bin/a", bot.SeverityLow, t0)
	mustPut(t, s, m)
	if _, err := s.JoinGroup(ctx, g.ID, m, false); err != nil {
		t.Fatal(err)
	}
	if groups, _ := s.GroupsWithUnlisted(ctx); len(groups) != 1 || groups[0].Card != g.Card {
		t.Errorf("GroupsWithUnlisted before the card = %+v, want the group with its channel only", groups)
	}
	wantCode(t, "SetGroupCard of a missing group", s.SetGroupCard(ctx, "nope", bot.MessageRef{Channel: "C1", TS: "1.2"}), bot.ENotFound)
	wantCode(t, "SetGroupCard with an empty ref", s.SetGroupCard(ctx, g.ID, bot.MessageRef{}), bot.EInvalid)
	card := bot.MessageRef{Channel: "C2", TS: "1700000000.000009"}
	if err := s.SetGroupCard(ctx, g.ID, card); err != nil {
		t.Fatal(err)
	}
	s = reopen()
	got, ok, err := s.GroupOf(ctx, m.Name)
	if err != nil || !ok || got.Card != card {
		t.Errorf("GroupOf after SetGroupCard = %+v, %v, %v; want the group with its card", got, ok, err)
	}
}

// testGroupCardWithItsPost: recording the posted card of a group's
// representative records the group's card with it, in one step, so that
// no crash leaves the group without the card Slack shows. A member's card
// does not touch the group, and a group that has its card keeps it.
func testGroupCardWithItsPost(t *testing.T, open func(t *testing.T) (GroupStore, func() GroupStore)) {
	s, reopen := open(t)
	ctx := context.Background()
	rep := member(0, "p0", "/bin/a", bot.SeverityLow, t0)
	m := member(1, "p1", "/bin/a", bot.SeverityHigh, t0)
	mustPut(t, s, rep)
	mustPut(t, s, m)
	g := newGroup(rep)
	g.Card = bot.MessageRef{Channel: "C1"}
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := s.JoinGroup(ctx, g.ID, m, true); err != nil {
		t.Fatal(err)
	}
	breakout := bot.MessageRef{Channel: "C1", TS: "1700000000.000002"}
	if err := s.PutPostedCard(ctx, m.Key(), breakout, "posted"); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.GroupOf(ctx, rep.Name); err != nil || got.Card != g.Card {
		t.Fatalf("a member's card moved the group's card: %+v, %v; want %+v", got.Card, err, g.Card)
	}
	card := bot.MessageRef{Channel: "C1", TS: "1700000000.000001"}
	if err := s.PutPostedCard(ctx, rep.Key(), card, "posted"); err != nil {
		t.Fatal(err)
	}
	s = reopen()
	if got, ok, err := s.GroupOf(ctx, m.Name); err != nil || !ok || got.Card != card {
		t.Errorf("group after its representative's card was recorded = %+v, %v, %v; want its card %+v", got.Card, ok, err, card)
	}
	// A later record of the representative's card (a repost) leaves the
	// group's card alone; only an empty one is filled.
	if err := s.PutPostedCard(ctx, rep.Key(), bot.MessageRef{Channel: "C9", TS: "1700000000.000003"}, "posted"); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.GroupOf(ctx, rep.Name); err != nil || got.Card != card {
		t.Errorf("a second record moved the group's card to %+v (%v), want %+v", got.Card, err, card)
	}
}
