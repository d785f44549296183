package investigate

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// LogSearcher runs a Cloud Logging query.
type LogSearcher interface {
	Search(ctx context.Context, q bot.LogQuery) (bot.LogResult, error)
}

// LogQueries returns the queries of a finding's playbook for its product,
// bounded to [start, end] and limit entries, and the values it lacked to
// build the others.
type LogQueries func(f bot.Finding, start, end time.Time, limit int) (qs []bot.LogQuery, missing []string)

// maxSummary bounds one log line in the answer.
const maxSummary = 300

// LogsTask answers the Logs button: every query of the finding's playbook
// for its product, run at once, each bounded to window around the event
// and to limit entries, each with a Logs Explorer link for the same query.
func LogsTask(logs LogSearcher, queries LogQueries, window time.Duration, limit int) handlers.Task {
	return func(ctx context.Context, f bot.Finding) (bot.Message, error) {
		at := f.EventTime
		if at.IsZero() {
			at = time.Now()
		}
		qs, missing := queries(f, at.Add(-window), at.Add(window), limit)
		if len(qs) == 0 {
			return noQueries(missing), nil
		}
		results, errs := runQueries(ctx, logs, qs)
		m := bot.Message{Text: "Logs around " + handlers.FormatTime(at)}
		m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.T(fmt.Sprintf(
			"Logs from %s to %s, newest first, at most %d entries per query.", handlers.FormatTime(at.Add(-window)), handlers.FormatTime(at.Add(window)), limit)))})
		for i, q := range qs {
			m.Blocks = append(m.Blocks, resultBlocks(q, results[i], errs[i])...)
		}
		if len(missing) > 0 {
			m.Blocks = append(m.Blocks, missingNote(missing))
		}
		return m, nil
	}
}

// runQueries runs the queries concurrently; a slow query does not hold up
// the others beyond the task's deadline.
func runQueries(ctx context.Context, logs LogSearcher, qs []bot.LogQuery) ([]bot.LogResult, []error) {
	results, errs := make([]bot.LogResult, len(qs)), make([]error, len(qs))
	var wg sync.WaitGroup
	for i, q := range qs {
		wg.Go(func() { results[i], errs[i] = logs.Search(ctx, q) })
	}
	wg.Wait()
	return results, errs
}

func resultBlocks(q bot.LogQuery, res bot.LogResult, err error) []bot.Block {
	head := bot.R(bot.B(q.Title))
	if err != nil {
		return []bot.Block{bot.Section{Text: append(head, bot.T(" — ⚠️ "+failureText(err)))}}
	}
	n := fmt.Sprintf(" — %d %s", len(res.Entries), bot.Plural(len(res.Entries), "entry", "entries"))
	if res.More {
		n += ", more in the Logs Explorer"
	}
	head = append(head, bot.T(n))
	if res.ExplorerURL != "" {
		head = append(head, bot.T(" · "), bot.Link("Open in Logs Explorer", res.ExplorerURL))
	}
	blocks := []bot.Block{bot.Section{Text: head}}
	if len(res.Entries) > 0 {
		blocks = append(blocks, bot.Code{Text: entryLines(res.Entries)})
	}
	return blocks
}

func entryLines(entries []bot.LogEntry) string {
	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		summary := strings.Join(strings.Fields(e.Summary), " ")
		if r := []rune(summary); len(r) > maxSummary {
			summary = string(r[:maxSummary]) + "…"
		}
		lines = append(lines, fmt.Sprintf("%s %-8s %s", handlers.InDisplayZone(e.Time).Format("01-02 15:04:05"), e.Severity, summary))
	}
	return strings.Join(lines, "\n")
}

func missingNote(missing []string) bot.Block {
	return bot.Context{Elements: []bot.Rich{bot.R(bot.I("Skipped: " + strings.Join(missing, "; ") + "."))}}
}

func noQueries(missing []string) bot.Message {
	text := "The finding's playbook has no log query sccbot can run for this finding."
	m := bot.Message{Text: text, Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T(text))}}}
	if len(missing) > 0 {
		m.Blocks = append(m.Blocks, missingNote(missing))
	}
	return m
}
