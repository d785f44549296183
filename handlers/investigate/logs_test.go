package investigate

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

type fakeSearcher struct {
	mu      sync.Mutex
	queries []bot.LogQuery
	answer  func(q bot.LogQuery) (bot.LogResult, error)
}

func (s *fakeSearcher) Search(_ context.Context, q bot.LogQuery) (bot.LogResult, error) {
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
	return s.answer(q)
}

func TestLogsTaskRunsEveryQueryInTheWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 15, 30, 0, time.UTC)
	f := handlerstest.TestFinding("logs", t0)
	queries := func(f bot.Finding, start, end time.Time, limit int) ([]bot.LogQuery, []string) {
		return []bot.LogQuery{
			{Title: "Container logs", Project: "demo-prod", Filter: `resource.type="k8s_container"`, Start: start, End: end, Limit: limit},
			{Title: "Audit", Project: "demo-prod", Filter: `resource.type="k8s_cluster"`, Start: start, End: end, Limit: limit},
		}, []string{"Node logs: the finding has no node name"}
	}
	s := &fakeSearcher{answer: func(q bot.LogQuery) (bot.LogResult, error) {
		if q.Title == "Audit" {
			return bot.LogResult{}, bot.Errorf(bot.EPermission, "sccbot cannot read logs in project demo-prod: grant roles/logging.viewer")
		}
		return bot.LogResult{Query: q, More: true, ExplorerURL: "https://console.cloud.google.com/logs/query;query=x",
			Entries: []bot.LogEntry{{Time: t0, Severity: "ERROR", Summary: "gcc -o /tmp/x\n<!channel>"}}}, nil
	}}
	m, err := LogsTask(s, queries, time.Hour, 7)(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range s.queries {
		if !q.Start.Equal(t0.Add(-time.Hour)) || !q.End.Equal(t0.Add(time.Hour)) || q.Limit != 7 {
			t.Errorf("query %q window %v..%v limit %d, want ±1h and 7", q.Title, q.Start, q.End, q.Limit)
		}
	}
	text := handlerstest.Flatten(m)
	for _, w := range []string{
		"Container logs — 1 entry, more in the Logs Explorer",
		"Open in Logs Explorer <https://console.cloud.google.com/logs/query;query=x>",
		"11-20 10:15:30 ERROR    gcc -o /tmp/x <!channel>",
		"Audit — ⚠️ sccbot cannot read logs in project demo-prod: grant roles/logging.viewer",
		"Skipped: Node logs: the finding has no node name.",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("answer lacks %q\n%s", w, text)
		}
	}
}

func TestLogsTaskWithoutQueries(t *testing.T) {
	queries := func(bot.Finding, time.Time, time.Time, int) ([]bot.LogQuery, []string) {
		return nil, []string{"this playbook has no log queries for Other findings"}
	}
	m, _ := LogsTask(&fakeSearcher{}, queries, time.Hour, 5)(context.Background(), handlerstest.TestFinding("x", time.Now()))
	if text := handlerstest.Flatten(m); !strings.Contains(text, "no log query") || !strings.Contains(text, "Other findings") {
		t.Errorf("answer = %q", text)
	}
}
