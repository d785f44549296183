package intake

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// groupHarness runs the intake with grouping and silences on a real store.
type groupHarness struct {
	store    *sqlite.DB
	chat     *handlerstest.FakeChat
	intake   *Intake
	silences *Silences
	lister   *Lister
	now      time.Time
	mu       sync.Mutex
}

var g0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func newGroupHarness(t *testing.T, rule GroupRule) *groupHarness {
	return newGroupHarnessOn(t, rule, false)
}

// newGroupHarnessOn is newGroupHarness; with storeClock the store tells
// time by the harness's clock too (heartbeats, intents).
func newGroupHarnessOn(t *testing.T, rule GroupRule, storeClock bool) *groupHarness {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &groupHarness{store: db, chat: &handlerstest.FakeChat{Updated: make(chan bot.Message, 1000)}, now: g0}
	if storeClock {
		db.Now = h.clock
	}
	cards := handlers.NewCards(db, h.chat, handlers.CardsOptions{Groups: db})
	h.silences = NewSilences(db, SilencesOptions{Now: h.clock})
	router := NewGroupingRouter("C-default", rule, nil)
	h.intake = NewIntake(db, h.chat, router, cards, Options{Groups: db, Silences: h.silences, Now: h.clock})
	h.lister = NewLister(db, h.chat, ListerOptions{Every: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- cards.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func (h *groupHarness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *groupHarness) advance(d time.Duration) {
	h.mu.Lock()
	h.now = h.now.Add(d)
	h.mu.Unlock()
}

func (h *groupHarness) handle(t *testing.T, fs ...bot.Finding) {
	t.Helper()
	for _, f := range fs {
		if err := h.intake.Handle(context.Background(), f); err != nil {
			t.Fatalf("Handle(%s): %v", f.ShortID(), err)
		}
	}
}

// cardsOf counts the top-level cards of f.
func (h *groupHarness) cardsOf(f bot.Finding) int {
	n := 0
	for _, p := range h.topLevel() {
		if p.Msg.Key == bot.CardKey(f.Name) {
			n++
		}
	}
	return n
}

func (h *groupHarness) topLevel() []handlerstest.Posted {
	var out []handlerstest.Posted
	for _, p := range h.chat.All() {
		if p.Thread == "" {
			out = append(out, p)
		}
	}
	return out
}

func TestBurstPostsOneCardAndListsTheRestInItsThread(t *testing.T) {
	h := newGroupHarness(t, GroupRule{Window: 10 * time.Minute, Repeat: 4 * time.Hour})
	for i := range 30 {
		h.handle(t, handlerstest.PodFinding(i, fmt.Sprintf("pod-%d", i%7), bot.SeverityLow, g0.Add(time.Duration(i)*time.Second)))
	}
	if cards := h.topLevel(); len(cards) != 1 {
		t.Fatalf("%d cards for a burst of 30, want 1", len(cards))
	}
	g, ok, _ := h.store.OpenGroup(context.Background(), GroupKey(handlerstest.PodFinding(0, "", 0, g0), "default", nil))
	if !ok || g.Count != 30 || len(g.Pods) != 7 || !g.Last.Equal(g0.Add(29*time.Second)) {
		t.Fatalf("group = %+v, %v; want 30 findings on 7 pods", g, ok)
	}
	card := h.chat.WaitUpdate(t)
	for !strings.Contains(handlerstest.Flatten(card), "×30") {
		card = h.chat.WaitUpdate(t)
	}
	for _, want := range []string{"30 findings", "Pods (7)", "payments/pod-6"} {
		if !strings.Contains(handlerstest.Flatten(card), want) {
			t.Errorf("group card lacks %q\n%s", want, handlerstest.Flatten(card))
		}
	}
	h.lister.Flush(context.Background())
	var listed int
	for _, p := range h.chat.All() {
		if p.Thread != "" {
			listed += strings.Count(handlerstest.Flatten(p.Msg), "\n") // one line a finding in the code blocks
		}
	}
	if listed < 29 {
		t.Errorf("thread lists %d findings, want the 29 besides the card's", listed)
	}
	if unlisted, _ := h.store.UnlistedMembers(context.Background(), g.ID, 100); len(unlisted) != 0 {
		t.Errorf("%d members still unlisted after a flush", len(unlisted))
	}
}

func TestMoreSevereFindingBreaksOut(t *testing.T) {
	h := newGroupHarness(t, GroupRule{Window: 10 * time.Minute})
	h.handle(t, handlerstest.PodFinding(1, "a", bot.SeverityLow, g0), handlerstest.PodFinding(2, "b", bot.SeverityLow, g0.Add(time.Second)))
	h.handle(t, handlerstest.PodFinding(3, "c", bot.SeverityCritical, g0.Add(2*time.Second)))
	h.handle(t, handlerstest.PodFinding(4, "d", bot.SeverityCritical, g0.Add(3*time.Second)))
	cards := h.topLevel()
	if len(cards) != 2 || !strings.Contains(cards[1].Msg.Blocks[0].(bot.Header).Text, "Critical") {
		t.Fatalf("cards = %d, want the group's and one for the Critical breakout", len(cards))
	}
}

func TestGroupEndsAfterWindowAndRepeat(t *testing.T) {
	h := newGroupHarness(t, GroupRule{Window: time.Minute, Repeat: time.Hour})
	h.handle(t, handlerstest.PodFinding(1, "a", bot.SeverityLow, g0), handlerstest.PodFinding(2, "a", bot.SeverityLow, g0.Add(30*time.Second)))
	h.handle(t, handlerstest.PodFinding(3, "a", bot.SeverityLow, g0.Add(5*time.Minute))) // after a pause longer than the window
	if n := len(h.topLevel()); n != 2 {
		t.Fatalf("%d cards, want a second card after the pause", n)
	}
	for i := range 5 { // a group that stays active...
		h.advance(20 * time.Minute)
		h.handle(t, handlerstest.PodFinding(10+i, "a", bot.SeverityLow, g0.Add(5*time.Minute+time.Duration(i+1)*50*time.Second)))
	}
	if n := len(h.topLevel()); n != 3 {
		t.Errorf("%d cards, want one more after the repeat interval", n)
	}
}

func TestLifecycleUpdatesTheExistingCard(t *testing.T) {
	h := newGroupHarness(t, GroupRule{})
	f := handlerstest.PodFinding(1, "a", bot.SeverityHigh, g0)
	h.handle(t, f)
	resolved := f
	resolved.State = "INACTIVE"
	h.handle(t, resolved, resolved) // the change, then its redelivery
	muted := resolved
	muted.Mute, muted.Severity = "MUTED", bot.SeverityCritical
	h.handle(t, muted)
	if n := len(h.topLevel()); n != 1 {
		t.Fatalf("%d cards, want changes to update the one card", n)
	}
	var notes []string
	for _, p := range h.chat.All() {
		if p.Thread != "" {
			notes = append(notes, handlerstest.Flatten(p.Msg))
		}
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "state ACTIVE → INACTIVE") ||
		!strings.Contains(notes[1], "muted, severity High → Critical") {
		t.Errorf("thread notes = %q", notes)
	}
	card := h.chat.WaitUpdate(t)
	for !strings.Contains(handlerstest.Flatten(card), "muted") {
		card = h.chat.WaitUpdate(t)
	}
	if !strings.Contains(handlerstest.Flatten(card), "INACTIVE · muted") {
		t.Errorf("card not updated with the new state:\n%s", handlerstest.Flatten(card))
	}
}

func TestSilencedFindingsAreRecordedNotPosted(t *testing.T) {
	h := newGroupHarness(t, GroupRule{})
	f := handlerstest.PodFinding(1, "a", bot.SeverityHigh, g0)
	sil, err := h.silences.Create(context.Background(), bot.SimilarMatchers(f), time.Hour, "known scanner", "U0ALICE")
	if err != nil {
		t.Fatal(err)
	}
	h.handle(t, f)
	other := handlerstest.PodFinding(2, "b", bot.SeverityHigh, g0)
	other.Category = "Reverse Shell"
	h.handle(t, other)
	if cards := h.topLevel(); len(cards) != 1 || !strings.Contains(handlerstest.Flatten(cards[0].Msg), "Reverse Shell") {
		t.Errorf("cards = %d, want only the unsilenced finding", len(cards))
	}
	if _, err := h.silences.Remove(context.Background(), sil.ID, "U0BOB"); err != nil {
		t.Fatal(err)
	}
	h.handle(t, handlerstest.PodFinding(3, "c", bot.SeverityHigh, g0))
	if n := len(h.topLevel()); n != 2 {
		t.Errorf("%d cards after removing the silence, want 2", n)
	}
}

func TestSilenceRules(t *testing.T) {
	h := newGroupHarness(t, GroupRule{})
	ctx := context.Background()
	for _, bad := range []struct {
		ms     []bot.Matcher
		d      time.Duration
		reason string
	}{
		{nil, time.Hour, "x"},
		{bot.SimilarMatchers(handlerstest.PodFinding(1, "a", 0, g0)), time.Minute, "x"},
		{bot.SimilarMatchers(handlerstest.PodFinding(1, "a", 0, g0)), 31 * 24 * time.Hour, "x"},
		{bot.SimilarMatchers(handlerstest.PodFinding(1, "a", 0, g0)), time.Hour, "  "},
	} {
		if _, err := h.silences.Create(ctx, bad.ms, bad.d, bad.reason, "U1"); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("Create(%v, %s, %q) = %v, want EInvalid", bad.ms, bad.d, bad.reason, err)
		}
	}
}

// TestBreakoutCardIsPostedOnRedelivery: a finding more severe than its
// group breaks out with a card of its own. If that card's post fails (or
// the process dies before it), the finding is already counted in the group
// and has raised its worst severity, so the redelivery must still post
// its card rather than join the group quietly: a breakout is never listed
// in the group's thread, so joining would hide it.
func TestBreakoutCardIsPostedOnRedelivery(t *testing.T) {
	h := newGroupHarness(t, GroupRule{Window: 10 * time.Minute, Repeat: 4 * time.Hour})
	for i := range 5 {
		h.handle(t, handlerstest.PodFinding(i, "pod-a", bot.SeverityLow, g0.Add(time.Duration(i)*time.Second)))
	}
	severe := handlerstest.PodFinding(5, "pod-b", bot.SeverityHigh, g0.Add(5*time.Second))
	h.chat.SetRefuse("C-default", errors.New("slack is down"))
	if err := h.intake.Handle(context.Background(), severe); err == nil {
		t.Fatal("Handle succeeded while the channel refuses posts; want an error so the notification is redelivered")
	}
	h.chat.SetRefuse("C-default", nil)
	h.handle(t, severe)
	if cards := h.cardsOf(severe); cards != 1 {
		t.Errorf("the breakout has %d cards after its redelivery, want 1", cards)
	}
	if n, _, _ := h.store.Notification(context.Background(), severe.Key()); n != handlers.OutcomePosted {
		t.Errorf("the breakout's notification is marked %q, want %q", n, handlers.OutcomePosted)
	}
}

// crashAfterBreakout is a group store whose process "dies" just after a
// breakout's join is committed: the join is kept, and the call fails.
type crashAfterBreakout struct {
	GroupStore
	armed bool
}

func (s *crashAfterBreakout) JoinGroup(ctx context.Context, groupID string, f bot.Finding, breakout bool) (bot.Group, error) {
	g, err := s.GroupStore.JoinGroup(ctx, groupID, f, breakout)
	if err == nil && breakout && s.armed {
		s.armed = false
		return bot.Group{}, errors.New("killed after the join")
	}
	return g, err
}

// TestBreakoutKilledAfterItsJoinIsPosted: the breakout's card intent is
// recorded before it joins the group, so a crash just after the join still
// leaves its card due, and the redelivery posts it.
func TestBreakoutKilledAfterItsJoinIsPosted(t *testing.T) {
	h := newGroupHarness(t, GroupRule{Window: 10 * time.Minute, Repeat: 4 * time.Hour})
	groups := &crashAfterBreakout{GroupStore: h.store}
	cards := handlers.NewCards(h.store, h.chat, handlers.CardsOptions{Groups: h.store})
	in := NewIntake(h.store, h.chat, NewGroupingRouter("C-default", GroupRule{Window: 10 * time.Minute, Repeat: 4 * time.Hour}, nil),
		cards, Options{Groups: groups, Now: h.clock})
	ctx := context.Background()
	for i := range 5 {
		if err := in.Handle(ctx, handlerstest.PodFinding(i, "pod-a", bot.SeverityLow, g0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	severe := handlerstest.PodFinding(5, "pod-b", bot.SeverityHigh, g0.Add(5*time.Second))
	groups.armed = true
	if err := in.Handle(ctx, severe); err == nil {
		t.Fatal("Handle succeeded through the crash")
	}
	if err := in.Handle(ctx, severe); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if n := h.cardsOf(severe); n != 1 {
		t.Errorf("the breakout has %d cards after the crash and its redelivery, want 1", n)
	}
}
