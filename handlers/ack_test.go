package handlers

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
)

// The real store satisfies the flow's interfaces.
var (
	_ AckStore        = (*sqlite.DB)(nil)
	_ FindingResolver = (*sqlite.DB)(nil)
	_ CardStore       = (*sqlite.DB)(nil)
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// openTestDB opens an in-memory store on clock.
func openTestDB(t *testing.T, clock *testClock) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Now = clock.now
	t.Cleanup(func() { _ = db.Close() })
	return db
}

type ackHarness struct {
	db    *sqlite.DB
	clock *testClock
	chat  *fakeChat
	cards *Cards
	mux   *Mux
	f     bot.Finding
}

func newAckHarness(t *testing.T) *ackHarness {
	t.Helper()
	arrived := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	h := &ackHarness{clock: &testClock{t: arrived}, chat: &fakeChat{updated: make(chan bot.Message, 100)}}
	h.db = openTestDB(t, h.clock)
	h.f = testFinding("f00d", arrived)
	ctx := context.Background()
	if err := h.db.PutFinding(ctx, h.f); err != nil {
		t.Fatal(err)
	}
	if err := h.db.PutCard(ctx, h.f.Name, bot.MessageRef{Channel: "C-gke", TS: "1700000000.000042"}); err != nil {
		t.Fatal(err)
	}
	h.cards = NewCards(h.db, h.chat, nil, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- h.cards.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	h.mux = NewMux(nil)
	NewAckFlow(h.db, h.db, h.chat, h.db, nil).Register(h.mux, h.cards)
	return h
}

func (h *ackHarness) click(t *testing.T, user, value string) string {
	t.Helper()
	h.chat.mu.Lock()
	n := len(h.chat.ephemerals)
	h.chat.mu.Unlock()
	err := h.mux.Serve(context.Background(), Request{Kind: RequestAction, ActionID: ActionAck, Value: value,
		UserID: user, Channel: "C-gke", MessageTS: "1700000000.000042"})
	if err != nil {
		t.Fatal(err)
	}
	h.chat.mu.Lock()
	defer h.chat.mu.Unlock()
	if len(h.chat.ephemerals) != n+1 {
		t.Fatalf("click by %s: %d ephemeral answers, want 1", user, len(h.chat.ephemerals)-n)
	}
	return digestText(h.chat.ephemerals[n])
}

func (h *ackHarness) pendingRefreshes() int {
	h.cards.mu.Lock()
	defer h.cards.mu.Unlock()
	return len(h.cards.dirty)
}

func TestAckButtonOnEveryCard(t *testing.T) {
	h := newAckHarness(t)
	m, err := h.cards.Build(context.Background(), h.f)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, b := range m.Blocks {
		if a, ok := b.(bot.Actions); ok {
			for _, btn := range a.Buttons {
				found = found || (btn.ActionID == ActionAck && btn.Label == "Acknowledge" && btn.Value == h.f.ShortID())
			}
		}
	}
	if !found {
		t.Error("the card has no Acknowledge button carrying the short id")
	}
	if strings.Contains(digestText(m), "Acknowledged by") {
		t.Error("an unacknowledged card says it is acknowledged")
	}
}

func TestAckFirstClickTakesTheFindingAndShowsOnCard(t *testing.T) {
	h := newAckHarness(t)
	h.clock.set(time.Date(2026, 11, 20, 10, 12, 30, 0, time.UTC))
	if got := h.click(t, "U0ALICE", h.f.ShortID()); !strings.Contains(got, "You acknowledged f00d at 2026-11-20 10:12 UTC") {
		t.Errorf("first clicker was told %q", got)
	}
	card := digestText(h.chat.waitUpdate(t))
	if want := "✅ Acknowledged by @U0ALICE at 10:12 UTC (12 min after it arrived)"; !strings.Contains(card, want) {
		t.Errorf("card = %q, want the line %q", card, want)
	}

	h.clock.set(time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC))
	if got := h.click(t, "U0BOB", h.f.ShortID()); !strings.Contains(got, "Already acknowledged by @U0ALICE at 2026-11-20 10:12 UTC.") {
		t.Errorf("second clicker was told %q", got)
	}
	if got := h.click(t, "U0ALICE", h.f.ShortID()); !strings.Contains(got, "You already acknowledged it at 2026-11-20 10:12 UTC.") {
		t.Errorf("first clicker clicking again was told %q", got)
	}
	if n := h.pendingRefreshes(); n != 0 {
		t.Errorf("%d card refreshes queued by later clicks, want none", n)
	}
	by, at, ok, err := h.db.AckOf(context.Background(), h.f.Name)
	if err != nil || !ok || by != "U0ALICE" || !at.Equal(time.Date(2026, 11, 20, 10, 12, 30, 0, time.UTC)) {
		t.Errorf("stored ack = %q at %v (%v, %v); want Alice's first", by, at, ok, err)
	}
	assertOneAckAudit(t, h, "U0ALICE", "Acknowledge button")
}

// assertOneAckAudit checks that only the first acknowledgement is in the
// finding's audit trail: later clicks change nothing, so they record nothing.
func assertOneAckAudit(t *testing.T, h *ackHarness, user, via string) {
	t.Helper()
	events, err := h.db.AuditForFinding(context.Background(), h.f.Name)
	if err != nil {
		t.Fatal(err)
	}
	var acks []bot.AuditEvent
	for _, e := range events {
		if e.Event == AuditAcknowledged {
			acks = append(acks, e)
		}
	}
	if len(acks) != 1 {
		t.Fatalf("audit has %d acknowledgements, want 1: %+v", len(acks), events)
	}
	if acks[0].Actor != user || acks[0].Detail != via || acks[0].Action != "ack" {
		t.Errorf("audit row = %+v, want %s via %q", acks[0], user, via)
	}
}

func TestAckByCommandIsAuditedAsTheCommand(t *testing.T) {
	h := newAckHarness(t)
	flow := NewAckFlow(h.db, h.db, h.chat, h.db, nil)
	flow.Register(NewMux(nil), h.cards)
	r := Request{Kind: RequestCommand, UserID: "U0BOB", Channel: "C-gke"}
	for range 2 {
		if err := flow.Acknowledge(context.Background(), r, h.f.ShortID()); err != nil {
			t.Fatal(err)
		}
	}
	assertOneAckAudit(t, h, "U0BOB", "/finding ack")
}

func TestAckUnknownFindingIsAnswered(t *testing.T) {
	h := newAckHarness(t)
	if got := h.click(t, "U0ALICE", "nope"); !strings.HasPrefix(got, "Acknowledge: ") || !strings.Contains(got, "not found") {
		t.Errorf("unknown finding answer = %q", got)
	}
	if _, _, ok, _ := h.db.AckOf(context.Background(), h.f.Name); ok {
		t.Error("a click on an unknown finding acknowledged another")
	}
}

func TestAckNoteUnderAMinute(t *testing.T) {
	h := newAckHarness(t)
	h.clock.set(time.Date(2026, 11, 20, 10, 0, 40, 0, time.UTC))
	h.click(t, "U0ALICE", h.f.ShortID())
	notes, err := NewAckFlow(h.db, h.db, h.chat, h.db, nil).Note(context.Background(), h.f)
	if err != nil || len(notes) != 1 {
		t.Fatalf("notes = %v, %v", notes, err)
	}
	if got := digestText(bot.Message{Blocks: []bot.Block{bot.Context{Elements: notes}}}); !strings.Contains(got, "(under a minute after it arrived)") {
		t.Errorf("note = %q", got)
	}
}
