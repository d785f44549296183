package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// testFindingRoundTrip stores a finding with every field set to hostile
// text and reads it back by every route, before and after a reopen.
func testFindingRoundTrip(t *testing.T, open OpenFunc) {
	s, reopen := open(t)
	ctx := t.Context()
	want := fullFinding("id-" + sqlInjection)
	checkAllSet(t, want)
	must(t, "PutFinding", s.PutFinding(ctx, want))

	check := func(s Store) {
		t.Helper()
		got, err := s.Finding(ctx, want.Name)
		must(t, "Finding", err)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Finding(%q) mismatch (-want +got):\n%s", want.Name, diff)
		}
		for _, ref := range []string{want.Name, want.ShortID()} {
			got, err := s.ResolveFinding(ctx, ref)
			must(t, "ResolveFinding", err)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ResolveFinding(%q) mismatch (-want +got):\n%s", ref, diff)
			}
		}
	}
	check(s)
	check(reopen())
}

// testFindingInvalidText shows what is not preserved: invalid UTF-8 outside
// the name becomes U+FFFD, one per invalid byte; an invalid name, or none,
// is refused.
func testFindingInvalidText(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	f := simpleFinding("bad-utf8", baseTime)
	f.Category = "cat\xff"
	f.Description = "a\xffb\xc3\x28c\xe2\x82"
	f.Processes = []bot.Process{{Args: []string{"\x80\x80", "ok \u00e9"}}}
	must(t, "PutFinding", s.PutFinding(ctx, f))

	want := f
	want.Category = "cat\uFFFD"
	want.Description = "a\uFFFDb\uFFFD(c\uFFFD\uFFFD"
	want.Processes = []bot.Process{{Args: []string{"\uFFFD\uFFFD", "ok \u00e9"}}}
	got, err := s.ResolveFinding(ctx, "bad-utf8")
	must(t, "ResolveFinding", err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finding with invalid UTF-8 (-want +got):\n%s", diff)
	}

	bad := simpleFinding("name-\xff", baseTime)
	wantCode(t, "PutFinding with an invalid UTF-8 name", s.PutFinding(ctx, bad), bot.EInvalid)
	wantCode(t, "PutFinding without a name", s.PutFinding(ctx, bot.Finding{Category: "x"}), bot.EInvalid)
}

// testFindingZeroTimes stores a finding that carries no times (a source may
// omit them), then a real notification of it, which must replace it.
func testFindingZeroTimes(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	f := simpleFinding("no-times", time.Time{})
	must(t, "PutFinding", s.PutFinding(ctx, f))
	got, err := s.Finding(ctx, f.Name)
	must(t, "Finding", err)
	if diff := cmp.Diff(f, got); diff != "" {
		t.Errorf("finding without times (-want +got):\n%s", diff)
	}

	later := simpleFinding("no-times", baseTime)
	later.State = "INACTIVE"
	must(t, "PutFinding", s.PutFinding(ctx, later))
	got, err = s.Finding(ctx, f.Name)
	must(t, "Finding", err)
	if diff := cmp.Diff(later, got); diff != "" {
		t.Errorf("after a timed notification (-want +got):\n%s", diff)
	}
}

// testFindingUpsert checks the upsert rules: newer or equal event time
// replaces the data, older is ignored; first seen never moves, last seen
// never goes back.
func testFindingUpsert(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	v1 := simpleFinding("upsert", at(0))
	must(t, "PutFinding v1", s.PutFinding(ctx, v1))
	first, last := seen(t, s, v1.Name)
	if !first.Equal(last) {
		t.Errorf("after the first put: first seen %v, last seen %v, want equal", first, last)
	}

	v2 := simpleFinding("upsert", at(time.Minute))
	v2.Category, v2.Severity = "Malware: Cryptomining Bad Domain", bot.SeverityCritical
	v3 := v2 // SCC re-publishes a mute change without moving the event time.
	v3.Mute = "MUTED"
	stale := simpleFinding("upsert", at(time.Minute-time.Nanosecond))
	stale.Category = "stale"
	steps := []struct {
		put, want bot.Finding
	}{
		{put: v2, want: v2},
		{put: v3, want: v3},
		{put: stale, want: v3},
		{put: v1, want: v3},
	}
	for i, step := range steps {
		must(t, "PutFinding", s.PutFinding(ctx, step.put))
		got, err := s.Finding(ctx, v1.Name)
		must(t, "Finding", err)
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("step %d, put event time %v (-want +got):\n%s", i, step.put.EventTime, diff)
		}
		f, l := seen(t, s, v1.Name)
		if !f.Equal(first) || l.Before(last) {
			t.Errorf("step %d: seen %v..%v, want first %v and last not before %v", i, f, l, first, last)
		}
		last = l
	}
	_, _, err := s.FindingSeen(ctx, findingName("never-stored"))
	wantCode(t, "FindingSeen of an unknown finding", err, bot.ENotFound)
}

// seen returns FindingSeen's times or stops the test.
func seen(t *testing.T, s Store, name string) (first, last time.Time) {
	t.Helper()
	first, last, err := s.FindingSeen(t.Context(), name)
	must(t, "FindingSeen", err)
	if first.IsZero() || last.Before(first) {
		t.Errorf("FindingSeen(%q) = %v, %v; want non-zero first, last not before it", name, first, last)
	}
	return first, last
}

// testResolveFinding covers full names, short ids, ambiguity and misses.
func testResolveFinding(t *testing.T, open OpenFunc) {
	s, _ := open(t)
	ctx := t.Context()
	unique := simpleFinding("unique", baseTime)
	dup1 := simpleFinding("shared", baseTime)
	dup2 := dup1
	dup2.Name = "organizations/1234/sources/9999/findings/shared"
	noSlash := simpleFinding("", baseTime)
	noSlash.Name = "bare"
	for _, f := range []bot.Finding{unique, dup1, dup2, noSlash} {
		must(t, "PutFinding", s.PutFinding(ctx, f))
	}

	for _, tc := range []struct{ ref, want string }{
		{unique.Name, unique.Name},
		{"unique", unique.Name},
		{dup1.Name, dup1.Name},
		{dup2.Name, dup2.Name},
		{"bare", "bare"},
	} {
		got, err := s.ResolveFinding(ctx, tc.ref)
		if err != nil || got.Name != tc.want {
			t.Errorf("ResolveFinding(%q) = %q, %v; want %q", tc.ref, got.Name, err, tc.want)
		}
	}

	_, err := s.ResolveFinding(ctx, "shared")
	wantCode(t, `ResolveFinding("shared")`, err, bot.EInvalid)
	msg := bot.ErrorMessage(err)
	for _, part := range []string{"ambiguous", dup1.Name, dup2.Name} {
		if !strings.Contains(msg, part) {
			t.Errorf("ResolveFinding(%q) message %q does not contain %q", "shared", msg, part)
		}
	}
	for _, ref := range []string{"nope", findingName("nope"), "UNIQUE", findingName("unique") + "/", sqlInjection} {
		_, err := s.ResolveFinding(ctx, ref)
		wantCode(t, "ResolveFinding("+ref+")", err, bot.ENotFound)
	}
	_, err = s.ResolveFinding(ctx, "")
	wantCode(t, `ResolveFinding("")`, err, bot.EInvalid)
	_, err = s.Finding(ctx, "unique")
	wantCode(t, `Finding("unique") (a short id is not a name)`, err, bot.ENotFound)
}
