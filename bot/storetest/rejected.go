package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// rejectedCap is how much of a rejected payload a store keeps (64 KiB).
const rejectedCap = 64 << 10

// testRejected checks order (newest first, ties in recording order),
// limits, counts and the default receive time.
func testRejected(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	if n, err := s.CountRejected(ctx); err != nil || n != 0 {
		t.Fatalf("CountRejected of an empty store = %d, %v", n, err)
	}
	if got, err := s.Rejected(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("Rejected of an empty store = %v, %v", got, err)
	}
	recs := []bot.Rejected{
		{Source: "pubsub", Reason: "middle", Payload: []byte("{}"), ReceivedAt: at(time.Second)},
		{Source: "pubsub", Reason: "oldest", Payload: []byte("x"), ReceivedAt: at(0)},
		{Source: "poll", Reason: "newest, recorded first", Payload: []byte("a"), ReceivedAt: at(time.Hour)},
		{Source: "poll", Reason: "newest, recorded second", Payload: []byte("b"), ReceivedAt: at(time.Hour)},
	}
	for _, r := range recs {
		must(t, "RecordRejected", s.RecordRejected(ctx, r))
	}
	want := []bot.Rejected{recs[3], recs[2], recs[0], recs[1]}
	for _, limit := range []int{1, 3, 4, 100} {
		got, err := s.Rejected(ctx, limit)
		must(t, "Rejected", err)
		if diff := cmp.Diff(want[:min(limit, len(want))], got); diff != "" {
			t.Errorf("Rejected(%d) (-want +got):\n%s", limit, diff)
		}
	}
	if n, err := s.CountRejected(ctx); err != nil || n != len(recs) {
		t.Errorf("CountRejected = %d, %v; want %d", n, err, len(recs))
	}
	for _, limit := range []int{0, -1} {
		_, err := s.Rejected(ctx, limit)
		wantCode(t, "Rejected with a limit below 1", err, bot.EInvalid)
	}

	// Far in the future, so that it sorts first whatever "now" is.
	must(t, "RecordRejected future", s.RecordRejected(ctx, bot.Rejected{Source: "x", ReceivedAt: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}))
	must(t, "RecordRejected without time", s.RecordRejected(ctx, bot.Rejected{Source: "now"}))
	got, err := s.Rejected(ctx, 2)
	must(t, "Rejected", err)
	if len(got) != 2 || got[1].Source != "now" || got[1].ReceivedAt.IsZero() {
		t.Errorf("Rejected(2) = %+v; want the one recorded without a time second, with a time set", got)
	}
}

// testRejectedPayload checks that payloads are bytes (NUL, invalid UTF-8
// and all), cut at 64 KiB, and that source and reason are text.
func testRejectedPayload(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	binary := []byte("\x00\xff\xfe{\"a\":1}\x80" + sqlInjection)
	huge := bytes.Repeat([]byte("0123456789abcdef"), (rejectedCap+1000)/16)
	recs := []bot.Rejected{
		{Source: "binary", Reason: "bad \xff reason", Payload: binary, ReceivedAt: at(3)},
		{Source: "exact", Payload: huge[:rejectedCap], ReceivedAt: at(2)},
		{Source: "huge", Payload: huge, ReceivedAt: at(1)},
		{Source: "empty", Payload: []byte{}, ReceivedAt: at(0)},
	}
	for _, r := range recs {
		must(t, "RecordRejected", s.RecordRejected(ctx, r))
	}
	want := []bot.Rejected{
		{Source: "binary", Reason: "bad \uFFFD reason", Payload: binary, ReceivedAt: at(3)},
		{Source: "exact", Payload: huge[:rejectedCap], ReceivedAt: at(2)},
		{Source: "huge", Payload: huge[:rejectedCap], ReceivedAt: at(1)},
		{Source: "empty", ReceivedAt: at(0)},
	}
	got, err := s.Rejected(ctx, 10)
	must(t, "Rejected", err)
	// bytes.Equal keeps the diff fast on 64 KiB payloads and lets an empty
	// payload come back nil or empty.
	if diff := cmp.Diff(want, got, cmp.Comparer(bytes.Equal)); diff != "" {
		t.Errorf("Rejected payloads (-want +got):\n%s", diff)
	}
}
