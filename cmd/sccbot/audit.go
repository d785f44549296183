package main

import (
	"bufio"
	"context"
	"encoding/json"
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
func cmdAudit(ctx context.Context, args []string, now time.Time, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sccbot audit --config FILE [--since 24h|7d|TIME]", stderr)
	path := fs.String("config", "", "configuration file (YAML); its store section is read")
	sinceFlag := fs.String("since", "", "only events at or after this: a duration back from now (24h, 7d) or an RFC 3339 time")
	if err := parseFlags(fs, args); err != nil {
		return err
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
	db, err := openAuditStore(ctx, cfg.Store, readEnv(getenv))
	if err != nil {
		return fmt.Errorf("open store (the store section of %s): %w", *path, err)
	}
	defer db.Close() //nolint:errcheck // only read: the export reports its own faults
	return exportAudit(ctx, db, since, stdout)
}

// openAuditStore opens the store for reading the audit log. A SQLite store
// is opened read-only: the export never creates one (a wrong path is an
// error, not an empty log) nor migrates or locks the bot's.
func openAuditStore(ctx context.Context, s config.Store, e env) (interface {
	auditLog
	Close() error
}, error) {
	if s.Driver == config.StorePostgres {
		return openStore(ctx, s, e)
	}
	return sqlite.OpenReadOnly(ctx, s.Path)
}

// auditLog is the store's audit log, read oldest first.
type auditLog interface {
	Audit(ctx context.Context, since time.Time, fn func(bot.AuditEvent) error) error
}

func exportAudit(ctx context.Context, db auditLog, since time.Time, stdout io.Writer) error {
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
