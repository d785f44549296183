package digest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers/digest"
)

// hostileVerdicts gives every verdict to a category and project of its
// own, hostile names all: far more rows than a digest can list.
type hostileVerdicts struct{ n int }

func (v hostileVerdicts) VerdictCounts(context.Context, time.Time, time.Time) ([]bot.VerdictCount, error) {
	var out []bot.VerdictCount
	for i := range v.n {
		cat, project := fmt.Sprintf("%s category %d", hostile, i), fmt.Sprintf("%s project %d", hostile, i)
		out = append(out, bot.VerdictCount{Category: cat, Project: project, Verdict: bot.VerdictFalsePositive, Count: 5},
			bot.VerdictCount{Category: cat, Project: project, Verdict: bot.VerdictBenign, Count: 1})
	}
	return out, nil
}

// hostileAcks answers percentiles for severities a store should not hold.
type hostileAcks struct{}

func (hostileAcks) AckPercentiles(context.Context, time.Time, time.Time) ([]digest.AckPercentiles, error) {
	var out []digest.AckPercentiles
	for i := range 40 {
		out = append(out, digest.AckPercentiles{Severity: fmt.Sprint(hostile, i), Acks: i + 1, P50: time.Minute, P90: time.Hour})
	}
	return append(out, digest.AckPercentiles{Severity: "CRITICAL", Acks: 3, P50: 2 * time.Minute, P90: 9 * time.Minute}), nil
}

type manyDeadlines struct{}

func (manyDeadlines) DeadlineEvents(_ context.Context, since, _ time.Time) ([]bot.DeadlineEvent, error) {
	var out []bot.DeadlineEvent
	for i := range 500 {
		out = append(out, bot.DeadlineEvent{Finding: fmt.Sprint(hostile, i), Stage: bot.StageEscalation, At: since,
			Severity: bot.Severity(i%7 - 1)}) // some outside SCC's range
	}
	return out, nil
}

// TestTuningEscapesHostileNames renders a digest whose tuning names are
// attacker-chosen through the real Slack renderer: they arrive escaped, as
// text, and cannot mention anyone or open a link.
func TestTuningEscapesHostileNames(t *testing.T) {
	to := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	d, err := digest.ComputeDigestWith(context.Background(), busyStore{}, digest.Sources{Verdicts: hostileVerdicts{n: 2}},
		to.Add(-24*time.Hour), to, digest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	text := checkSlackLimits(t, digest.Message(d, "daily", time.UTC))
	for _, want := range []string{
		"&lt;!channel&gt; &amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp; &lt;https://evil.example|click&gt; ˋcodeˋ",
		"category 1 · &lt;!channel&gt;",                     // a group's line
		"category 0: 5 of 6 verdicts false positive (83 %)", // a suggestion
		"/finding mute-rule &lt;finding id&gt;",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered tuning lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "<https://evil.example") {
		t.Errorf("a hostile name became a link:\n%s", text)
	}
}

// TestDigestWithEveryFigureFitsSlack adds every new section at its worst
// to a busy day: the lists are cut and summed up, and the message stays
// within Slack's limits.
func TestDigestWithEveryFigureFitsSlack(t *testing.T) {
	to := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	d, err := digest.ComputeDigestWith(context.Background(), busyStore{},
		digest.Sources{AckTimes: hostileAcks{}, Verdicts: hostileVerdicts{n: 5000}, Deadlines: manyDeadlines{}},
		to.Add(-24*time.Hour), to, digest.Limits{Top: 50, Unacknowledged: 50})
	if err != nil {
		t.Fatal(err)
	}
	d.Chart = digest.ChartLink{Permalink: "https://example.slack.com/files/U1/F1/" + strings.Repeat("a&b", 300)}
	text := checkSlackLimits(t, digest.Message(d, strings.Repeat("daily ", 40), time.UTC))
	for _, want := range []string{"🔴 Critical: p50 2 min · p90 9 min (3 acknowledged)", "deadlines breached: 500",
		"…and ", "|Chart: findings per day by severity"} {
		if !strings.Contains(text, want) {
			t.Errorf("busy digest lacks %q", want)
		}
	}
	if d.Deadlines == nil || len(d.Deadlines.BreachesBySeverity) != 5 {
		t.Errorf("breaches by severity: %+v, want the five known severities", d.Deadlines)
	}
}
