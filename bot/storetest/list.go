package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// ListStore is what RunList tests: `/finding list` and the status the
// intake compares a notification with.
type ListStore interface {
	PutFinding(ctx context.Context, f bot.Finding) error
	ListFindings(ctx context.Context, q bot.FindingQuery) ([]bot.Finding, int, error)
	FindingStatus(ctx context.Context, name string) (bot.FindingStatus, bool, error)
}

// ListOpenFunc opens an empty store whose clock is now.
type ListOpenFunc = func(t *testing.T, now func() time.Time) ListStore

// RunList runs the listing and status tests.
func RunList(t *testing.T, open ListOpenFunc) {
	t.Run("ListFindings", func(t *testing.T) { testListFindings(t, open) })
	t.Run("FindingStatus", func(t *testing.T) { testFindingStatus(t, open) })
}

func testListFindings(t *testing.T, open ListOpenFunc) {
	base := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	clock := base
	s := open(t, func() time.Time { return clock })
	ctx := context.Background()
	put := func(id string, at time.Duration, sev bot.Severity, category, project string, product bot.Product, state string) {
		clock = base.Add(at)
		f := bot.Finding{Name: "organizations/1/sources/2/locations/global/findings/" + id, Category: category,
			Severity: sev, State: state, EventTime: base, Target: bot.Target{Project: project, Product: product}}
		if err := s.PutFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	put("a", 0, bot.SeverityLow, "Execution: X", "p1", bot.ProductGKE, "ACTIVE")
	put("b", time.Hour, bot.SeverityHigh, "Execution: X", "p2", bot.ProductCloudRun, "ACTIVE")
	put("c", 2*time.Hour, bot.SeverityCritical, "Defense Evasion: Y", "p1", bot.ProductGKE, "INACTIVE")
	put("d", 3*time.Hour, bot.SeverityMedium, "Execution: X' OR 1=1 --", "p1", bot.ProductGKE, "ACTIVE")
	cases := []struct {
		name  string
		q     bot.FindingQuery
		want  []string
		total int
	}{
		{"everything, newest first", bot.FindingQuery{Limit: 10}, []string{"d", "c", "b", "a"}, 4},
		{"limit keeps the total", bot.FindingQuery{Limit: 2}, []string{"d", "c"}, 4},
		{"min severity", bot.FindingQuery{MinSeverity: bot.SeverityHigh, Limit: 10}, []string{"c", "b"}, 2},
		{"severities", bot.FindingQuery{Severities: []bot.Severity{bot.SeverityLow, bot.SeverityMedium}, Limit: 10}, []string{"d", "a"}, 2},
		{"category and project", bot.FindingQuery{Categories: []string{"Execution: X"}, Projects: []string{"p1"}, Limit: 10}, []string{"a"}, 1},
		{"product", bot.FindingQuery{Products: []bot.Product{bot.ProductCloudRun}, Limit: 10}, []string{"b"}, 1},
		{"state", bot.FindingQuery{States: []string{"INACTIVE"}, Limit: 10}, []string{"c"}, 1},
		{"since", bot.FindingQuery{Since: base.Add(90 * time.Minute), Limit: 10}, []string{"d", "c"}, 2},
		{"hostile value is a value", bot.FindingQuery{Categories: []string{"Execution: X' OR 1=1 --"}, Limit: 10}, []string{"d"}, 1},
		{"nothing", bot.FindingQuery{Projects: []string{"p9"}, Limit: 10}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, total, err := s.ListFindings(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.ShortID())
			}
			if !slices.Equal(got, c.want) || total != c.total {
				t.Errorf("got %v (total %d), want %v (total %d)", got, total, c.want, c.total)
			}
		})
	}
}

func testFindingStatus(t *testing.T, open ListOpenFunc) {
	s := open(t, time.Now)
	ctx := context.Background()
	f := bot.Finding{Name: "organizations/1/sources/2/locations/global/findings/st", Category: "c", Severity: bot.SeverityHigh,
		State: "ACTIVE", Mute: "MUTED", EventTime: time.Date(2026, 11, 20, 8, 0, 0, 123, time.UTC)}
	if _, ok, err := s.FindingStatus(ctx, f.Name); ok || err != nil {
		t.Fatalf("status of an unknown finding: %v, %v", ok, err)
	}
	if err := s.PutFinding(ctx, f); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.FindingStatus(ctx, f.Name)
	if err != nil || !ok || got != f.Status() {
		t.Errorf("FindingStatus = %+v, %v, %v; want %+v", got, ok, err, f.Status())
	}
}
