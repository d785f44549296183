package main

import (
	"io"
	"log/slog"
	"strings"
)

// newLogger returns the process logger: JSON lines on w with the field
// names Cloud Logging understands (severity, message, time), or text.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: cloudLoggingAttr}
	if strings.EqualFold(format, "text") {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// cloudLoggingAttr renames slog's built-in keys to Cloud Logging's.
func cloudLoggingAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		return slog.String("severity", severity(a.Value.Any()))
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
}

func severity(v any) string {
	lvl, ok := v.(slog.Level)
	if !ok {
		return "DEFAULT"
	}
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
