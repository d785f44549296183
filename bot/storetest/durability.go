package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// testSurvivesReopen writes one of everything, reopens the store, and
// checks that all of it is still there: after a restart the bot must
// neither repost a handled notification nor lose a card.
func testSurvivesReopen(t *testing.T, open OpenFunc) {
	s, reopen := open(t)
	ctx := t.Context()
	f := fullFinding("durable")
	key := f.Key()
	ref := bot.MessageRef{Channel: "C1", TS: "1773500966.000100"}
	rej := bot.Rejected{Source: "pubsub", Reason: "bad json", Payload: []byte("{"), ReceivedAt: baseTime}
	must(t, "PutFinding", s.PutFinding(ctx, f))
	must(t, "MarkNotification", s.MarkNotification(ctx, key, "posted"))
	must(t, "PutCard", s.PutCard(ctx, f.Name, ref))
	must(t, "PutCursor", s.PutCursor(ctx, "poll", "token"))
	must(t, "RecordRejected", s.RecordRejected(ctx, rej))
	first, last := seen(t, s, f.Name)
	_, handledAt, err := s.Notification(ctx, key)
	must(t, "Notification", err)

	s = reopen()
	must(t, "Ping after reopen", s.Ping(ctx))
	got, err := s.ResolveFinding(ctx, f.ShortID())
	must(t, "ResolveFinding after reopen", err)
	if diff := cmp.Diff(f, got); diff != "" {
		t.Errorf("finding after reopen (-want +got):\n%s", diff)
	}
	if f2, l2 := seen(t, s, f.Name); !f2.Equal(first) || !l2.Equal(last) {
		t.Errorf("seen after reopen = %v..%v, want %v..%v", f2, l2, first, last)
	}
	outcome, handledAt2, err := s.Notification(ctx, key)
	if err != nil || outcome != "posted" || !handledAt2.Equal(handledAt) {
		t.Errorf("Notification after reopen = %q, %v, %v; want posted, %v", outcome, handledAt2, err, handledAt)
	}
	if r, ok, err := s.Card(ctx, f.Name); err != nil || !ok || r != ref {
		t.Errorf("Card after reopen = %v, %v, %v; want %v", r, ok, err, ref)
	}
	if byCard, err := s.FindingByCard(ctx, ref); err != nil || byCard.Name != f.Name {
		t.Errorf("FindingByCard after reopen = %q, %v", byCard.Name, err)
	}
	if v, ok, err := s.Cursor(ctx, "poll"); err != nil || !ok || v != "token" {
		t.Errorf("Cursor after reopen = %q, %v, %v", v, ok, err)
	}
	rs, err := s.Rejected(ctx, 10)
	must(t, "Rejected after reopen", err)
	if diff := cmp.Diff([]bot.Rejected{rej}, rs); diff != "" {
		t.Errorf("rejected after reopen (-want +got):\n%s", diff)
	}
}

// writers is how many goroutines write at once in testConcurrentWriters.
const writers = 50

// testConcurrentWriters runs the ingest path (put, dedupe, mark, card) and
// the other writes from 50 goroutines at once, on distinct and on shared
// rows. None may fail (no "database is locked"), and the shared finding
// must end with the newest data whatever order the writes landed in.
func testConcurrentWriters(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	shared := bot.NotificationKey{Name: findingName("shared"), EventTime: baseTime}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { writeConcurrently(t, s, i, shared) })
	}
	wg.Wait()

	got, err := s.Finding(ctx, shared.Name)
	must(t, "Finding shared", err)
	if want := fmt.Sprint("writer ", writers-1); got.Description != want {
		t.Errorf("shared finding description = %q, want the newest, %q", got.Description, want)
	}
	for i := range writers {
		own := ownFinding(i)
		ref, ok, err := s.Card(ctx, own.Name)
		if err != nil || !ok || ref != ownCard(i) {
			t.Errorf("Card(%q) = %v, %v, %v; want %v", own.Name, ref, ok, err, ownCard(i))
		}
		if ok, err := s.NotificationHandled(ctx, own.Key()); err != nil || !ok {
			t.Errorf("NotificationHandled(%v) = %v, %v; want true", own.Key(), ok, err)
		}
	}
	if n, err := s.CountRejected(ctx); err != nil || n != writers {
		t.Errorf("CountRejected = %d, %v; want %d", n, err, writers)
	}
}

// writeConcurrently is one writer goroutine. It reports with t.Errorf,
// which, unlike t.Fatalf, is safe off the test goroutine.
func writeConcurrently(t *testing.T, s Store, i int, shared bot.NotificationKey) {
	ctx := t.Context()
	sharedFinding := simpleFinding("shared", at(time.Duration(i)*time.Second))
	sharedFinding.Description = fmt.Sprint("writer ", i)
	own := ownFinding(i)
	steps := []struct {
		what string
		do   func() error
	}{
		{"PutFinding own", func() error { return s.PutFinding(ctx, own) }},
		{"PutFinding shared", func() error { return s.PutFinding(ctx, sharedFinding) }},
		{"NotificationHandled", func() error { _, err := s.NotificationHandled(ctx, own.Key()); return err }},
		{"MarkNotification own", func() error { return s.MarkNotification(ctx, own.Key(), "posted") }},
		{"MarkNotification shared", func() error { return s.MarkNotification(ctx, shared, fmt.Sprint("posted ", i)) }},
		{"PutCard", func() error { return s.PutCard(ctx, own.Name, ownCard(i)) }},
		{"PutPostedCard", func() error { return s.PutPostedCard(ctx, own.Key(), ownCard(i), "posted") }},
		{"PutCursor", func() error { return s.PutCursor(ctx, "poll", fmt.Sprint(i)) }},
		{"RecordRejected", func() error { return s.RecordRejected(ctx, bot.Rejected{Source: fmt.Sprint(i)}) }},
		{"Finding shared", func() error { _, err := s.Finding(ctx, shared.Name); return err }},
		{"ResolveFinding", func() error { _, err := s.ResolveFinding(ctx, own.ShortID()); return err }},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Errorf("writer %d: %s: %v", i, step.what, err)
		}
	}
}

func ownFinding(i int) bot.Finding { return simpleFinding(fmt.Sprint("own-", i), at(0)) }

func ownCard(i int) bot.MessageRef {
	return bot.MessageRef{Channel: "C1", TS: fmt.Sprintf("1773500966.%06d", i)}
}

// testCancelledContext checks that every method gives up on a cancelled
// context and says so.
func testCancelledContext(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	f := simpleFinding("cancel", baseTime)
	must(t, "PutFinding", s.PutFinding(t.Context(), f))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ref := bot.MessageRef{Channel: "C1", TS: "1.0"}
	calls := []struct {
		name string
		call func() error
	}{
		{"PutFinding", func() error { return s.PutFinding(ctx, f) }},
		{"Finding", func() error { _, err := s.Finding(ctx, f.Name); return err }},
		{"ResolveFinding", func() error { _, err := s.ResolveFinding(ctx, f.ShortID()); return err }},
		{"FindingSeen", func() error { _, _, err := s.FindingSeen(ctx, f.Name); return err }},
		{"NotificationHandled", func() error { _, err := s.NotificationHandled(ctx, f.Key()); return err }},
		{"MarkNotification", func() error { return s.MarkNotification(ctx, f.Key(), "posted") }},
		{"Notification", func() error { _, _, err := s.Notification(ctx, f.Key()); return err }},
		{"Card", func() error { _, _, err := s.Card(ctx, f.Name); return err }},
		{"PutCard", func() error { return s.PutCard(ctx, f.Name, ref) }},
		{"PutPostedCard", func() error { return s.PutPostedCard(ctx, f.Key(), ref, "posted") }},
		{"FindingByCard", func() error { _, err := s.FindingByCard(ctx, ref); return err }},
		{"Cursor", func() error { _, _, err := s.Cursor(ctx, "k"); return err }},
		{"PutCursor", func() error { return s.PutCursor(ctx, "k", "v") }},
		{"RecordRejected", func() error { return s.RecordRejected(ctx, bot.Rejected{Source: "x"}) }},
		{"Rejected", func() error { _, err := s.Rejected(ctx, 1); return err }},
		{"CountRejected", func() error { _, err := s.CountRejected(ctx); return err }},
		{"Ping", func() error { return s.Ping(ctx) }},
	}
	for _, c := range calls {
		wantCanceled(t, c.name, c.call())
	}
}
