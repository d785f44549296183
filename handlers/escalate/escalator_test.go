package escalate

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

const onCall = "S0PAYONCALL"

// t0 is when the card of the rig's finding is posted: a Monday.
var t0 = time.Date(2024, 3, 18, 3, 0, 0, 0, time.UTC)

type rig struct {
	t        *testing.T
	clock    *handlerstest.TestClock
	store    *memStore
	poster   *memPoster
	pager    *memPager
	cards    *touches
	silences silenceAll
	page     bool
}

func newRig(t *testing.T) *rig {
	clock := &handlerstest.TestClock{T: t0}
	return &rig{t: t, clock: clock, store: newMemStore(clock.Now), poster: &memPoster{}, pager: &memPager{},
		cards: &touches{}, silences: silenceAll{}, page: true}
}

func testPolicy() Policy {
	return Policy{
		Defaults: map[bot.Severity]Deadline{
			bot.SeverityCritical: {Remind: 15 * time.Minute, Escalate: 30 * time.Minute},
			bot.SeverityHigh:     {Remind: time.Hour, Escalate: 2 * time.Hour},
		},
		Routes: map[string]RoutePolicy{"payments": {OnCall: onCall}},
	}
}

func (r *rig) escalator() *Escalator {
	return New(r.store, r.poster, oneRoute{}, r.pager, Options{Policy: testPolicy(), Page: r.page,
		Silences: r.silences, Audit: r.store, Cards: r.cards, Now: r.clock.Now})
}

// card posts a card for a finding of severity sev at t0.
func (r *rig) card(id string, sev bot.Severity) bot.Finding {
	f := handlerstest.TestFinding(id, t0.Add(-time.Minute))
	f.Severity = sev
	r.store.addCard(f, t0)
	return f
}

// run ticks e every 30 s from the clock's time until t0+until.
func (r *rig) run(e *Escalator, until time.Duration) {
	for ; !r.clock.Now().After(t0.Add(until)); r.clock.Set(r.clock.Now().Add(30 * time.Second)) {
		e.Tick(context.Background())
	}
	r.clock.Set(r.clock.Now().Add(-30 * time.Second))
}

// stages counts the replies of each stage, by their keys.
func (r *rig) stages() (reminders, escalations int) {
	for _, rp := range r.poster.all() {
		switch {
		case strings.HasPrefix(rp.msg.Key, "deadline/reminder/"):
			reminders++
		case strings.HasPrefix(rp.msg.Key, "deadline/escalation/"):
			escalations++
		default:
			r.t.Errorf("reply with key %q", rp.msg.Key)
		}
	}
	return reminders, escalations
}

func (r *rig) want(reminders, escalations, pages int) {
	r.t.Helper()
	gotR, gotE := r.stages()
	if gotR != reminders || gotE != escalations || len(r.pager.all()) != pages {
		r.t.Fatalf("at %s: %d reminders, %d escalations, %d pages; want %d, %d, %d", r.clock.Now().Sub(t0),
			gotR, gotE, len(r.pager.all()), reminders, escalations, pages)
	}
}

func TestCriticalCardLeftAlone(t *testing.T) {
	r := newRig(t)
	f := r.card("crit1", bot.SeverityCritical)
	e := r.escalator()
	r.run(e, 14*time.Minute+30*time.Second)
	r.want(0, 0, 0)
	r.run(e, 15*time.Minute)
	r.want(1, 0, 0)
	r.run(e, 29*time.Minute+30*time.Second)
	r.want(1, 0, 0)
	r.run(e, 30*time.Minute)
	r.want(1, 1, 1)
	r.run(e, 3*time.Hour)
	r.want(1, 1, 1)

	replies := r.poster.all()
	if card := r.store.cards[f.Name].Card; replies[0].parent != card || replies[1].parent != card {
		t.Errorf("replies went to %v and %v, want the card's thread %v", replies[0].parent, replies[1].parent, card)
	}
	remind := handlerstest.Flatten(replies[0].msg)
	if !strings.Contains(remind, "nobody has acknowledged this Critical finding for 15 min (deadline 15 min)") {
		t.Errorf("reminder says %q", remind)
	}
	if mentions := mentionsOf(replies[0].msg); len(mentions) != 1 || mentions[0] != onCall {
		t.Errorf("reminder mentions %v, want the route's on-call group %s", mentions, onCall)
	}
	if p := r.pager.all()[0]; p.finding != f.Name || !p.approved || !strings.Contains(p.reason, "unacknowledged for 30 min") {
		t.Errorf("page = %+v", p)
	}
	if n := r.store.openIntents(); n != 0 {
		t.Errorf("%d intents left open", n)
	}
	if at := r.store.claims[claimKey(f.Name, bot.StageReminder)]; !at.Equal(t0.Add(15 * time.Minute)) {
		t.Errorf("reminder claimed at %s, want its due time", at)
	}
	var events []string
	for _, ev := range r.store.audit {
		events = append(events, ev.Event+" "+ev.Detail)
	}
	want := []string{"deadline_reminder unacknowledged for 15 min",
		"deadline_escalation unacknowledged for 30 min (escalation deadline 30 min); owner paged"}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit = %q, want %q", events, want)
	}
}

func mentionsOf(m bot.Message) []string {
	var out []string
	for _, b := range m.Blocks {
		if s, ok := b.(bot.Section); ok {
			for _, sp := range s.Text {
				if sp.User != "" {
					out = append(out, sp.User)
				}
			}
		}
	}
	return out
}

func TestAcknowledgedAt10MinutesGetsNeither(t *testing.T) {
	r := newRig(t)
	f := r.card("crit1", bot.SeverityCritical)
	e := r.escalator()
	r.run(e, 10*time.Minute)
	r.store.ack(f.Name)
	r.run(e, 3*time.Hour)
	r.want(0, 0, 0)
}

func TestRestartAt14MinutesStillRemindsOnce(t *testing.T) {
	r := newRig(t)
	r.card("crit1", bot.SeverityCritical)
	r.run(r.escalator(), 14*time.Minute)
	r.want(0, 0, 0)
	// A new process: nothing carried over but the store.
	e := r.escalator()
	r.run(e, 16*time.Minute)
	r.want(1, 0, 0)
	r.run(r.escalator(), 20*time.Minute)
	r.want(1, 0, 0)
}

func TestRacingEscalatorsSendOnce(t *testing.T) {
	for round := range 50 {
		r := newRig(t)
		r.card("crit1", bot.SeverityCritical)
		r.card("crit2", bot.SeverityCritical)
		a, b := r.escalator(), r.escalator()
		for _, at := range []time.Duration{15 * time.Minute, 15*time.Minute + 30*time.Second, 30 * time.Minute, 40 * time.Minute} {
			r.clock.Set(t0.Add(at))
			var wg sync.WaitGroup
			for _, e := range []*Escalator{a, b} {
				wg.Go(func() { e.Tick(context.Background()) })
			}
			wg.Wait()
		}
		if r.want(2, 2, 2); t.Failed() {
			t.Fatalf("round %d", round)
		}
	}
}

func TestCrashBetweenClaimAndRecord(t *testing.T) {
	tests := []struct {
		name       string
		fail, land int
	}{
		{"the reply did not land", 1, 0},
		{"the reply landed, its answer was lost", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			f := r.card("crit1", bot.SeverityCritical)
			r.poster.fail, r.poster.landFail = tt.fail, tt.land
			r.clock.Set(t0.Add(15 * time.Minute))
			r.escalator().Tick(context.Background())
			if r.store.openIntents() != 1 {
				t.Fatalf("the failed reminder left no intent")
			}
			// Restarted soon after: the intent is young, maybe still
			// being sent by a live escalator, so it is left alone.
			e := r.escalator()
			r.clock.Set(t0.Add(16 * time.Minute))
			e.Tick(context.Background())
			if got := len(r.poster.all()); got != tt.land {
				t.Fatalf("%d replies after a young intent, want %d", got, tt.land)
			}
			r.run(e, 25*time.Minute)
			r.want(1, 0, 0)
			if last := r.poster.all()[0].msg; last.Resume.IsZero() && tt.land == 0 {
				t.Errorf("the resumed reminder was sent without Resume: the poster would not look for it first")
			}
			if r.store.openIntents() != 0 {
				t.Errorf("intent still open after the reminder was finished")
			}
			if _, ok := r.store.claims[claimKey(f.Name, bot.StageReminder)]; !ok {
				t.Errorf("reminder not claimed")
			}
		})
	}
}

func TestFailedPageIsRetriedOnce(t *testing.T) {
	r := newRig(t)
	r.card("crit1", bot.SeverityCritical)
	r.pager.fail = 1
	e := r.escalator()
	r.run(e, 34*time.Minute)
	r.want(1, 0, 0)
	r.run(e, 40*time.Minute)
	r.want(1, 1, 1)
}

func TestStageGivenUp(t *testing.T) {
	r := newRig(t)
	r.card("crit1", bot.SeverityCritical)
	r.poster.fail = 1000
	e := r.escalator()
	r.run(e, 3*time.Hour)
	if n := r.store.openIntents(); n != 0 {
		t.Errorf("%d intents still open after giving up", n)
	}
	// Retried every ResumeAfter (5 min) from its intent's creation until
	// an hour had passed: 1 + 12 attempts for each stage.
	if tries := 1000 - r.poster.fail; tries != 26 {
		t.Errorf("%d attempts to reply, want 26", tries)
	}
	for _, stage := range []string{"reminder", "escalation"} {
		if n := testutil.ToFloat64(e.metrics.stages.WithLabelValues(stage, "given_up")); n != 1 {
			t.Errorf("%s given up counted %v times, want 1", stage, n)
		}
	}
	r.poster.fail = 0
	r.run(e, 4*time.Hour)
	// Paged once: the failing reply was retried, not the page.
	r.want(0, 0, 1)
}

func TestNoDeadline(t *testing.T) {
	r := newRig(t)
	r.card("low1", bot.SeverityLow)
	silenced := r.card("crit1", bot.SeverityCritical)
	silenced.Category = "Expected Compiler"
	r.store.setFinding(silenced)
	r.silences["Expected Compiler"] = true
	muted := r.card("crit2", bot.SeverityCritical)
	muted.Mute = "MUTED"
	r.store.setFinding(muted)
	e := r.escalator()
	r.run(e, 3*time.Hour)
	r.want(0, 0, 0)
	// The silence ends: the deadline, which kept running, is acted on.
	delete(r.silences, "Expected Compiler")
	r.run(e, 3*time.Hour+30*time.Second)
	r.want(1, 1, 1)
}

func TestMissedWhileNoEscalatorRan(t *testing.T) {
	r := newRig(t)
	f := r.card("crit1", bot.SeverityCritical)
	r.clock.Set(t0.Add(25 * time.Hour))
	e := r.escalator()
	e.Tick(context.Background())
	r.want(0, 0, 0)
	if n := testutil.ToFloat64(e.metrics.stages.WithLabelValues("reminder", "missed")); n != 1 {
		t.Errorf("missed reminders counted %v, want 1", n)
	}
	for _, st := range []bot.DeadlineStage{bot.StageReminder, bot.StageEscalation} {
		if _, ok := r.store.claims[claimKey(f.Name, st)]; !ok {
			t.Errorf("stage %d not recorded as missed: it would be acted on again and again", st)
		}
	}
	r.clock.Set(t0.Add(25*time.Hour + time.Minute))
	r.escalator().Tick(context.Background())
	r.want(0, 0, 0)
}

func TestEscalationNeedsApproval(t *testing.T) {
	r := newRig(t)
	r.page = false
	r.card("crit1", bot.SeverityCritical)
	r.run(r.escalator(), 30*time.Minute)
	r.want(1, 1, 1)
	if r.pager.all()[0].approved {
		t.Errorf("paged without approval although escalation.page is false")
	}
	if got := handlerstest.Flatten(r.poster.all()[1].msg); !strings.Contains(got, "needs approval") {
		t.Errorf("escalation says %q", got)
	}
}

func TestBusinessHoursRoute(t *testing.T) {
	r := newRig(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	p := testPolicy()
	p.Routes["payments"] = RoutePolicy{OnCall: onCall, Deadlines: map[bot.Severity]Deadline{
		bot.SeverityLow: {Remind: 4 * time.Hour, Hours: &BusinessHours{Zone: paris,
			Days: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
			From: 9 * time.Hour, To: 18 * time.Hour}},
		bot.SeverityCritical: {}, // off on this route
	}}
	r.card("low1", bot.SeverityLow) // posted Monday 04:00 Paris: due 13:00 Paris, 12:00 UTC
	r.card("crit1", bot.SeverityCritical)
	e := New(r.store, r.poster, oneRoute{}, r.pager, Options{Policy: p, Page: true, Now: r.clock.Now})
	r.run(e, 8*time.Hour+59*time.Minute+30*time.Second)
	r.want(0, 0, 0)
	r.run(e, 9*time.Hour)
	r.want(1, 0, 0)
	if got := handlerstest.Flatten(r.poster.all()[0].msg); !strings.Contains(got, "(deadline 4 h of business hours)") {
		t.Errorf("reminder says %q", got)
	}
}

func TestHostileFindingInReminder(t *testing.T) {
	r := newRig(t)
	f := r.card("crit1", bot.SeverityCritical)
	f.Category = "<!channel> *urgent* <https://evil.example|click>"
	f.Target.Namespace, f.Target.Pod = "<@U0EVIL>", "pod`rm -rf`<!here>"
	r.store.setFinding(f)
	r.run(r.escalator(), 15*time.Minute)
	r.want(1, 0, 0)
	m := r.poster.all()[0].msg
	for _, b := range m.Blocks {
		s, ok := b.(bot.Section)
		if !ok {
			t.Fatalf("reminder block %T", b)
		}
		for _, sp := range s.Text {
			if sp.URL != "" || sp.Channel != "" || sp.User != "" && sp.User != onCall {
				t.Errorf("span %+v links or mentions: only the on-call group may be mentioned", sp)
			}
		}
	}
	text := handlerstest.Flatten(m)
	for _, hostile := range []string{f.Category, "<@U0EVIL>", "<!here>"} {
		if !strings.Contains(text, hostile) {
			t.Errorf("reminder %q does not carry %q as literal text", text, hostile)
		}
	}
}
