package digest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/handlers/digest"
)

// These tests render digests with the real Slack renderer (an external
// test package, since the renderer imports handlers) and check the Block
// Kit output against Slack's limits (notes/slack.md 2.4).

// hostile is attacker-chosen text at its worst for length: every
// character is escaped into several, and markup tries to break out.
const hostile = "<!channel> &&&&&&&&&& <https://evil.example|click> `code` *bold* "

// busyStore answers like a store holding a day of 10,000 findings, each
// in a category of its own, spread over 2,000 projects, none of them
// acknowledged, with hundreds of people acting. It honours every limit
// the way the real store does (bot/sqlite's tests prove that store on a
// day of the same size).
type busyStore struct{}

const busyTotal = 10_000

func (busyStore) CountFindings(_ context.Context, bounds []time.Time) ([]int, error) {
	out := make([]int, len(bounds)-1)
	for i := range out {
		out[i] = busyTotal - i // the last period is the day itself
	}
	out[len(out)-1] = busyTotal
	return out, nil
}

func (busyStore) FindingGroups(_ context.Context, by string, _, _, _ time.Time, limit int) ([]digest.Count, int, error) {
	switch by {
	case digest.DigestBySeverity:
		return []digest.Count{{Key: "HIGH", Count: 6000, Previous: 10}, {Key: "CRITICAL", Count: 4000}, {Key: hostile, Count: 0, Previous: 3}}, 2, nil
	case digest.DigestByCategory:
		return busyGroups("category", 1, busyTotal, limit), busyTotal, nil
	}
	return busyGroups("project", 5, busyTotal/5, limit), busyTotal / 5, nil
}

func busyGroups(what string, each, n, limit int) []digest.Count {
	var out []digest.Count
	for i := range min(n, limit) {
		out = append(out, digest.Count{Key: fmt.Sprintf("%s %05d %s", what, i, strings.Repeat(hostile, 10)), Count: each})
	}
	return out
}

func (busyStore) UnacknowledgedFindings(_ context.Context, _, _ time.Time, limit int) ([]bot.Finding, int, error) {
	var out []bot.Finding
	for i := range limit {
		out = append(out, bot.Finding{
			Name:     fmt.Sprintf("organizations/1/sources/2/locations/global/findings/%s%05d", strings.Repeat("&<>|", 50), i),
			Category: strings.Repeat(hostile, 20), Severity: bot.SeverityCritical, EventTime: time.Unix(1_790_000_000, 0),
			Target: bot.Target{Project: strings.Repeat(hostile, 20)},
		})
	}
	return out, busyTotal, nil
}

func (busyStore) ActionCounts(context.Context, time.Time, time.Time) ([]digest.ActionCount, error) {
	var out []digest.ActionCount
	for _, a := range []string{bot.ActionIsolatePod, bot.ActionPageOwner, bot.ActionMute, bot.ActionResolve, "something_new"} {
		for i := range 300 {
			out = append(out, digest.ActionCount{Action: a, RequestedBy: fmt.Sprintf("%s%d", hostile, i),
				DecidedBy: fmt.Sprintf("U%08d", i), Count: i + 1})
		}
	}
	return out, nil
}

func (busyStore) MeanTimeToAck(context.Context, time.Time, time.Time) (int, time.Duration, error) {
	return 0, 0, nil
}

func (busyStore) MeanTimeToContain(context.Context, []string, time.Time, time.Time) (int, time.Duration, error) {
	return 300, 42 * time.Minute, nil
}

func (busyStore) FindingsWithOutcome(context.Context, string, time.Time, time.Time) (int, error) {
	return 2500, nil
}

// Block Kit limits, as in notes/slack.md 2.4. aggregate is where Slack was
// seen refusing a message (about 13k characters of block text); the
// digest must stay well below it.
const (
	maxBlocks      = 50
	maxSectionText = 3000
	maxFields      = 10
	maxFieldText   = 2000
	maxHeaderText  = 150
	maxContext     = 10
	maxAggregate   = 12_000
)

// checkSlackLimits renders m and checks every limit; it returns all the
// block text.
func checkSlackLimits(t *testing.T, m bot.Message) string {
	t.Helper()
	blocks, fallback := slack.Render(m)
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks, limit %d", len(blocks), maxBlocks)
	}
	var all []string
	n := utf8.RuneCountInString
	check := func(what, s string, limit int) {
		if n(s) > limit {
			t.Errorf("%s has %d characters, limit %d", what, n(s), limit)
		}
		all = append(all, s)
	}
	for _, b := range blocks {
		switch b := b.(type) {
		case *goslack.HeaderBlock:
			check("header", b.Text.Text, maxHeaderText)
		case *goslack.SectionBlock:
			if b.Text != nil {
				check("section", b.Text.Text, maxSectionText)
			}
			if len(b.Fields) > maxFields {
				t.Errorf("%d fields, limit %d", len(b.Fields), maxFields)
			}
			for _, f := range b.Fields {
				check("field", f.Text, maxFieldText)
			}
		case *goslack.ContextBlock:
			if len(b.ContextElements.Elements) > maxContext {
				t.Errorf("%d context elements", len(b.ContextElements.Elements))
			}
			for _, e := range b.ContextElements.Elements {
				if o, ok := e.(*goslack.TextBlockObject); ok {
					check("context", o.Text, maxFieldText)
				}
			}
		}
	}
	text := strings.Join(all, "\n")
	if n(text) > maxAggregate {
		t.Errorf("%d characters of block text, want under %d", n(text), maxAggregate)
	}
	if strings.Contains(text, "truncated") {
		t.Errorf("the renderer had to cut the digest; the digest should have summed up instead:\n%s", text)
	}
	if strings.Contains(text, "<!channel>") || strings.Contains(fallback, "<!channel>") {
		t.Errorf("hostile text reached Slack unescaped")
	}
	return text
}

func TestDigestOfABusyDayFitsSlack(t *testing.T) {
	to := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	start := time.Now()
	d, err := digest.ComputeDigest(context.Background(), busyStore{}, to.Add(-24*time.Hour), to, digest.Limits{Top: 10, Unacknowledged: 10})
	if err != nil {
		t.Fatal(err)
	}
	text := checkSlackLimits(t, digest.Message(d, strings.Repeat("daily ", 40), time.UTC))
	for _, want := range []string{
		"10000 findings",
		"more in", "other categories", "other projects", // the rest, summed up
		"…and ", // unacknowledged findings beyond the list
		"2500 silenced",
		"and 297 more", // people beyond the first three
	} {
		if !strings.Contains(text, want) {
			t.Errorf("busy digest lacks %q:\n%s", want, text)
		}
	}
	t.Logf("busy digest: %d characters of block text, built in %s", utf8.RuneCountInString(text), time.Since(start))
}

// TestDigestMessageFitsSlackForAnyInput feeds the renderer a digest far
// beyond what a store returns: ten thousand listed categories, projects
// and open findings, all hostile.
func TestDigestMessageFitsSlackForAnyInput(t *testing.T) {
	var d digest.Digest
	d.Total, d.Previous = busyTotal, 1
	d.Categories = busyGroups("category", 1, busyTotal, busyTotal)
	d.Projects = busyGroups("project", 1, busyTotal, busyTotal)
	d.Severities = []digest.Count{{Key: "LOW", Count: 1}, {Key: "nonsense", Count: 2}}
	d.Daily = make([]int, 400)
	d.Unacknowledged, d.UnacknowledgedTotal, _ = busyStore{}.UnacknowledgedFindings(context.Background(), time.Time{}, time.Time{}, busyTotal)
	for i := range 20 {
		d.Actions = append(d.Actions, digest.Action{Kind: fmt.Sprint(hostile, i), Count: i,
			RequestedBy: []digest.Person{{User: strings.Repeat(hostile, 30), Count: 1}}})
	}
	text := checkSlackLimits(t, digest.Message(d, hostile, time.UTC))
	if !strings.Contains(text, "more in") || !strings.Contains(text, "…and ") {
		t.Errorf("the lists were not summed up:\n%s", text)
	}
}
