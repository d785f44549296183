package cloudlogging

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/cloud/audit"
	ltype "google.golang.org/genproto/googleapis/logging/type"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sccbot/sccbot/bot"
)

const auditTypeURL = "type.googleapis.com/google.cloud.audit.AuditLog"

func text(s string) *loggingpb.LogEntry {
	return &loggingpb.LogEntry{Payload: &loggingpb.LogEntry_TextPayload{TextPayload: s}}
}

func jsonEntry(t testing.TB, fields map[string]any) *loggingpb.LogEntry {
	t.Helper()
	s, err := structpb.NewStruct(fields)
	if err != nil {
		t.Fatal(err)
	}
	return &loggingpb.LogEntry{Payload: &loggingpb.LogEntry_JsonPayload{JsonPayload: s}}
}

func protoEntry(t testing.TB, m proto.Message) *loggingpb.LogEntry {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return &loggingpb.LogEntry{Payload: &loggingpb.LogEntry_ProtoPayload{ProtoPayload: a}}
}

func rawAny(typeURL string, value []byte) *loggingpb.LogEntry {
	return &loggingpb.LogEntry{Payload: &loggingpb.LogEntry_ProtoPayload{
		ProtoPayload: &anypb.Any{TypeUrl: typeURL, Value: value}}}
}

func execAudit(principal string, st *rpcstatus.Status) *audit.AuditLog {
	return &audit.AuditLog{
		ServiceName:        "k8s.io",
		MethodName:         "io.k8s.core.v1.pods.exec.create",
		ResourceName:       "core/v1/namespaces/payments/pods/checkout-7d9f8b6c5-x2x9q/exec",
		AuthenticationInfo: &audit.AuthenticationInfo{PrincipalEmail: principal},
		Status:             st,
	}
}

func withHTTP(e *loggingpb.LogEntry, method string, status int32, url string) *loggingpb.LogEntry {
	e.HttpRequest = &ltype.HttpRequest{RequestMethod: method, Status: status, RequestUrl: url}
	return e
}

// TestSummaries stores one entry of each payload kind in the fake and
// reads it back through Search and the real client, so the payloads
// cross the wire as they would from Cloud Logging.
func TestSummaries(t *testing.T) {
	long := strings.Repeat("é", 600)
	cases := []struct {
		name  string
		entry *loggingpb.LogEntry
		want  string
	}{
		{"text", text("+ gcc -O2 -static -o kworkerd kworkerd.c\n"), "+ gcc -O2 -static -o kworkerd kworkerd.c\n"},
		{"json message", jsonEntry(t, map[string]any{"message": "charge accepted", "msg": "no", "level": "info"}), "charge accepted"},
		{"json msg", jsonEntry(t, map[string]any{"msg": "listening", "log": "no"}), "listening"},
		{"json log", jsonEntry(t, map[string]any{"log": "docker line", "stream": "stderr"}), "docker line"},
		{"json textPayload", jsonEntry(t, map[string]any{"textPayload": "wrapped"}), "wrapped"},
		{"json error", jsonEntry(t, map[string]any{"error": "dial tcp 10.8.0.5:5432: connection refused", "component": "db"}),
			"dial tcp 10.8.0.5:5432: connection refused"},
		{"json message not a string", jsonEntry(t, map[string]any{"message": 42.0, "msg": "fallback"}), "fallback"},
		{"json without message", jsonEntry(t, map[string]any{"event": "healthcheck", "status": "ok", "n": 3.0,
			"nested": map[string]any{"a": []any{1.0, "<b>&"}}}),
			`{"event":"healthcheck","n":3,"nested":{"a":[1,"<b>&"]},"status":"ok"}`},
		{"audit ok", protoEntry(t, execAudit("eve@example.com", nil)),
			"io.k8s.core.v1.pods.exec.create core/v1/namespaces/payments/pods/checkout-7d9f8b6c5-x2x9q/exec by eve@example.com → OK"},
		{"audit denied", protoEntry(t, execAudit("eve@example.com", &rpcstatus.Status{Code: 7, Message: "pods is forbidden"})),
			"io.k8s.core.v1.pods.exec.create core/v1/namespaces/payments/pods/checkout-7d9f8b6c5-x2x9q/exec by eve@example.com → PERMISSION_DENIED: pods is forbidden"},
		{"audit code only", protoEntry(t, execAudit("eve@example.com", &rpcstatus.Status{Code: 5})),
			"io.k8s.core.v1.pods.exec.create core/v1/namespaces/payments/pods/checkout-7d9f8b6c5-x2x9q/exec by eve@example.com → NOT_FOUND"},
		{"audit no principal", protoEntry(t, execAudit("", nil)),
			"io.k8s.core.v1.pods.exec.create core/v1/namespaces/payments/pods/checkout-7d9f8b6c5-x2x9q/exec by an unknown principal → OK"},
		{"known other proto", protoEntry(t, &ltype.HttpRequest{RequestMethod: "GET", Status: 200}),
			`type.googleapis.com/google.logging.type.HttpRequest {"requestMethod":"GET","status":200}`},
		{"unknown proto", rawAny("type.googleapis.com/google.appengine.logging.v1.RequestLog", []byte{0x0a, 0x01, 'x'}),
			"type.googleapis.com/google.appengine.logging.v1.RequestLog"},
		{"corrupt audit", rawAny(auditTypeURL, []byte{0xff, 0xff}), auditTypeURL},
		{"request only", withHTTP(&loggingpb.LogEntry{}, "GET", 200, "https://checkout-api-7qk3xg5zla-ew.a.run.app/api/cart"),
			"GET 200 https://checkout-api-7qk3xg5zla-ew.a.run.app/api/cart"},
		{"request and text", withHTTP(text("boom"), "POST", 500, "https://x.run.app/render"), "POST 500 https://x.run.app/render boom"},
		{"request and json", withHTTP(jsonEntry(t, map[string]any{"message": "slow"}), "GET", 0, "/a"), "GET /a slow"},
		{"no payload", &loggingpb.LogEntry{}, ""},
		{"long", text(long), strings.Repeat("é", maxSummary-1) + "…"},
	}
	e := newEnv(t, Options{})
	for i, c := range cases {
		c.entry.LogName = "projects/demo-prod/logs/cloudaudit.googleapis.com%2Factivity"
		c.entry.InsertId = strings.ReplaceAll(c.name, " ", "-")
		c.entry.Timestamp = timestamppb.New(eventTime.Add(time.Duration(i) * time.Millisecond))
		e.fake.AddEntries(c.entry)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := podQuery(5)
			q.Filter = "insertId=" + bot.QuoteFilter(c.entry.GetInsertId())
			res, err := e.client.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			want := []bot.LogEntry{{Time: eventTime.Add(time.Duration(i) * time.Millisecond), Severity: "DEFAULT",
				Summary: c.want, LogName: "projects/demo-prod/logs/cloudaudit.googleapis.com/activity", InsertID: c.entry.GetInsertId()}}
			if diff := cmp.Diff(want, res.Entries); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

// Entries the API would not send, or that a hostile writer could craft,
// convert without a panic.
func TestConvertOddEntries(t *testing.T) {
	receive := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	nan := jsonEntry(t, map[string]any{"x": 1.0})
	nan.GetJsonPayload().Fields["x"] = structpb.NewNumberValue(math.NaN())
	badUTF8 := text("abc\xff\xfe" + strings.Repeat("\xff", 600))
	cases := []struct {
		name  string
		entry *loggingpb.LogEntry
		want  bot.LogEntry
	}{
		{"nil", nil, bot.LogEntry{Severity: "DEFAULT"}},
		{"receive time only", &loggingpb.LogEntry{ReceiveTimestamp: timestamppb.New(receive)},
			bot.LogEntry{Time: receive, Severity: "DEFAULT"}},
		{"unknown severity", &loggingpb.LogEntry{Severity: 150}, bot.LogEntry{Severity: "150"}},
		{"lower-case escape", &loggingpb.LogEntry{LogName: "projects/p/logs/a%2fb"}, bot.LogEntry{Severity: "DEFAULT", LogName: "projects/p/logs/a/b"}},
		{"empty any", rawAny("", nil), bot.LogEntry{Severity: "DEFAULT"}},
		{"NaN in json", nan, bot.LogEntry{Severity: "DEFAULT"}},
		{"empty json", jsonEntry(t, nil), bot.LogEntry{Severity: "DEFAULT", Summary: "{}"}},
		{"nil proto payload", &loggingpb.LogEntry{Payload: &loggingpb.LogEntry_ProtoPayload{}}, bot.LogEntry{Severity: "DEFAULT"}},
		{"nil json payload", &loggingpb.LogEntry{Payload: &loggingpb.LogEntry_JsonPayload{}}, bot.LogEntry{Severity: "DEFAULT", Summary: "{}"}},
		{"request without fields", withHTTP(&loggingpb.LogEntry{}, "", 0, ""), bot.LogEntry{Severity: "DEFAULT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, convertEntry(c.entry)); diff != "" {
				t.Errorf("entry (-want +got):\n%s", diff)
			}
		})
	}
	if got := convertEntry(badUTF8).Summary; utf8.RuneCountInString(got) != maxSummary {
		t.Errorf("invalid UTF-8 summary has %d runes, want %d", utf8.RuneCountInString(got), maxSummary)
	}
}

func TestCutRunes(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"ééé", 3, "ééé"},
		{"éééé", 3, "éé…"},
		{"日本語テキスト", 4, "日本語…"},
	}
	for _, c := range cases {
		if got := cutRunes(c.s, c.n); got != c.want {
			t.Errorf("cutRunes(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}
