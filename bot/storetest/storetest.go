// Package storetest is the conformance suite for sccbot's store. Every store
// implementation (SQLite now, perhaps Postgres later) runs Run from its own
// tests, so that the implementations cannot drift apart: the bot's promise
// never to post a finding twice rests on this behaviour.
//
// The contract, beyond the method docs of Store:
//
//   - A finding round-trips exactly: every field of bot.Finding, including
//     nanoseconds, nested slices, NUL bytes, any valid Unicode and text that
//     looks like SQL. Times keep their instant, not necessarily their
//     location (compare with time.Time.Equal).
//   - Text the store returns is valid UTF-8: text stored with invalid UTF-8
//     (in a finding, a cursor, a rejected message's source or reason) comes
//     back with each invalid byte replaced by U+FFFD, which is what
//     encoding/json does. A finding name must be valid UTF-8 (EInvalid).
//   - Rejected payloads are bytes and round-trip exactly up to 64 KiB; the
//     rest is cut. An empty payload comes back empty (nil or not).
//   - Errors carry bot error codes: ENotFound for a missing finding (by
//     name, ref or card) or notification, EInvalid for bad arguments and
//     ambiguous short ids, EConflict for a message that is already another
//     finding's card. Card and Cursor report absence with ok == false, not
//     an error. A cancelled context makes every method fail with an error
//     that wraps context.Canceled.
//   - Everything survives closing and reopening the store.
//   - Any number of goroutines may call any method at once, without errors.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Store is what the suite tests: every method of a store except opening and
// closing it.
type Store interface {
	// PutFinding stores f by name, keeping its first-seen time; data with an
	// event time older than the stored one is ignored, but still counts as
	// a sighting (last seen).
	PutFinding(ctx context.Context, f bot.Finding) error
	// Finding returns the finding with the full name, or ENotFound.
	Finding(ctx context.Context, name string) (bot.Finding, error)
	// ResolveFinding accepts a full name or a short id (the last segment).
	ResolveFinding(ctx context.Context, ref string) (bot.Finding, error)
	// FindingSeen returns when the store first and last saw the finding.
	FindingSeen(ctx context.Context, name string) (first, last time.Time, err error)

	// NotificationHandled reports whether the notification was marked.
	NotificationHandled(ctx context.Context, key bot.NotificationKey) (bool, error)
	// FindingStatus returns the stored finding's status, if it is stored.
	FindingStatus(ctx context.Context, name string) (bot.FindingStatus, bool, error)
	// Sighting is NotificationHandled, FindingStatus and Card at once.
	Sighting(ctx context.Context, key bot.NotificationKey) (bot.Sighting, error)
	// MarkNotification records a handled notification; the first mark wins.
	MarkNotification(ctx context.Context, key bot.NotificationKey, outcome string) error
	// Notification returns the first outcome and handled time, or ENotFound.
	Notification(ctx context.Context, key bot.NotificationKey) (outcome string, handledAt time.Time, err error)

	// Card returns the finding's card, if any.
	Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error)
	// PutCard records or moves the card of a stored finding.
	PutCard(ctx context.Context, findingName string, ref bot.MessageRef) error
	// PutPostedCard is PutCard and MarkNotification of the notification
	// that posted the card, all or nothing.
	PutPostedCard(ctx context.Context, key bot.NotificationKey, ref bot.MessageRef, outcome string) error
	// FindingByCard returns the finding whose card ref is, or ENotFound.
	FindingByCard(ctx context.Context, ref bot.MessageRef) (bot.Finding, error)

	// Cursor returns the value under key, if any.
	Cursor(ctx context.Context, key string) (string, bool, error)
	// PutCursor stores value under key.
	PutCursor(ctx context.Context, key, value string) error

	// RecordRejected stores a rejected message; a zero ReceivedAt means now.
	RecordRejected(ctx context.Context, r bot.Rejected) error
	// Rejected returns up to limit rejected messages, newest first.
	Rejected(ctx context.Context, limit int) ([]bot.Rejected, error)
	// CountRejected returns how many rejected messages are stored.
	CountRejected(ctx context.Context) (int, error)

	// Ping reports whether the store is ready.
	Ping(ctx context.Context) error
}

// OpenFunc opens an empty store for one subtest and arranges (with
// t.Cleanup) for it to be closed. reopen closes the current store, opens
// the same data again and returns it; the cleanup must close whichever
// store is current. A store that cannot be reopened (an in-memory one)
// may return the same store from reopen, which makes the survival checks
// vacuous for it.
type OpenFunc = func(t *testing.T) (s Store, reopen func() Store)

// Run runs the whole suite against the stores open returns. Each subtest
// opens its own empty store.
func Run(t *testing.T, open OpenFunc) {
	t.Run("FindingRoundTrip", func(t *testing.T) { testFindingRoundTrip(t, open) })
	t.Run("FindingInvalidText", func(t *testing.T) { testFindingInvalidText(t, open) })
	t.Run("FindingZeroTimes", func(t *testing.T) { testFindingZeroTimes(t, open) })
	t.Run("FindingUpsert", func(t *testing.T) { testFindingUpsert(t, open) })
	t.Run("ResolveFinding", func(t *testing.T) { testResolveFinding(t, open) })
	t.Run("Notifications", func(t *testing.T) { testNotifications(t, open) })
	t.Run("NotificationMarkIdempotent", func(t *testing.T) { testNotificationMarkIdempotent(t, open) })
	t.Run("Cards", func(t *testing.T) { testCards(t, open) })
	t.Run("CardErrors", func(t *testing.T) { testCardErrors(t, open) })
	t.Run("PostedCard", func(t *testing.T) { testPostedCard(t, open) })
	t.Run("Sighting", func(t *testing.T) { testSighting(t, open) })
	t.Run("Cursors", func(t *testing.T) { testCursors(t, open) })
	t.Run("Rejected", func(t *testing.T) { testRejected(t, open) })
	t.Run("RejectedPayload", func(t *testing.T) { testRejectedPayload(t, open) })
	t.Run("SurvivesReopen", func(t *testing.T) { testSurvivesReopen(t, open) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, open) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelledContext(t, open) })
}

// must stops the test on an unexpected error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantCode checks that err is an error with the bot error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want code %q", what, code)
		return
	}
	if got := bot.ErrorCode(err); got != code {
		t.Errorf("%s: error %v has code %q, want %q", what, err, got, code)
	}
}

// wantCanceled checks that err wraps context.Canceled.
func wantCanceled(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%s with a cancelled context: error %v, want one wrapping context.Canceled", what, err)
	}
}
