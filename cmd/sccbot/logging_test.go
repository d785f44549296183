package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// cloudSeverities are the LogSeverity names Cloud Logging accepts.
var cloudSeverities = []string{"DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"}

// checkLogLine parses one JSON log line token by token, so that a repeated
// key is seen (json.Unmarshal would keep the last one silently), and
// returns its top-level fields.
func checkLogLine(line string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %s", line)
	}
	fields := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("key %q twice in %s", key, line)
		}
		fields[key] = v
	}
	if sev, _ := fields["severity"].(string); !slices.Contains(cloudSeverities, sev) {
		return nil, fmt.Errorf("severity %q is not a Cloud Logging severity in %s", fields["severity"], line)
	}
	if _, ok := fields["message"].(string); !ok {
		return nil, fmt.Errorf("no message in %s", line)
	}
	return fields, nil
}

// checkLog checks every line of a JSON log.
func checkLog(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if _, err := checkLogLine(line); err != nil {
			t.Error(err)
		}
	}
}

func TestLogLinesHaveUniqueKeysAndCloudSeverity(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, "debug", "json").With("source", "pubsub", "component", "intake")
	log.Info("finding posted", "finding", "f1", "severity", "CRITICAL", "source", "pubsub:projects/p/subscriptions/s")
	log.Warn("odd keys", "message", "mine", "time", "t", "level", 3, "msg", "m", "severity", "LOW", "severity", "HIGH")
	log.Debug("debug line")
	log.Error("error line", "err", errors.New("boom"))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), buf.String())
	}
	var got []map[string]any
	for _, l := range lines {
		f, err := checkLogLine(l)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	posted := got[0]
	if posted["severity"] != "INFO" || posted["finding_severity"] != "CRITICAL" {
		t.Errorf("posted line: severity %v, finding_severity %v; want INFO and CRITICAL", posted["severity"], posted["finding_severity"])
	}
	if posted["source"] != "pubsub" || posted["source_2"] != "pubsub:projects/p/subscriptions/s" {
		t.Errorf("posted line keeps both sources? source=%v source_2=%v", posted["source"], posted["source_2"])
	}
	odd := got[1]
	if odd["message"] != "odd keys" || odd["severity"] != "WARNING" || odd["message_2"] != "mine" ||
		odd["finding_severity"] != "LOW" || odd["finding_severity_2"] != "HIGH" {
		t.Errorf("odd line = %v", odd)
	}
	for i, want := range []string{"INFO", "WARNING", "DEBUG", "ERROR"} {
		if got[i]["severity"] != want {
			t.Errorf("line %d severity %v, want %s", i, got[i]["severity"], want)
		}
	}
}

func TestTextLogHasUniqueKeys(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, "info", "text").With("source", "a").Info("x", "source", "b")
	if out := buf.String(); !strings.Contains(out, "source=a source_2=b") {
		t.Errorf("text line = %s", out)
	}
	newLogger(io.Discard, "info", "text").WithGroup("g").Info("x", "k", 1) // groups pass through
}
