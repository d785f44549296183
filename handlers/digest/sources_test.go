package digest

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/bot/sqlite/sqlitetest"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// The real store gives the percentiles.
var _ AckTimes = (*sqlite.DB)(nil)

// memVerdicts holds verdicts with the time each was given and counts them
// the way a store would: those given in [since, until), per category,
// project and verdict.
type memVerdicts struct {
	mu   sync.Mutex
	recs []verdictRec
}

type verdictRec struct {
	at                time.Time
	category, project string
	verdict           bot.Verdict
}

func (m *memVerdicts) add(at time.Time, category, project string, v bot.Verdict, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range n {
		m.recs = append(m.recs, verdictRec{at, category, project, v})
	}
}

func (m *memVerdicts) VerdictCounts(_ context.Context, since, until time.Time) ([]bot.VerdictCount, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	counts := map[bot.VerdictCount]int{}
	for _, r := range m.recs {
		if !r.at.Before(since) && r.at.Before(until) {
			counts[bot.VerdictCount{Category: r.category, Project: r.project, Verdict: r.verdict}]++
		}
	}
	var out []bot.VerdictCount
	for k, n := range counts {
		k.Count = n
		out = append(out, k)
	}
	// A store's order, not the digest's: by verdict, then category.
	slices.SortFunc(out, func(a, b bot.VerdictCount) int {
		return cmp.Or(cmp.Compare(a.Verdict, b.Verdict), cmp.Compare(a.Category, b.Category), cmp.Compare(a.Project, b.Project))
	})
	return out, nil
}

// memDeadlines holds claimed deadline stages and returns those claimed in
// [since, until).
type memDeadlines struct {
	mu  sync.Mutex
	evs []bot.DeadlineEvent
	err error
}

func (m *memDeadlines) DeadlineEvents(_ context.Context, since, until time.Time) ([]bot.DeadlineEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	var out []bot.DeadlineEvent
	for _, ev := range m.evs {
		if !ev.At.Before(since) && ev.At.Before(until) {
			out = append(out, ev)
		}
	}
	return out, nil
}

// weekEnd ends the seeded week: Friday 20 November 2026, 10:00 in Paris.
var (
	weekEnd   = digestEnd
	weekStart = weekEnd.Add(-7 * 24 * time.Hour)
)

type ackedSeed struct {
	id   string
	sev  bot.Severity
	seen time.Duration // after weekStart (negative: before it)
	wait time.Duration // to the acknowledgement; 0: never acknowledged
}

// weekAcks are the findings of the week with a card, and their acks.
func weekAcks() []ackedSeed {
	const m, h, d = time.Minute, time.Hour, 24 * time.Hour
	return []ackedSeed{
		{"crit1", bot.SeverityCritical, d, 8 * m},
		{"crit2", bot.SeverityCritical, 2 * d, 2 * m},
		{"crit3", bot.SeverityCritical, 3 * d, 30 * m},
		{"crit4", bot.SeverityCritical, 4 * d, 4 * m},
		{"crit5", bot.SeverityCritical, 5 * d, 6 * m},
		{"high1", bot.SeverityHigh, d + h, 50 * m},
		{"high2", bot.SeverityHigh, d + 2*h, 10 * m},
		{"high3", bot.SeverityHigh, 2*d + h, 90 * m},
		{"high4", bot.SeverityHigh, 3*d + h, 20 * m},
		{"high5", bot.SeverityHigh, 4*d + h, 40 * m},
		{"high6", bot.SeverityHigh, -10 * m, 30 * m}, // seen before the week, acknowledged in it
		{"high7", bot.SeverityHigh, 6 * d, 0},        // never acknowledged
		{"med1", bot.SeverityMedium, 6*d + h, 3 * h},
		{"old1", bot.SeverityCritical, -2 * d, 5 * m}, // acknowledged before the week
	}
}

func seedWeek(t *testing.T, db *sqlite.DB, clock *handlerstest.TestClock) {
	t.Helper()
	ctx := context.Background()
	for _, s := range weekAcks() {
		seen := weekStart.Add(s.seen)
		clock.Set(seen)
		f := handlerstest.TestFinding(s.id, seen)
		f.Severity, f.Category = s.sev, catExec
		mustDo(t, db.PutFinding(ctx, f))
		mustDo(t, db.PutCard(ctx, f.Name, bot.MessageRef{Channel: "C-gke", TS: "1700000000." + s.id}))
		if s.wait > 0 {
			clock.Set(seen.Add(s.wait))
			_, _, _, err := db.Ack(ctx, f.Name, "U0ALICE")
			mustDo(t, err)
		}
	}
}

// weekDeadlines are the stages claimed around the week.
func weekDeadlines() *memDeadlines {
	const d = 24 * time.Hour
	name := func(id string) string { return handlerstest.TestFinding(id, time.Time{}).Name }
	at := func(off time.Duration) time.Time { return weekStart.Add(off) }
	return &memDeadlines{evs: []bot.DeadlineEvent{
		{Finding: name("crit9"), Stage: bot.StageReminder, At: at(d + time.Hour), Severity: bot.SeverityCritical},
		{Finding: name("crit9"), Stage: bot.StageEscalation, At: at(d + 2*time.Hour), Severity: bot.SeverityCritical},
		{Finding: name("high9"), Stage: bot.StageReminder, At: at(2 * d), Severity: bot.SeverityHigh},
		{Finding: name("high9"), Stage: bot.StageEscalation, At: at(2*d + time.Hour), Severity: bot.SeverityHigh},
		{Finding: name("high9"), Stage: bot.StageEscalation, At: at(3 * d), Severity: bot.SeverityHigh}, // armed again
		{Finding: name("high8"), Stage: bot.StageReminder, At: at(4 * d), Severity: bot.SeverityHigh},
		{Finding: name("old9"), Stage: bot.StageEscalation, At: at(-2 * d), Severity: bot.SeverityCritical},
		{Finding: name("late9"), Stage: bot.StageEscalation, At: weekEnd, Severity: bot.SeverityCritical},
	}}
}

const catPersist = "Persistence: Modify Authentication Process"

// weekVerdicts are the verdicts given around the week.
func weekVerdicts() *memVerdicts {
	v := &memVerdicts{}
	in := weekStart.Add(3 * 24 * time.Hour)
	v.add(in, catMiner, "prod-a", bot.VerdictFalsePositive, 4)
	v.add(in, catMiner, "prod-a", bot.VerdictTruePositive, 1)
	v.add(in, catMiner, "prod-b", bot.VerdictFalsePositive, 2)
	v.add(in, catMiner, "prod-b", bot.VerdictBenign, 1)
	v.add(in, catExec, "prod-a", bot.VerdictTruePositive, 3)
	v.add(in, catExec, "prod-a", bot.VerdictBenign, 1)
	v.add(in, catCompiler, "prod-c", bot.VerdictFalsePositive, 3)
	v.add(in, catCompiler, "prod-c", bot.VerdictTruePositive, 1)
	v.add(weekStart.Add(-time.Nanosecond), catCompiler, "prod-c", bot.VerdictFalsePositive, 1) // before the week
	v.add(weekStart, catPersist, "prod-c", bot.VerdictFalsePositive, 3)                        // at the start: in
	v.add(weekEnd.Add(-time.Nanosecond), catPersist, "prod-c", bot.VerdictTruePositive, 2)
	v.add(weekEnd, catPersist, "prod-c", bot.VerdictTruePositive, 5) // at the end: out
	return v
}

// TestDigestOfASeededWeek checks the figures of a week worked out by hand.
//
// Time to acknowledge, per severity, acks made in the week:
//   - CRITICAL: 8, 2, 30, 4, 6 min (old1's ack is before the week). Sorted
//     2 4 6 8 30; p50 is rank ceil(0.5·5) = 3: 6 min; p90 rank
//     ceil(0.9·5) = 5: 30 min.
//   - HIGH: 50, 10, 90, 20, 40 min and high6's 30 min (seen before the
//     week, acknowledged in it); high7 never. Sorted 10 20 30 40 50 90;
//     p50 rank 3: 30 min; p90 rank ceil(5.4) = 6: 1 h 30 min.
//   - MEDIUM: 3 h alone, both percentiles.
//   - The mean over all twelve: (50 + 240 + 180) / 12 = 39 min 10 s.
//
// Deadlines claimed in the week: crit9 reminded and escalated, high9
// reminded and escalated twice (a finding breaches once), high8 only
// reminded; old9 before the week and late9 at its end are out. So 2
// breaches (1 CRITICAL, 1 HIGH) and 3 findings past the first deadline.
//
// Verdicts in the week (one before it and five at its end are out):
//   - Miner: prod-a 4 FP + 1 TP, prod-b 2 FP + 1 benign: 6 FP of 8
//     verdicts, 75 %: suggested.
//   - Persistence: 3 FP + 2 TP: 60 % of 5, on both thresholds: suggested.
//   - Compiler: 3 FP + 1 TP, 75 % but only 4 verdicts (the fifth, an FP,
//     came before the week): not suggested.
//   - Exec: 3 TP + 1 benign: listed for the benign one, not suggested.
//
// Groups by false positives plus benign, then category name: Miner/prod-a
// 4; Compiler/prod-c, Miner/prod-b and Persistence/prod-c 3; Exec/prod-a 1.
func TestDigestOfASeededWeek(t *testing.T) {
	clock := &handlerstest.TestClock{}
	db := sqlitetest.Open(t, clock.Now)
	seedWeek(t, db, clock)
	src := Sources{AckTimes: db, Verdicts: weekVerdicts(), Deadlines: weekDeadlines()}
	d, err := ComputeDigestWith(context.Background(), db, src, weekStart, weekEnd, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	const m = time.Minute
	if diff := gocmp.Diff([]AckPercentiles{
		{"CRITICAL", 5, 6 * m, 30 * m}, {"HIGH", 6, 30 * m, 90 * m}, {"MEDIUM", 1, 3 * time.Hour, 3 * time.Hour},
	}, d.AckTimes); diff != "" {
		t.Errorf("time to acknowledge (-want +got):\n%s", diff)
	}
	if d.Acks != 12 || d.MeanTimeToAck != 39*m+10*time.Second {
		t.Errorf("mean time to acknowledge: %d acks, %s; want 12, 39m10s", d.Acks, d.MeanTimeToAck)
	}
	wantDeadlines := &DeadlineCounts{Breaches: 2, Reminders: 3,
		BreachesBySeverity: []SeverityCount{{bot.SeverityCritical, 1}, {bot.SeverityHigh, 1}}}
	if diff := gocmp.Diff(wantDeadlines, d.Deadlines); diff != "" {
		t.Errorf("deadlines (-want +got):\n%s", diff)
	}
	wantTuning := &Tuning{
		Groups: []TuningGroup{
			{catMiner, "prod-a", 4, 0, 5}, {catCompiler, "prod-c", 3, 0, 4}, {catMiner, "prod-b", 2, 1, 3},
			{catPersist, "prod-c", 3, 0, 5}, {catExec, "prod-a", 0, 1, 4},
		},
		Suggestions: []TuningSuggestion{{catMiner, 6, 8}, {catPersist, 3, 5}},
	}
	if diff := gocmp.Diff(wantTuning, d.Tuning); diff != "" {
		t.Errorf("tuning (-want +got):\n%s", diff)
	}

	text := handlerstest.DigestText(Message(d, "weekly", handlerstest.Paris(t)))
	for _, want := range []string{
		"Time to acknowledge (from arrival, acknowledged in this period)\n🔴 Critical: p50 6 min · p90 30 min (5 acknowledged)\n" +
			"🟠 High: p50 30 min · p90 1 h 30 min (6 acknowledged)\n🟡 Medium: p50 3 h · p90 3 h (1 acknowledged)",
		"⏰ Acknowledgement deadlines breached: 2 (🔴 1 Critical, 🟠 1 High) · escalated: unacknowledged past the second deadline. " +
			"3 findings past the first deadline",
		"Tuning: marked false positive or benign\n• 4 false positive, 0 benign (of 5 verdicts)  " + catMiner + " · prod-a\n" +
			"• 3 false positive, 0 benign (of 4 verdicts)  " + catCompiler + " · prod-c\n",
		"• 0 false positive, 1 benign (of 4 verdicts)  " + catExec + " · prod-a",
		"/finding mute-rule <finding id>",
		"\n• " + catMiner + ": 6 of 8 verdicts false positive (75 %)\n• " + catPersist + ": 3 of 5 verdicts false positive (60 %)",
		"⏱️ Mean time to acknowledge: 39 min (12 acknowledged)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "📈") {
		t.Errorf("a digest without a chart mentions one:\n%s", text)
	}
}

// TestDigestWithoutSourcesLeavesTheirSectionsOut keeps a digest without
// sources as it was: no zeros that would read as "no breaches".
func TestDigestWithoutSourcesLeavesTheirSectionsOut(t *testing.T) {
	clock := &handlerstest.TestClock{}
	db := sqlitetest.Open(t, clock.Now)
	d, err := ComputeDigestWith(context.Background(), db, Sources{}, weekStart, weekEnd, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if d.AckTimes != nil || d.Deadlines != nil || d.Tuning != nil {
		t.Errorf("figures without sources: %v %v %v", d.AckTimes, d.Deadlines, d.Tuning)
	}
	text := handlerstest.DigestText(Message(d, "weekly", nil))
	for _, absent := range []string{"p50", "deadlines breached", "Tuning"} {
		if strings.Contains(text, absent) {
			t.Errorf("digest without sources shows %q:\n%s", absent, text)
		}
	}
	// With sources and nothing in them, the sections say so.
	d, err = ComputeDigestWith(context.Background(), db, Sources{AckTimes: db, Verdicts: &memVerdicts{}, Deadlines: &memDeadlines{}},
		weekStart, weekEnd, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	text = handlerstest.DigestText(Message(d, "weekly", nil))
	for _, want := range []string{"Time to acknowledge (from arrival, acknowledged in this period): nothing was acknowledged.",
		"deadlines breached: 0 ·", "0 findings past the first deadline", "Tuning: marked false positive or benign: none in this period."} {
		if !strings.Contains(text, want) {
			t.Errorf("empty sources: digest lacks %q:\n%s", want, text)
		}
	}
	if _, err := ComputeDigestWith(context.Background(), db, Sources{Deadlines: &memDeadlines{err: bot.Errorf(bot.EUnavailable, "down")}},
		weekStart, weekEnd, Limits{}); bot.ErrorCode(err) != bot.EUnavailable {
		t.Errorf("failing source: %v, want its error", err)
	}
}
