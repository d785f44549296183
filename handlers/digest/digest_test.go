package digest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/bot/sqlite/sqlitetest"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// The real store satisfies the digest's interfaces.
var (
	_ Store = (*sqlite.DB)(nil)
	_ Runs  = (*sqlite.DB)(nil)
)

const (
	catExec     = "Execution: Added Binary Executed"
	catMiner    = "Malware: Cryptomining Bad IP"
	catCompiler = "Defense Evasion: Launch Code Compiler Tool In Container"
)

// digestEnd ends the seeded period: Friday 20 November 2026, 10:00 in Paris.
var digestEnd = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

type seedFinding struct {
	id, cat, project string
	sev              bot.Severity
	seen             time.Duration // before digestEnd
	card             bool
	outcome          string
	ackBy            string
	ackAfter         time.Duration
}

// seedStore fills db with a known day: five findings in the period (one
// silenced), two the day before, one earlier in the week, acks, and
// requests done, failed and outside the period.
func seedStore(t *testing.T, db *sqlite.DB, clock *handlerstest.TestClock) map[string]bot.Finding {
	t.Helper()
	const h = time.Hour
	seeds := []seedFinding{
		{"a1", catExec, "prod-a", bot.SeverityCritical, 20 * h, true, handlers.OutcomePosted, "U0ALICE", 10 * time.Minute},
		{"a2", catExec, "prod-a", bot.SeverityHigh, 18 * h, true, handlers.OutcomePosted, "U0BOB", 20 * time.Minute},
		{"a3", catCompiler, "prod-b", bot.SeverityHigh, 10 * h, true, handlers.OutcomePosted, "", 0},
		{"a4", catMiner, "prod-b", bot.SeverityMedium, 5 * h, true, handlers.OutcomePosted, "", 0},
		{"a5", catExec, "sandbox", bot.SeverityHigh, h, false, handlers.OutcomeSilenced, "", 0},
		{"b1", catExec, "prod-a", bot.SeverityHigh, 30 * h, true, handlers.OutcomePosted, "U0ALICE", 5 * time.Minute},
		{"b2", catMiner, "prod-c", bot.SeverityLow, 40 * h, true, handlers.OutcomePosted, "", 0},
		{"o1", catExec, "prod-a", bot.SeverityCritical, 74 * h, true, handlers.OutcomePosted, "", 0},
	}
	ctx := context.Background()
	out := map[string]bot.Finding{}
	for _, s := range seeds {
		seen := digestEnd.Add(-s.seen)
		clock.Set(seen)
		f := handlerstest.TestFinding(s.id, seen)
		f.Category, f.Severity, f.Target.Project = s.cat, s.sev, s.project
		f.Resource.Organization = "1"
		mustDo(t, db.PutFinding(ctx, f))
		mustDo(t, db.MarkNotification(ctx, f.Key(), s.outcome))
		if s.card {
			mustDo(t, db.PutCard(ctx, f.Name, bot.MessageRef{Channel: "C-gke", TS: "1700000000." + s.id}))
		}
		if s.ackBy != "" {
			clock.Set(seen.Add(s.ackAfter))
			_, _, _, err := db.Ack(ctx, f.Name, s.ackBy)
			mustDo(t, err)
		}
		out[s.id] = f
	}
	seedRequests(t, db, out)
	return out
}

func seedRequests(t *testing.T, db *sqlite.DB, fs map[string]bot.Finding) {
	t.Helper()
	for _, r := range []struct {
		id, finding, action, by, decider string
		state                            bot.RequestState
		after                            time.Duration
	}{
		{"q1", "a1", bot.ActionIsolatePod, "U0ALICE", "U0CAROL", bot.RequestDone, 30 * time.Minute},
		{"q2", "a2", bot.ActionPageOwner, "U0BOB", "sccbot", bot.RequestDone, 15 * time.Minute},
		{"q3", "a4", bot.ActionMute, "U0ALICE", "U0CAROL", bot.RequestDone, time.Hour},
		{"q4", "a3", bot.ActionResolve, "U0BOB", "sccbot", bot.RequestFailed, time.Hour},
		{"q5", "a3", bot.ActionCloudRunRollback, "U0BOB", "U0ALICE", bot.RequestDone, 90 * time.Minute},
		{"q6", "b1", bot.ActionIsolatePod, "U0BOB", "U0CAROL", bot.RequestDone, time.Hour}, // previous period
	} {
		ctx := context.Background()
		seen := fs[r.finding].EventTime
		done := seen.Add(r.after)
		_, _, err := db.CreateRequest(ctx, bot.ActionRequest{ID: r.id, Finding: fs[r.finding].Name, Action: r.action,
			Reason: "test", RequestedBy: r.by, RequestedAt: seen, ExpiresAt: done.Add(time.Hour), State: bot.RequestPending})
		mustDo(t, err)
		_, _, err = db.TransitionRequest(ctx, r.id, []bot.RequestState{bot.RequestPending}, bot.RequestRunning,
			func(q *bot.ActionRequest) { q.DecidedBy, q.DecidedAt = r.decider, done })
		mustDo(t, err)
		_, _, err = db.TransitionRequest(ctx, r.id, []bot.RequestState{bot.RequestRunning}, r.state,
			func(q *bot.ActionRequest) { q.FinishedAt = done })
		mustDo(t, err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantSeededDigest is the digest of the seeded day, worked out by hand.
func wantSeededDigest() Digest {
	return Digest{
		From: digestEnd.Add(-24 * time.Hour), To: digestEnd,
		Total: 5, Previous: 2,
		Severities: []Count{{"CRITICAL", 1, 0}, {"HIGH", 3, 1}, {"MEDIUM", 1, 0}, {"LOW", 0, 1}},
		Categories: []Count{{catExec, 3, 1}, {catMiner, 1, 1}}, OtherCategories: 1, OtherCategoryFindings: 1,
		Projects: []Count{{"prod-a", 2, 1}, {"prod-b", 2, 0}}, OtherProjects: 1, OtherProjectFindings: 1,
		Daily:               []int{0, 0, 0, 1, 0, 2, 5},
		UnacknowledgedTotal: 4,
		Actions: []Action{
			{Kind: KindContained, Count: 2, RequestedBy: []Person{{"U0ALICE", 1}, {"U0BOB", 1}},
				ApprovedBy: []Person{{"U0ALICE", 1}, {"U0CAROL", 1}}},
			{Kind: KindPaged, Count: 1, RequestedBy: []Person{{"U0BOB", 1}}},
			{Kind: KindMuted, Count: 1, RequestedBy: []Person{{"U0ALICE", 1}}, ApprovedBy: []Person{{"U0CAROL", 1}}},
		},
		Silenced: 1,
		Acks:     2, MeanTimeToAck: 15 * time.Minute,
		Containments: 2, MeanTimeToContain: time.Hour,
	}
}

func TestDigestOfSeededStoreHasExactFigures(t *testing.T) {
	clock := &handlerstest.TestClock{}
	db := sqlitetest.Open(t, clock.Now)
	fs := seedStore(t, db, clock)
	d, err := ComputeDigest(context.Background(), db, digestEnd.Add(-24*time.Hour), digestEnd, Limits{Top: 2, Unacknowledged: 3})
	if err != nil {
		t.Fatal(err)
	}
	var unacked []string
	for _, f := range d.Unacknowledged {
		unacked = append(unacked, f.ShortID())
	}
	if diff := cmp.Diff([]string{"o1", "a3", "a4"}, unacked); diff != "" {
		t.Errorf("unacknowledged (-want +got):\n%s", diff)
	}
	got := d
	got.Unacknowledged = nil
	if diff := cmp.Diff(wantSeededDigest(), got); diff != "" {
		t.Errorf("digest (-want +got):\n%s", diff)
	}

	paris, err := time.LoadLocation("Europe/Paris")
	mustDo(t, err)
	text := handlerstest.DigestText(Message(d, "daily", paris))
	for _, want := range []string{
		"# SCC digest: daily",
		"Findings first seen from Thu 19 Nov 10:00 CET to Fri 20 Nov 10:00 CET, compared with the 24 hours before.",
		"5 findings (+3 against 2 in the previous period). 🔕 1 silenced: stored and counted, not posted.",
		"🔴 Critical: 1 (new)", "🟠 High: 3 (+2)", "🟡 Medium: 1 (new)", "🔵 Low: 0 (−1)",
		"Last 7 days ▁▁▁▂▁▃█  0 · 0 · 0 · 1 · 0 · 2 · 5",
		"Top categories\n• 3  " + catExec + " (+2)\n• 1  " + catMiner + " (±0)\n• 1 more in 1 other category",
		"Top projects\n• 2  prod-a (+1)\n• 2  prod-b (new)\n• 1 more in 1 other project",
		"Open, nobody acknowledged (4)\n🔴 o1 <" + bot.FindingURL(fs["o1"]) + "> " + catExec + " · prod-a",
		"\n🟠 a3 <" + bot.FindingURL(fs["a3"]) + "> " + catCompiler + " · prod-b",
		"\n…and 1 more",
		"🛡️ Contained 2 · requested by @U0ALICE (1), @U0BOB (1) · approved by @U0ALICE (1), @U0CAROL (1)",
		"📟 Paged 1 · requested by @U0BOB (1)\n",
		"🔇 Muted 1 · requested by @U0ALICE (1) · approved by @U0CAROL (1)",
		"⏱️ Mean time to acknowledge: 15 min (2 acknowledged) · mean time to contain: 1 h (2 contained)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
}

func TestDigestOfAnEmptyPeriod(t *testing.T) {
	clock := &handlerstest.TestClock{}
	db := sqlitetest.Open(t, clock.Now)
	d, err := ComputeDigest(context.Background(), db, digestEnd.Add(-24*time.Hour), digestEnd, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	text := handlerstest.DigestText(Message(d, "daily", nil))
	for _, want := range []string{"0 findings (±0 against 0", "Open, nobody acknowledged (0): none.",
		"Actions taken: none finished", "acknowledge: n/a (0 acknowledged)", "▁▁▁▁▁▁▁"} {
		if !strings.Contains(text, want) {
			t.Errorf("empty digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Top categories") {
		t.Errorf("empty digest lists categories:\n%s", text)
	}
	if _, err := ComputeDigest(context.Background(), db, digestEnd, digestEnd, Limits{}); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("empty period: %v, want EInvalid", err)
	}
}

func TestDigestFormatting(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{handlers.Change(5, 0), "new"}, {handlers.Change(5, 2), "+3"}, {handlers.Change(2, 5), "−3"}, {handlers.Change(0, 0), "±0"}, {handlers.Change(4, 4), "±0"},
		{sparkline([]int{0, 1, 2, 3, 4, 5, 6, 7}), "▁▂▃▄▅▆▇█"}, {sparkline([]int{0, 0}), "▁▁"},
		{handlers.FormatDuration(59 * time.Second), "under a minute"}, {handlers.FormatDuration(12*time.Minute + 59*time.Second), "12 min"},
		{handlers.FormatDuration(4*time.Hour + 20*time.Minute), "4 h 20 min"}, {handlers.FormatDuration(2 * time.Hour), "2 h"},
		{handlers.FormatDuration(50 * time.Hour), "2 d 2 h"}, {handlers.FormatDuration(48 * time.Hour), "2 d"},
		{shorten("abcdef", 4), "abc…"}, {shorten("abc", 4), "abc"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
