package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/config"
)

// auditLine is one exported audit event. The field names are a stable
// interface for whatever ingests the export (a SIEM, BigQuery, jq).
type auditLine struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Event   string    `json:"event"`
	Request string    `json:"request,omitempty"`
	Finding string    `json:"finding,omitempty"`
	Action  string    `json:"action,omitempty"`
	Actor   string    `json:"actor"`
	Detail  string    `json:"detail,omitempty"`
}

// cmdAudit is `sccbot audit --config FILE [--since D]`: it writes the audit
// log to stdout as JSON lines, oldest first. It reads the store the running
// bot writes; SQLite's write-ahead log lets both work at once.
func cmdAudit(ctx context.Context, args []string, now time.Time, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (YAML); its store.path is read")
	sinceFlag := fs.String("since", "", "only events at or after this: a duration back from now (24h, 7d) or an RFC 3339 time")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *path == "" {
		return usageError{fmt.Errorf("audit needs --config FILE")}
	}
	since, err := parseSince(*sinceFlag, now)
	if err != nil {
		return usageError{err}
	}
	cfg, err := config.LoadFile(*path)
	if err != nil {
		return usageError{err}
	}
	db, err := sqlite.Open(ctx, cfg.Store.Path)
	if err != nil {
		return fmt.Errorf("open store %s: %w", cfg.Store.Path, err)
	}
	defer db.Close() //nolint:errcheck // only read: the export reports its own faults
	return exportAudit(ctx, db, since, stdout)
}

func exportAudit(ctx context.Context, db *sqlite.DB, since time.Time, stdout io.Writer) error {
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	err := db.Audit(ctx, since, func(ev bot.AuditEvent) error {
		return enc.Encode(auditLine{ID: ev.ID, At: ev.At.UTC(), Event: ev.Event, Request: ev.Request,
			Finding: ev.Finding, Action: ev.Action, Actor: ev.Actor, Detail: ev.Detail})
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

// parseSince reads --since: empty for everything, a duration (with d for
// days) counted back from now, or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := sinceDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("--since %q is neither a duration such as 24h or 7d nor an RFC 3339 time", s)
	}
	return now.Add(-d), nil
}

// sinceDuration is time.ParseDuration plus whole days ("7d"): audits are
// usually asked for by the day.
func sinceDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err
	}
	return time.ParseDuration(s)
}
