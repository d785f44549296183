package digest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// Schedule tests run in a synctest bubble: the runner's timers are the
// bubble's fake clock, which jumps ahead whenever every goroutine waits,
// so days pass in microseconds and no test sleeps on the wall clock. The
// bubble's clock starts in 2000; bubbleClock shifts it to the dates under
// test.

func bubbleClock(start time.Time) func() time.Time {
	offset := time.Until(start)
	return func() time.Time { return time.Now().Add(offset) }
}

// sleepUntil lets the bubble's time pass up to t and waits for every
// goroutine to settle.
func sleepUntil(now func() time.Time, t time.Time) {
	time.Sleep(t.Sub(now()))
	synctest.Wait()
}

func weekdays9(t *testing.T) Cron {
	t.Helper()
	spec, err := cron.ParseStandard("0 9 * * 1-5")
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// periodStore is a Store with nothing in it that records the
// periods asked for.
type periodStore struct {
	mu      sync.Mutex
	periods [][2]time.Time
}

func (s *periodStore) CountFindings(_ context.Context, bounds []time.Time) ([]int, error) {
	if len(bounds) == 3 { // the totals: previous, this period
		s.mu.Lock()
		s.periods = append(s.periods, [2]time.Time{bounds[1], bounds[2]})
		s.mu.Unlock()
	}
	return make([]int, len(bounds)-1), nil
}

func (*periodStore) FindingGroups(context.Context, string, time.Time, time.Time, time.Time, int) ([]Count, int, error) {
	return nil, 0, nil
}

func (*periodStore) UnacknowledgedFindings(context.Context, time.Time, time.Time, int) ([]bot.Finding, int, error) {
	return nil, 0, nil
}

func (*periodStore) ActionCounts(context.Context, time.Time, time.Time) ([]ActionCount, error) {
	return nil, nil
}

func (*periodStore) MeanTimeToAck(context.Context, time.Time, time.Time) (int, time.Duration, error) {
	return 0, 0, nil
}

func (*periodStore) MeanTimeToContain(context.Context, []string, time.Time, time.Time) (int, time.Duration, error) {
	return 0, 0, nil
}

func (*periodStore) FindingsWithOutcome(context.Context, string, time.Time, time.Time) (int, error) {
	return 0, nil
}

// memRuns is Runs in memory.
type memRuns struct {
	mu   sync.Mutex
	runs map[string]map[int64]bot.MessageRef
}

func newMemRuns() *memRuns { return &memRuns{runs: map[string]map[int64]bot.MessageRef{}} }

func (m *memRuns) ClaimDigest(_ context.Context, schedule string, at time.Time, channel string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs[schedule] == nil {
		m.runs[schedule] = map[int64]bot.MessageRef{}
	}
	if _, ok := m.runs[schedule][at.UnixNano()]; ok {
		return false, nil
	}
	m.runs[schedule][at.UnixNano()] = bot.MessageRef{Channel: channel}
	return true, nil
}

func (m *memRuns) DigestPosted(_ context.Context, schedule string, at time.Time, ref bot.MessageRef) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.runs[schedule][at.UnixNano()]; !ok {
		return bot.Errorf(bot.ENotFound, "not claimed")
	}
	m.runs[schedule][at.UnixNano()] = ref
	return nil
}

func (m *memRuns) ReleaseDigest(_ context.Context, schedule string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs[schedule][at.UnixNano()].TS == "" {
		delete(m.runs[schedule], at.UnixNano())
	}
	return nil
}

func (m *memRuns) LastDigest(_ context.Context, schedule string) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var last int64
	for at := range m.runs[schedule] {
		last = max(last, at)
	}
	return time.Unix(0, last).UTC(), len(m.runs[schedule]) > 0, nil
}

// clockPoster records each post with the time it happened; fail makes
// the next posts fail.
type clockPoster struct {
	handlerstest.FakePoster
	now  func() time.Time
	mu   sync.Mutex
	at   []time.Time
	fail int
}

func (p *clockPoster) Post(ctx context.Context, channel string, m bot.Message) (bot.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail > 0 {
		p.fail--
		return bot.MessageRef{}, bot.Errorf(bot.EUnavailable, "slack is down")
	}
	p.at = append(p.at, p.now())
	return p.FakePoster.Post(ctx, channel, m)
}

func (p *clockPoster) times() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.at...)
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runDigests starts d and returns the function that stops it.
func runDigests(d *Digests) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	return func() { cancel(); <-done }
}

func daily(t *testing.T) Schedule {
	return Schedule{Name: "weekdays", Channel: "C-digest", Spec: weekdays9(t), Location: handlerstest.Paris(t)}
}

func wantTimes(t *testing.T, what string, got []time.Time, want ...time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("%s %d: %v, want %v", what, i, got[i].UTC(), want[i].UTC())
		}
	}
}

// TestDigestFiresAtCronTimeInItsZoneAcrossDST: 09:00 on weekdays in
// Paris is 08:00 UTC before the clocks go forward on Sunday 29 March
// 2026 and 07:00 UTC after; Monday's digest covers the weekend.
func TestDigestFiresAtCronTimeInItsZoneAcrossDST(t *testing.T) {
	// The digest is read in the display zone, here the schedule's too.
	handlers.SetDisplayZone(handlerstest.Paris(t))
	t.Cleanup(func() { handlers.SetDisplayZone(time.UTC) })
	synctest.Test(t, func(t *testing.T) {
		loc := handlerstest.Paris(t)
		now := bubbleClock(time.Date(2026, 3, 26, 12, 0, 0, 0, loc))
		store, runs, poster := &periodStore{}, newMemRuns(), &clockPoster{}
		poster.now = now
		d, err := NewDigests(store, runs, poster, []Schedule{daily(t)}, Options{Grace: time.Hour, Now: now})
		mustDo(t, err)
		stop := runDigests(d)
		sleepUntil(now, time.Date(2026, 3, 31, 12, 0, 0, 0, loc))
		stop()

		thu, fri := time.Date(2026, 3, 26, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 27, 8, 0, 0, 0, time.UTC)
		mon, tue := time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 7, 0, 0, 0, time.UTC)
		wantTimes(t, "posted at", poster.times(), fri, mon, tue)
		var starts, ends []time.Time
		for _, p := range store.periods {
			starts, ends = append(starts, p[0]), append(ends, p[1])
		}
		wantTimes(t, "period start", starts, thu, fri, mon)
		wantTimes(t, "period end", ends, fri, mon, tue)
		posts := poster.All()
		if posts[1].Channel != "C-digest" || posts[1].Msg.Key != "digest/weekdays/2026-03-30T07:00:00Z" {
			t.Errorf("Monday's post: channel %q key %q", posts[1].Channel, posts[1].Msg.Key)
		}
		if text := handlerstest.DigestText(posts[1].Msg); !strings.Contains(text, "from Fri 27 Mar 09:00 CET to Mon 30 Mar 09:00 CEST") {
			t.Errorf("Monday's digest does not show its period in Paris time:\n%s", text)
		}
	})
}

// TestDigestPostsOnceAcrossRestart restarts the runner on the real store
// (reopened from its file) just after a run: the new runner finds the run
// claimed, does not post it again, and posts the next one.
func TestDigestPostsOnceAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sccbot.db")
	synctest.Test(t, func(t *testing.T) {
		loc := handlerstest.Paris(t)
		now := bubbleClock(time.Date(2026, 11, 16, 8, 0, 0, 0, loc)) // Monday
		poster := &clockPoster{}
		poster.now = now
		for i, until := range []time.Time{time.Date(2026, 11, 16, 9, 30, 0, 0, loc), time.Date(2026, 11, 17, 9, 30, 0, 0, loc)} {
			db, err := sqlite.Open(context.Background(), path)
			mustDo(t, err)
			d, err := NewDigests(db, db, poster, []Schedule{daily(t)}, Options{Grace: 2 * time.Hour, Now: now})
			mustDo(t, err)
			stop := runDigests(d)
			sleepUntil(now, until)
			stop()
			mustDo(t, db.Close())
			if n := len(poster.times()); n != i+1 {
				t.Fatalf("after run %d of the bot: %d digests posted, want %d", i+1, n, i+1)
			}
		}
		db, err := sqlite.Open(context.Background(), path)
		mustDo(t, err)
		defer db.Close()
		for _, run := range []time.Time{time.Date(2026, 11, 16, 9, 0, 0, 0, loc), time.Date(2026, 11, 17, 9, 0, 0, 0, loc)} {
			ref, ok, err := db.DigestRun(context.Background(), "weekdays", run)
			if err != nil || !ok || ref.TS == "" {
				t.Errorf("run %v recorded as %v, %v, %v; want posted", run, ref, ok, err)
			}
		}
	})
}

// claimedMonday is a store whose last run is Monday's, posted.
func claimedMonday(t *testing.T, loc *time.Location) *memRuns {
	runs := newMemRuns()
	mon := time.Date(2026, 11, 16, 9, 0, 0, 0, loc)
	_, _ = runs.ClaimDigest(context.Background(), "weekdays", mon, "C-digest")
	mustDo(t, runs.DigestPosted(context.Background(), "weekdays", mon, bot.MessageRef{Channel: "C-digest", TS: "1.1"}))
	return runs
}

// TestDigestCatchesUpAMissedRunWithinGrace: down from Monday until
// Tuesday 09:40, with an hour's grace, the bot posts Tuesday's 09:00
// digest on start, once, then Wednesday's on time.
func TestDigestCatchesUpAMissedRunWithinGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		loc := handlerstest.Paris(t)
		start := time.Date(2026, 11, 17, 9, 40, 0, 0, loc)
		now := bubbleClock(start)
		store, poster := &periodStore{}, &clockPoster{}
		poster.now = now
		d, err := NewDigests(store, claimedMonday(t, loc), poster, []Schedule{daily(t)}, Options{Grace: time.Hour, Now: now})
		mustDo(t, err)
		stop := runDigests(d)
		sleepUntil(now, time.Date(2026, 11, 18, 12, 0, 0, 0, loc))
		stop()
		wantTimes(t, "posted at", poster.times(), start, time.Date(2026, 11, 18, 9, 0, 0, 0, loc))
		wantTimes(t, "caught-up period", store.periods[0][:], time.Date(2026, 11, 16, 9, 0, 0, 0, loc), time.Date(2026, 11, 17, 9, 0, 0, 0, loc))
	})
}

// TestDigestSkipsAMissedRunBeyondGrace: back at 10:30 with an hour's
// grace, Tuesday's digest is too late; it is logged, not posted.
func TestDigestSkipsAMissedRunBeyondGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		loc := handlerstest.Paris(t)
		now := bubbleClock(time.Date(2026, 11, 17, 10, 30, 0, 0, loc))
		poster, logs := &clockPoster{}, &syncBuffer{}
		poster.now = now
		d, err := NewDigests(&periodStore{}, claimedMonday(t, loc), poster, []Schedule{daily(t)},
			Options{Grace: time.Hour, Now: now, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		mustDo(t, err)
		stop := runDigests(d)
		sleepUntil(now, time.Date(2026, 11, 18, 12, 0, 0, 0, loc))
		stop()
		wantTimes(t, "posted at", poster.times(), time.Date(2026, 11, 18, 9, 0, 0, 0, loc))
		out := logs.String()
		if strings.Count(out, "missed beyond the grace period") != 1 || !strings.Contains(out, "first=2026-11-17T09:00:00.000+01:00") {
			t.Errorf("the skipped run is not logged once:\n%s", out)
		}
	})
}

// TestDigestRacingRunnersPostOnce runs two replicas on one store.
func TestDigestRacingRunnersPostOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		loc := handlerstest.Paris(t)
		now := bubbleClock(time.Date(2026, 11, 16, 8, 0, 0, 0, loc))
		runs, poster := newMemRuns(), &clockPoster{}
		poster.now = now
		var stops []func()
		for range 2 {
			d, err := NewDigests(&periodStore{}, runs, poster, []Schedule{daily(t)}, Options{Now: now})
			mustDo(t, err)
			stops = append(stops, runDigests(d))
		}
		sleepUntil(now, time.Date(2026, 11, 18, 12, 0, 0, 0, loc))
		for _, stop := range stops {
			stop()
		}
		wantTimes(t, "posted at", poster.times(), time.Date(2026, 11, 16, 9, 0, 0, 0, loc),
			time.Date(2026, 11, 17, 9, 0, 0, 0, loc), time.Date(2026, 11, 18, 9, 0, 0, 0, loc))
	})
}

// TestDigestRetriesAFailedPost: Slack fails twice; the claim is given
// back and the run posted a minute apart until it goes through, once.
func TestDigestRetriesAFailedPost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		loc := handlerstest.Paris(t)
		now := bubbleClock(time.Date(2026, 11, 16, 8, 0, 0, 0, loc))
		runs, poster := newMemRuns(), &clockPoster{fail: 2}
		poster.now = now
		d, err := NewDigests(&periodStore{}, runs, poster, []Schedule{daily(t)}, Options{Grace: time.Hour, Now: now})
		mustDo(t, err)
		stop := runDigests(d)
		sleepUntil(now, time.Date(2026, 11, 16, 12, 0, 0, 0, loc))
		stop()
		wantTimes(t, "posted at", poster.times(), time.Date(2026, 11, 16, 9, 2, 0, 0, loc))
		last, ok, _ := runs.LastDigest(context.Background(), "weekdays")
		if !ok || !last.Equal(time.Date(2026, 11, 16, 9, 0, 0, 0, loc)) {
			t.Errorf("last run %v, %v; want Monday 09:00", last, ok)
		}
	})
}

func TestDigestNowRecordsNothing(t *testing.T) {
	clock := &handlerstest.TestClock{T: digestEnd}
	runs, store := newMemRuns(), &periodStore{}
	d, err := NewDigests(store, runs, &clockPoster{}, nil, Options{Now: clock.Now})
	mustDo(t, err)
	m, err := d.DigestNow(context.Background(), time.UTC)
	mustDo(t, err)
	if !strings.Contains(handlerstest.DigestText(m), "# SCC digest: last 24 hours") {
		t.Errorf("digest now:\n%s", handlerstest.DigestText(m))
	}
	wantTimes(t, "period", store.periods[0][:], digestEnd.Add(-24*time.Hour), digestEnd)
	if len(runs.runs) != 0 {
		t.Errorf("DigestNow recorded runs: %v", runs.runs)
	}
}

func TestNewDigestsRejectsBadSchedules(t *testing.T) {
	spec := weekdays9(t)
	for _, ss := range [][]Schedule{
		{{Name: "", Channel: "C", Spec: spec}},
		{{Name: "a", Channel: "", Spec: spec}},
		{{Name: "a", Channel: "C"}},
		{{Name: "a", Channel: "C", Spec: spec}, {Name: "a", Channel: "D", Spec: spec}},
		{{Name: "a", Channel: "C", Spec: spec, Period: -time.Hour}},
	} {
		if _, err := NewDigests(&periodStore{}, newMemRuns(), &clockPoster{}, ss, Options{}); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("NewDigests(%s) = %v, want EInvalid", fmt.Sprint(ss), err)
		}
	}
}
