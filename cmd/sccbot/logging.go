package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// newLogger returns the process logger: JSON lines on w with the field
// names Cloud Logging understands (severity, message, time), or text.
// Every line has each key once (see uniqueKeys).
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: cloudLoggingAttr}
	if strings.EqualFold(format, "text") {
		return slog.New(uniqueKeys{inner: slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})})
	}
	return slog.New(uniqueKeys{inner: slog.NewJSONHandler(w, opts)})
}

// findingSeverityKey is where a line's own "severity" attribute goes: the
// key "severity" is the log entry's level for Cloud Logging, and a finding's
// CRITICAL must not turn its log line into a CRITICAL entry.
const findingSeverityKey = "finding_severity"

// cloudLoggingAttr renames slog's built-in keys to Cloud Logging's.
// uniqueKeys has already moved attributes that use these names.
func cloudLoggingAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		if lvl, ok := a.Value.Any().(slog.Level); ok {
			return slog.String("severity", severity(lvl))
		}
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
}

// severity maps a slog level to one of Cloud Logging's LogSeverity names.
func severity(lvl slog.Level) string {
	switch {
	case lvl >= slog.LevelError:
		return "ERROR"
	case lvl >= slog.LevelWarn:
		return "WARNING"
	case lvl >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}

// uniqueKeys is a slog.Handler that writes each top-level key once per
// line. slog's own handlers repeat a key given twice (by With and by the
// call, say), and JSON readers disagree about which one counts; here the
// first keeps its name and a later one is suffixed (source_2), so nothing
// is dropped either.
type uniqueKeys struct {
	inner slog.Handler
	pre   []slog.Attr // attributes from WithAttrs, not yet passed down
}

func (u uniqueKeys) Enabled(ctx context.Context, l slog.Level) bool { return u.inner.Enabled(ctx, l) }

func (u uniqueKeys) WithAttrs(as []slog.Attr) slog.Handler {
	return uniqueKeys{inner: u.inner, pre: append(u.pre[:len(u.pre):len(u.pre)], as...)}
}

// WithGroup passes the attributes so far down: keys inside a group are
// the group's own.
func (u uniqueKeys) WithGroup(name string) slog.Handler {
	return uniqueKeys{inner: u.inner.WithAttrs(dedupe(u.pre)).WithGroup(name)}
}

func (u uniqueKeys) Handle(ctx context.Context, r slog.Record) error {
	attrs := make([]slog.Attr, 0, len(u.pre)+r.NumAttrs())
	attrs = append(attrs, u.pre...)
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a); return true })
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(dedupe(attrs)...)
	return u.inner.Handle(ctx, out)
}

// dedupe renames repeated keys, and keys the handler writes itself (time,
// severity, message and slog's level and msg) when an attribute uses them:
// "severity" becomes finding_severity, anything else gets a suffix.
func dedupe(attrs []slog.Attr) []slog.Attr {
	seen := map[string]bool{"time": true, "level": true, "msg": true, "severity": true, "message": true}
	out := make([]slog.Attr, 0, len(attrs))
	for _, a := range attrs {
		base := a.Key
		if base == "severity" {
			base = findingSeverityKey
		}
		key := base
		for n := 2; seen[key]; n++ {
			key = base + "_" + strconv.Itoa(n)
		}
		seen[key] = true
		a.Key = key
		out = append(out, a)
	}
	return out
}
