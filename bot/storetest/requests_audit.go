package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sccbot/sccbot/bot"
)

// testAuditEvent is an event about a request on the finding with short id
// findingID, at at(d).
func testAuditEvent(event, findingID string, d time.Duration, detail string) bot.AuditEvent {
	return bot.AuditEvent{
		At: at(d), Event: event, Request: "r-" + findingID, Finding: findingName(findingID),
		Action: bot.ActionIsolatePod, Actor: "U0ACTOR", Detail: detail,
	}
}

// readAuditLog collects what Audit yields from since.
func readAuditLog(t *testing.T, s RequestStore, since time.Time) []bot.AuditEvent {
	t.Helper()
	var out []bot.AuditEvent
	must(t, "Audit", s.Audit(t.Context(), since, func(ev bot.AuditEvent) error {
		out = append(out, ev)
		return nil
	}))
	return out
}

// ignoreAuditID compares audit events without the store-assigned id.
func ignoreAuditID() cmp.Option { return cmpopts.IgnoreFields(bot.AuditEvent{}, "ID") }

// testAuditLog appends events out of time order and with ties, and reads
// them back oldest first, ties in append order, with a since filter that
// includes its own instant.
func testAuditLog(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	if got := readAuditLog(t, s, time.Time{}); len(got) != 0 {
		t.Fatalf("Audit of an empty store = %v", got)
	}
	evs := []bot.AuditEvent{
		testAuditEvent(bot.AuditRequested, "a", 0, "reason "+sqlInjection+nulBytes+unicodeText),
		testAuditEvent(bot.AuditRefused, "a", time.Minute, "only members of S0SEC may approve isolate_pod"),
		testAuditEvent(bot.AuditApproved, "a", 2*time.Minute, ""),
		testAuditEvent(bot.AuditStarted, "a", 2*time.Minute, "dry run"), // a tie: append order
		testAuditEvent(bot.AuditExpired, "b", time.Minute+time.Nanosecond, markup),
		testAuditEvent(bot.AuditSucceeded, "a", 3*time.Minute, control),
	}
	evs[1].Request = "" // a refusal before any request existed
	evs[4].At = evs[4].At.In(time.FixedZone("X", -5*3600))
	for _, ev := range evs {
		must(t, "AppendAudit", s.AppendAudit(ctx, ev))
	}
	all := readAuditLog(t, s, time.Time{})
	want := []bot.AuditEvent{evs[0], evs[1], evs[4], evs[2], evs[3], evs[5]}
	if diff := cmp.Diff(want, all, ignoreAuditID(), cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("Audit from the start (-want +got):\n%s", diff)
	}
	checkAuditIDs(t, all, []int{0, 1, 4, 2, 3, 5})
	since := readAuditLog(t, s, at(time.Minute+time.Nanosecond))
	if diff := cmp.Diff(want[2:], since, ignoreAuditID(), cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("Audit since an event's own instant (-want +got):\n%s", diff)
	}
	if got := readAuditLog(t, s, at(time.Hour)); len(got) != 0 {
		t.Errorf("Audit since after the last event = %v, want none", got)
	}

	stop := errors.New("stop")
	n := 0
	err := s.Audit(ctx, time.Time{}, func(bot.AuditEvent) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Audit with fn failing: %v after %d calls; want the error after 1", err, n)
	}

	must(t, "AppendAudit without time", s.AppendAudit(ctx, bot.AuditEvent{Event: bot.AuditDenied, Actor: "U1"}))
	withNow := readAuditLog(t, s, time.Time{})
	var stamped []bot.AuditEvent
	for _, ev := range withNow {
		if ev.Event == bot.AuditDenied {
			stamped = append(stamped, ev)
		}
	}
	if len(withNow) != len(evs)+1 || len(stamped) != 1 || stamped[0].At.IsZero() {
		t.Errorf("an event appended without a time: got %+v; want it once, stamped with the store's now", stamped)
	}
}

// checkAuditIDs checks that ids are positive, unique and increase in
// append order; order[i] is the append index of the i-th event read.
func checkAuditIDs(t *testing.T, evs []bot.AuditEvent, order []int) {
	t.Helper()
	byAppend := make([]int64, len(evs))
	for i, ev := range evs {
		byAppend[order[i]] = ev.ID
	}
	for i, id := range byAppend {
		if id <= 0 || (i > 0 && id <= byAppend[i-1]) {
			t.Errorf("audit ids in append order %v: want positive and increasing", byAppend)
			return
		}
	}
}

// auditMany is more events than a store would plausibly read in one page.
const auditMany = 613

// testAuditPaging appends many events, many of them at the same instant,
// and checks that Audit yields each exactly once, in order.
func testAuditPaging(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	for i := range auditMany {
		// Groups of 7 share an instant, so pages end inside a tie.
		ev := testAuditEvent(bot.AuditRequested, "many", time.Duration(i/7)*time.Second, fmt.Sprint(i))
		must(t, "AppendAudit", s.AppendAudit(ctx, ev))
	}
	got := readAuditLog(t, s, time.Time{})
	if len(got) != auditMany {
		t.Fatalf("Audit yielded %d events, want %d", len(got), auditMany)
	}
	for i, ev := range got {
		if ev.Detail != fmt.Sprint(i) {
			t.Fatalf("event %d has detail %q, want %q: out of order or repeated", i, ev.Detail, fmt.Sprint(i))
		}
	}
	since := readAuditLog(t, s, at(50*time.Second))
	if len(since) != auditMany-350 || since[0].Detail != "350" {
		t.Errorf("Audit since 50s: %d events from %q, want %d from \"350\"", len(since), firstDetail(since), auditMany-350)
	}
}

func firstDetail(evs []bot.AuditEvent) string {
	if len(evs) == 0 {
		return ""
	}
	return evs[0].Detail
}

// testAuditForFinding reads one finding's trail among others'.
func testAuditForFinding(t *testing.T, open RequestOpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	evs := []bot.AuditEvent{
		testAuditEvent(bot.AuditRequested, "one", time.Minute, ""),
		testAuditEvent(bot.AuditRequested, "two", 0, ""),
		testAuditEvent(bot.AuditApproved, "one", 0, ""), // earlier, appended later
		testAuditEvent(bot.AuditDenied, "two", time.Minute, ""),
	}
	for _, ev := range evs {
		must(t, "AppendAudit", s.AppendAudit(ctx, ev))
	}
	got, err := s.AuditForFinding(ctx, findingName("one"))
	must(t, "AuditForFinding", err)
	if diff := cmp.Diff([]bot.AuditEvent{evs[2], evs[0]}, got, ignoreAuditID(), cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("AuditForFinding (-want +got):\n%s", diff)
	}
	if none, err := s.AuditForFinding(ctx, findingName("none")); err != nil || len(none) != 0 {
		t.Errorf("AuditForFinding without events = %v, %v; want none", none, err)
	}
}

// testRequestsSurviveReopen writes requests in several states and an audit
// trail, reopens the store, and checks all of it is still there: a restart
// must neither lose an approval nor let a request run again.
func testRequestsSurviveReopen(t *testing.T, open RequestOpenFunc) {
	s, reopen := open(t)
	ctx := t.Context()
	putRequestFindings(t, s, "durable")
	full := mustCreateRequest(t, s, fullRequest("r-full", "durable"))
	mustCreateRequest(t, s, pendingRequest("r-run", "durable", bot.ActionMute))
	running := mustMoveRequest(t, s, "r-run", bot.RequestPending, bot.RequestRunning)
	ev := testAuditEvent(bot.AuditStarted, "durable", 0, "started")
	must(t, "AppendAudit", s.AppendAudit(ctx, ev))
	must(t, "SetRequestMessage", s.SetRequestMessage(ctx, "r-run", bot.MessageRef{Channel: "C9", TS: "9.9"}))
	running.Message = bot.MessageRef{Channel: "C9", TS: "9.9"}

	s = reopen()
	all, err := s.RequestsForFinding(ctx, findingName("durable"))
	must(t, "RequestsForFinding after reopen", err)
	if diff := cmp.Diff([]bot.ActionRequest{full, running}, all, cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("requests after reopen (-want +got):\n%s", diff)
	}
	if _, ok, err := s.TransitionRequest(ctx, "r-run", fromStates(bot.RequestPending), bot.RequestRunning, nil); err != nil || ok {
		t.Errorf("approving a running request after reopen = %v, %v; want false, no error", ok, err)
	}
	got := readAuditLog(t, s, time.Time{})
	if diff := cmp.Diff([]bot.AuditEvent{ev}, got, ignoreAuditID(), cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("audit after reopen (-want +got):\n%s", diff)
	}
	must(t, "AppendAudit after reopen", s.AppendAudit(ctx, ev))
	if again := readAuditLog(t, s, time.Time{}); len(again) != 2 || again[1].ID <= again[0].ID {
		t.Errorf("audit ids after reopen: %+v; want a new, larger id", again)
	}
}
