package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// testNotifications checks that the dedupe key is the finding name plus the
// exact event time: a nanosecond apart is another notification, the same
// instant in another zone is the same one.
func testNotifications(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	key := bot.NotificationKey{Name: findingName("n1"), EventTime: baseTime}
	handled := func(k bot.NotificationKey) bool {
		t.Helper()
		ok, err := s.NotificationHandled(ctx, k)
		must(t, "NotificationHandled", err)
		return ok
	}
	if handled(key) {
		t.Fatalf("NotificationHandled(%v) = true before any mark", key)
	}
	must(t, "MarkNotification", s.MarkNotification(ctx, key, "posted"))

	for _, tc := range []struct {
		name string
		key  bot.NotificationKey
		want bool
	}{
		{"same key", key, true},
		{"same instant, other zone", bot.NotificationKey{Name: key.Name, EventTime: baseTime.In(time.FixedZone("X", -7*3600))}, true},
		{"one nanosecond later", bot.NotificationKey{Name: key.Name, EventTime: at(time.Nanosecond)}, false},
		{"one nanosecond earlier", bot.NotificationKey{Name: key.Name, EventTime: at(-time.Nanosecond)}, false},
		{"other finding", bot.NotificationKey{Name: findingName("n2"), EventTime: baseTime}, false},
		{"zero event time", bot.NotificationKey{Name: key.Name}, false},
	} {
		if got := handled(tc.key); got != tc.want {
			t.Errorf("%s: NotificationHandled(%v) = %v, want %v", tc.name, tc.key, got, tc.want)
		}
	}

	// A source may carry no event time; that is still a key.
	zero := bot.NotificationKey{Name: key.Name}
	must(t, "MarkNotification zero time", s.MarkNotification(ctx, zero, "failed"))
	if !handled(zero) {
		t.Errorf("NotificationHandled(%v) = false after marking it", zero)
	}
	_, _, err := s.Notification(ctx, bot.NotificationKey{Name: findingName("n3"), EventTime: baseTime})
	wantCode(t, "Notification never marked", err, bot.ENotFound)
	wantCode(t, "MarkNotification without outcome", s.MarkNotification(ctx, key, ""), bot.EInvalid)
	_, err = s.NotificationHandled(ctx, bot.NotificationKey{EventTime: baseTime})
	wantCode(t, "NotificationHandled without name", err, bot.EInvalid)
}

// testNotificationMarkIdempotent marks the same notification twice: the
// first outcome and handled time stay.
func testNotificationMarkIdempotent(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	key := bot.NotificationKey{Name: findingName("twice"), EventTime: baseTime}
	must(t, "MarkNotification", s.MarkNotification(ctx, key, "posted"))
	outcome, handledAt, err := s.Notification(ctx, key)
	must(t, "Notification", err)
	if outcome != "posted" || handledAt.IsZero() {
		t.Errorf("Notification = %q, %v; want posted at a non-zero time", outcome, handledAt)
	}
	must(t, "MarkNotification again", s.MarkNotification(ctx, key, "duplicate"))
	outcome2, handledAt2, err := s.Notification(ctx, key)
	must(t, "Notification", err)
	if outcome2 != outcome || !handledAt2.Equal(handledAt) {
		t.Errorf("after a second mark: %q at %v, want the first: %q at %v", outcome2, handledAt2, outcome, handledAt)
	}
}

// testCards puts, reads, moves and looks up a finding's card.
func testCards(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	f := fullFinding("carded")
	must(t, "PutFinding", s.PutFinding(ctx, f))
	if ref, ok, err := s.Card(ctx, f.Name); err != nil || ok {
		t.Fatalf("Card before PutCard = %v, %v, %v; want none", ref, ok, err)
	}
	first := bot.MessageRef{Channel: "C0123456789", TS: "1773500966.000100"}
	moved := bot.MessageRef{Channel: "C9876543210", TS: "1773500999.000200"}
	for _, ref := range []bot.MessageRef{first, first, moved} {
		must(t, "PutCard", s.PutCard(ctx, f.Name, ref))
		got, ok, err := s.Card(ctx, f.Name)
		if err != nil || !ok || got != ref {
			t.Errorf("Card after PutCard(%v) = %v, %v, %v", ref, got, ok, err)
		}
		byCard, err := s.FindingByCard(ctx, ref)
		must(t, "FindingByCard", err)
		if diff := cmp.Diff(f, byCard); diff != "" {
			t.Errorf("FindingByCard(%v) (-want +got):\n%s", ref, diff)
		}
	}
	_, err := s.FindingByCard(ctx, first)
	wantCode(t, "FindingByCard of the card before it moved", err, bot.ENotFound)
	_, err = s.FindingByCard(ctx, bot.MessageRef{Channel: moved.Channel, TS: first.TS})
	wantCode(t, "FindingByCard of another ts in the channel", err, bot.ENotFound)
}

// testCardErrors covers cards for unknown findings, incomplete refs and a
// message that is already another finding's card.
func testCardErrors(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	a, b := simpleFinding("a", baseTime), simpleFinding("b", baseTime)
	must(t, "PutFinding a", s.PutFinding(ctx, a))
	must(t, "PutFinding b", s.PutFinding(ctx, b))
	ref := bot.MessageRef{Channel: "C1", TS: "1.000001"}

	wantCode(t, "PutCard of an unknown finding", s.PutCard(ctx, findingName("unknown"), ref), bot.ENotFound)
	wantCode(t, "PutCard without ts", s.PutCard(ctx, a.Name, bot.MessageRef{Channel: "C1"}), bot.EInvalid)
	wantCode(t, "PutCard without channel", s.PutCard(ctx, a.Name, bot.MessageRef{TS: "1.0"}), bot.EInvalid)
	must(t, "PutCard a", s.PutCard(ctx, a.Name, ref))
	wantCode(t, "PutCard of b on a's card", s.PutCard(ctx, b.Name, ref), bot.EConflict)
	if _, ok, err := s.Card(ctx, b.Name); err != nil || ok {
		t.Errorf("Card(b) after the conflict = %v, %v; want none", ok, err)
	}
	got, err := s.FindingByCard(ctx, ref)
	if err != nil || got.Name != a.Name {
		t.Errorf("FindingByCard after the conflict = %q, %v; want %q", got.Name, err, a.Name)
	}
}

// testPostedCard records a card and its notification together, and checks
// that a refused card leaves its notification unmarked, so that the
// notification is handled again rather than lost.
func testPostedCard(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	a, b := simpleFinding("pa", baseTime), simpleFinding("pb", baseTime)
	must(t, "PutFinding a", s.PutFinding(ctx, a))
	must(t, "PutFinding b", s.PutFinding(ctx, b))
	ref := bot.MessageRef{Channel: "C1", TS: "1.000001"}

	must(t, "PutPostedCard a", s.PutPostedCard(ctx, a.Key(), ref, "posted"))
	if got, ok, err := s.Card(ctx, a.Name); err != nil || !ok || got != ref {
		t.Errorf("Card(a) = %v, %v, %v; want %v", got, ok, err, ref)
	}
	if outcome, _, err := s.Notification(ctx, a.Key()); err != nil || outcome != "posted" {
		t.Errorf("Notification(a) = %q, %v; want posted", outcome, err)
	}
	must(t, "PutPostedCard a again", s.PutPostedCard(ctx, a.Key(), ref, "threaded"))
	if outcome, _, _ := s.Notification(ctx, a.Key()); outcome != "posted" {
		t.Errorf("Notification(a) after a second mark = %q, want the first, posted", outcome)
	}

	unknown := bot.NotificationKey{Name: findingName("unknown"), EventTime: baseTime}
	refused := []struct {
		what string
		key  bot.NotificationKey
		ref  bot.MessageRef
		code string
	}{
		{"b on a's card", b.Key(), ref, bot.EConflict},
		{"an unknown finding", unknown, bot.MessageRef{Channel: "C1", TS: "2.0"}, bot.ENotFound},
		{"b without ts", b.Key(), bot.MessageRef{Channel: "C1"}, bot.EInvalid},
	}
	for _, r := range refused {
		wantCode(t, "PutPostedCard of "+r.what, s.PutPostedCard(ctx, r.key, r.ref, "posted"), r.code)
		if handled, err := s.NotificationHandled(ctx, r.key); err != nil || handled {
			t.Errorf("after refusing %s: notification handled = %v, %v; want not", r.what, handled, err)
		}
	}
	if _, ok, err := s.Card(ctx, b.Name); err != nil || ok {
		t.Errorf("Card(b) after the refusals = %v, %v; want none", ok, err)
	}
	wantCode(t, "PutPostedCard without outcome", s.PutPostedCard(ctx, b.Key(), bot.MessageRef{Channel: "C1", TS: "3.0"}, ""), bot.EInvalid)
	if _, ok, _ := s.Card(ctx, b.Name); ok {
		t.Error("PutPostedCard without outcome recorded the card")
	}
	wantCode(t, "PutPostedCard without name", s.PutPostedCard(ctx, bot.NotificationKey{}, ref, "posted"), bot.EInvalid)
}

// testCursors stores, reads and replaces cursor values.
func testCursors(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	if v, ok, err := s.Cursor(ctx, "poll"); err != nil || ok {
		t.Fatalf("Cursor before PutCursor = %q, %v, %v; want none", v, ok, err)
	}
	for _, value := range []string{"page-token-1", sqlInjection + nulBytes, ""} {
		must(t, "PutCursor", s.PutCursor(ctx, "poll", value))
		got, ok, err := s.Cursor(ctx, "poll")
		if err != nil || !ok || got != value {
			t.Errorf("Cursor after PutCursor(%q) = %q, %v, %v", value, got, ok, err)
		}
	}
	must(t, "PutCursor other", s.PutCursor(ctx, "other", "x"))
	if got, _, _ := s.Cursor(ctx, "poll"); got != "" {
		t.Errorf("Cursor(poll) = %q after writing another key, want %q", got, "")
	}
	must(t, "PutCursor invalid UTF-8", s.PutCursor(ctx, "utf8", "a\xffb"))
	if got, _, _ := s.Cursor(ctx, "utf8"); got != "a\uFFFDb" {
		t.Errorf("Cursor after PutCursor(%q) = %q, want %q", "a\xffb", got, "a\uFFFDb")
	}
	wantCode(t, "PutCursor with an empty key", s.PutCursor(ctx, "", "x"), bot.EInvalid)
}

// testSighting: Sighting says what NotificationHandled, FindingStatus and
// Card say, in every state a notification meets: an unknown finding, a
// stored one, its notification handled, another notification of it, its
// card posted, and a notification marked for a finding never stored.
func testSighting(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	f := fullFinding("sight")
	later := bot.NotificationKey{Name: f.Name, EventTime: f.EventTime.Add(time.Second)}
	orphan := bot.NotificationKey{Name: findingName("orphan"), EventTime: baseTime}
	check := func(step string, key bot.NotificationKey, want bot.Sighting) {
		t.Helper()
		got, err := s.Sighting(ctx, key)
		if err != nil {
			t.Fatalf("%s: Sighting: %v", step, err)
		}
		handled, err := s.NotificationHandled(ctx, key)
		must(t, "NotificationHandled", err)
		status, known, err := s.FindingStatus(ctx, key.Name)
		must(t, "FindingStatus", err)
		card, _, err := s.Card(ctx, key.Name)
		must(t, "Card", err)
		alone := bot.Sighting{Handled: handled, Status: status, Known: known, Card: card}
		if !sameSighting(got, alone) || !sameSighting(got, want) {
			t.Errorf("%s: Sighting = %+v; the lookups one by one say %+v, want %+v", step, got, alone, want)
		}
	}
	check("unknown finding", f.Key(), bot.Sighting{})
	must(t, "PutFinding", s.PutFinding(ctx, f))
	stored := bot.Sighting{Status: f.Status(), Known: true}
	check("stored", f.Key(), stored)
	must(t, "MarkNotification", s.MarkNotification(ctx, f.Key(), "posted"))
	handled := stored
	handled.Handled = true
	check("handled", f.Key(), handled)
	check("another notification", later, stored)
	ref := bot.MessageRef{Channel: "C1", TS: "1.000001"}
	must(t, "PutCard", s.PutCard(ctx, f.Name, ref))
	handled.Card = ref
	check("card posted", f.Key(), handled)
	must(t, "MarkNotification orphan", s.MarkNotification(ctx, orphan, "failed"))
	check("marked, never stored", orphan, bot.Sighting{Handled: true})
	_, err := s.Sighting(ctx, bot.NotificationKey{EventTime: baseTime})
	wantCode(t, "Sighting without a name", err, bot.EInvalid)
}

func sameSighting(a, b bot.Sighting) bool {
	return a.Handled == b.Handled && a.Known == b.Known && a.Card == b.Card && a.Status.EventTime.Equal(b.Status.EventTime) &&
		a.Status.State == b.Status.State && a.Status.Mute == b.Status.Mute && a.Status.Severity == b.Status.Severity
}
