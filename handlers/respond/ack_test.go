package respond

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/bot/sqlite/sqlitetest"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// The real store satisfies the flow's interfaces.
var (
	_ AckStore                 = (*sqlite.DB)(nil)
	_ handlers.FindingResolver = (*sqlite.DB)(nil)
	_ handlers.CardStore       = (*sqlite.DB)(nil)
)

type ackHarness struct {
	db    *sqlite.DB
	clock *handlerstest.TestClock
	chat  *handlerstest.FakeChat
	cards *handlers.Cards
	mux   *handlers.Mux
	f     bot.Finding
}

func newAckHarness(t *testing.T) *ackHarness {
	t.Helper()
	arrived := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	h := &ackHarness{clock: &handlerstest.TestClock{T: arrived}, chat: &handlerstest.FakeChat{Updated: make(chan bot.Message, 100)}}
	h.db = sqlitetest.Open(t, h.clock.Now)
	h.f = handlerstest.TestFinding("f00d", arrived)
	ctx := context.Background()
	if err := h.db.PutFinding(ctx, h.f); err != nil {
		t.Fatal(err)
	}
	if err := h.db.PutCard(ctx, h.f.Name, bot.MessageRef{Channel: "C-gke", TS: "1700000000.000042"}); err != nil {
		t.Fatal(err)
	}
	h.cards = handlers.NewCards(h.db, h.chat, handlers.CardsOptions{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- h.cards.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	h.mux = handlers.NewMux(nil)
	NewAckFlow(h.db, h.db, h.chat, h.db, AckOptions{}).Register(h.mux, h.cards)
	return h
}

func (h *ackHarness) click(t *testing.T, user, value string) string {
	t.Helper()
	h.chat.Mu.Lock()
	n := len(h.chat.Ephemerals)
	h.chat.Mu.Unlock()
	err := h.mux.Serve(context.Background(), handlers.Request{Kind: handlers.RequestAction, ActionID: handlers.ActionAck, Value: value,
		UserID: user, Channel: "C-gke", MessageTS: "1700000000.000042"})
	if err != nil {
		t.Fatal(err)
	}
	h.chat.Mu.Lock()
	defer h.chat.Mu.Unlock()
	if len(h.chat.Ephemerals) != n+1 {
		t.Fatalf("click by %s: %d ephemeral answers, want 1", user, len(h.chat.Ephemerals)-n)
	}
	return handlerstest.DigestText(h.chat.Ephemerals[n])
}

func (h *ackHarness) pendingRefreshes() int {
	return h.cards.Pending()
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
				found = found || (btn.ActionID == handlers.ActionAck && btn.Label == "Acknowledge" && btn.Value == h.f.ShortID())
			}
		}
	}
	if !found {
		t.Error("the card has no Acknowledge button carrying the short id")
	}
	if strings.Contains(handlerstest.DigestText(m), "Acknowledged by") {
		t.Error("an unacknowledged card says it is acknowledged")
	}
}

func TestAckFirstClickTakesTheFindingAndShowsOnCard(t *testing.T) {
	h := newAckHarness(t)
	h.clock.Set(time.Date(2026, 11, 20, 10, 12, 30, 0, time.UTC))
	if got := h.click(t, "U0ALICE", h.f.ShortID()); !strings.Contains(got, "You acknowledged f00d at 2026-11-20 10:12 UTC") {
		t.Errorf("first clicker was told %q", got)
	}
	card := handlerstest.DigestText(h.chat.WaitUpdate(t))
	if want := "✅ Acknowledged by @U0ALICE at 10:12 UTC (12 min after it arrived)"; !strings.Contains(card, want) {
		t.Errorf("card = %q, want the line %q", card, want)
	}

	h.clock.Set(time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC))
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
	flow := NewAckFlow(h.db, h.db, h.chat, h.db, AckOptions{})
	flow.Register(handlers.NewMux(nil), h.cards)
	r := handlers.Request{Kind: handlers.RequestCommand, UserID: "U0BOB", Channel: "C-gke"}
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
	h.clock.Set(time.Date(2026, 11, 20, 10, 0, 40, 0, time.UTC))
	h.click(t, "U0ALICE", h.f.ShortID())
	notes, err := NewAckFlow(h.db, h.db, h.chat, h.db, AckOptions{}).Note(context.Background(), h.f)
	if err != nil || len(notes) != 1 {
		t.Fatalf("notes = %v, %v", notes, err)
	}
	if got := handlerstest.DigestText(bot.Message{Blocks: []bot.Block{bot.Context{Elements: notes}}}); !strings.Contains(got, "(under a minute after it arrived)") {
		t.Errorf("note = %q", got)
	}
}
