package loggingfake_test

import (
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/api/monitoredres"
	"google.golang.org/genproto/googleapis/cloud/audit"
	ltype "google.golang.org/genproto/googleapis/logging/type"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
)

func r(op, value string, path ...string) loggingfake.Restriction {
	return loggingfake.Restriction{Path: path, Op: op, Value: value}
}

func TestParseFilterAccepts(t *testing.T) {
	cases := []struct {
		name, filter string
		want         []loggingfake.Restriction
	}{
		{"empty", " \n\t", []loggingfake.Restriction{}},
		{"one", `resource.type="k8s_container"`, []loggingfake.Restriction{r("=", "k8s_container", "resource", "type")}},
		{"spaces around the operator", `resource.type = "k8s_container"`,
			[]loggingfake.Restriction{r("=", "k8s_container", "resource", "type")}},
		{"bare value", `severity>=WARNING`, []loggingfake.Restriction{r(">=", "WARNING", "severity")}},
		{"newlines are AND", "logName=\"a\"\ninsertId=\"b\"\r\ntextPayload:\"c\"", []loggingfake.Restriction{
			r("=", "a", "logName"), r("=", "b", "insertId"), r(":", "c", "textPayload")}},
		{"AND and juxtaposition", `logName="a" AND insertId="b" textPayload!="c"`, []loggingfake.Restriction{
			r("=", "a", "logName"), r("=", "b", "insertId"), r("!=", "c", "textPayload")}},
		{"quoted key", `labels."compute.googleapis.com/resource_name"="gke-n"`, []loggingfake.Restriction{
			r("=", "gke-n", "labels", "compute.googleapis.com/resource_name")}},
		{"escapes", `resource.labels.pod_name="a\"b\\c"`, []loggingfake.Restriction{
			r("=", `a"b\c`, "resource", "labels", "pod_name")}},
		{"operators in a value", `textPayload:"a=b AND c OR (d)"`, []loggingfake.Restriction{
			r(":", "a=b AND c OR (d)", "textPayload")}},
		{"timestamps", `timestamp>="2026-11-20T10:00:00Z" timestamp<"2026-11-20T11:00:00.5Z"`, []loggingfake.Restriction{
			r(">=", "2026-11-20T10:00:00Z", "timestamp"), r("<", "2026-11-20T11:00:00.5Z", "timestamp")}},
		{"nested json", `jsonPayload.req.method="GET"`, []loggingfake.Restriction{r("=", "GET", "jsonPayload", "req", "method")}},
		{"audit fields", `protoPayload.methodName="m" protoPayload.authenticationInfo.principalEmail:"@example.com"`,
			[]loggingfake.Restriction{r("=", "m", "protoPayload", "methodName"),
				r(":", "@example.com", "protoPayload", "authenticationInfo", "principalEmail")}},
		{"http status", `httpRequest.status>=500`, []loggingfake.Restriction{r(">=", "500", "httpRequest", "status")}},
		{"numeric severity", `severity<400`, []loggingfake.Restriction{r("<", "400", "severity")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := loggingfake.ParseFilter(c.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, f.Restrictions()); diff != "" {
				t.Errorf("restrictions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFilterRejects(t *testing.T) {
	cases := map[string]string{
		"OR":                    `resource.type="a" OR resource.type="b"`,
		"NOT":                   `NOT severity=ERROR`,
		"minus":                 `-severity=ERROR`,
		"comment":               `-- a comment`,
		"parentheses":           `(resource.type="a")`,
		"regexp":                `resource.type=~"k8s.*"`,
		"negated regexp":        `resource.type!~"k8s.*"`,
		"global text search":    `"gcc"`,
		"bare word":             `gcc`,
		"unterminated string":   `resource.type="k8s_container`,
		"trailing escape":       `resource.type="a\`,
		"unknown field":         `resource.label.pod_name="x"`,
		"unknown top field":     `podName="x"`,
		"ordering a string":     `resource.type>"a"`,
		"bad time":              `timestamp>="yesterday"`,
		"has on a time":         `timestamp:"2026"`,
		"bad severity":          `severity>=LOUD`,
		"bad status":            `httpRequest.status=ok`,
		"leading AND":           `AND resource.type="a"`,
		"trailing AND":          `resource.type="a" AND`,
		"double AND":            `resource.type="a" AND AND logName="b"`,
		"no separator":          `resource.type="a"logName="b"`,
		"no value":              `resource.type=`,
		"keyword as value":      `resource.type= AND logName="b"`,
		"newline before value":  "resource.type=\n\"a\"",
		"empty key":             `labels.="x"`,
		"labels without a key":  `labels="x"`,
		"resource labels depth": `resource.labels.a.b="x"`,
	}
	for name, filter := range cases {
		t.Run(name, func(t *testing.T) {
			if f, err := loggingfake.ParseFilter(filter); err == nil {
				t.Errorf("ParseFilter(%q) = %v, want an error", filter, f.Restrictions())
			}
		})
	}
}

// A value quoted with bot.QuoteFilter is one restriction whatever it
// holds, and the fake reads back the value that QuoteFilter meant.
func TestParseFilterQuotedHostileValue(t *testing.T) {
	hostile := "x\" OR resource.type=\"gce_instance\" \\\" AND\nlogName:\"\\"
	f, err := loggingfake.ParseFilter("resource.labels.pod_name=" + bot.QuoteFilter(hostile) + "\nseverity>=DEFAULT")
	if err != nil {
		t.Fatal(err)
	}
	want := []loggingfake.Restriction{
		r("=", strings.ReplaceAll(hostile, "\n", ""), "resource", "labels", "pod_name"),
		r(">=", "DEFAULT", "severity"),
	}
	if diff := cmp.Diff(want, f.Restrictions()); diff != "" {
		t.Errorf("restrictions (-want +got):\n%s", diff)
	}
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func auditAny(t *testing.T, method, principal string) *anypb.Any {
	t.Helper()
	a, err := anypb.New(&audit.AuditLog{MethodName: method, ResourceName: "core/v1/namespaces/ns/pods/p",
		AuthenticationInfo: &audit.AuthenticationInfo{PrincipalEmail: principal}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestFilterMatch(t *testing.T) {
	payload, err := structpb.NewStruct(map[string]any{"msg": "Charge Accepted", "req": map[string]any{"status": 402.0}, "ok": true})
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]*loggingpb.LogEntry{
		"container": {LogName: "projects/p/logs/stdout", InsertId: "c", Timestamp: timestamppb.New(t0),
			Severity: ltype.LogSeverity_WARNING, Labels: map[string]string{"k8s-pod/app": "checkout"},
			Resource: &monitoredres.MonitoredResource{Type: "k8s_container", Labels: map[string]string{"pod_name": "p"}},
			Payload:  &loggingpb.LogEntry_JsonPayload{JsonPayload: payload}},
		"audit": {LogName: "projects/p/logs/cloudaudit.googleapis.com%2Factivity", InsertId: "a",
			Timestamp: timestamppb.New(t0.Add(time.Minute)), Severity: ltype.LogSeverity_NOTICE,
			Payload: &loggingpb.LogEntry_ProtoPayload{ProtoPayload: auditAny(t, "io.k8s.core.v1.pods.exec.create", "eve@example.com")}},
		"request": {LogName: "projects/p/logs/run.googleapis.com%2Frequests", InsertId: "r",
			Timestamp: timestamppb.New(t0.Add(2 * time.Minute)), Severity: ltype.LogSeverity_ERROR,
			HttpRequest: &ltype.HttpRequest{RequestMethod: "POST", Status: 500, RequestUrl: "https://x.run.app/a"},
			Payload:     &loggingpb.LogEntry_TextPayload{TextPayload: "boom"}},
		"bare": {LogName: "projects/p/logs/x", InsertId: "b"},
	}
	cases := []struct {
		filter string
		want   []string
	}{
		{``, []string{"a", "b", "c", "r"}},
		{`severity>=WARNING`, []string{"c", "r"}},
		{`severity=notice`, []string{"a"}},
		{`severity<=DEFAULT`, []string{"b"}},
		{`timestamp>="2026-11-20T10:01:00Z" timestamp<="2026-11-20T10:02:00Z"`, []string{"a", "r"}},
		{`timestamp>"2026-11-20T10:00:00Z"`, []string{"a", "r"}},
		{`timestamp="2026-11-20T10:00:00Z"`, []string{"c"}},
		{`resource.type="k8s_container" resource.labels.pod_name="p"`, []string{"c"}},
		{`resource.labels.pod_name!="p"`, []string{"a", "b", "r"}},
		{`labels."k8s-pod/app"="checkout"`, []string{"c"}},
		{`jsonPayload.msg:"charge accepted"`, []string{"c"}},
		{`jsonPayload.msg="charge accepted"`, nil},
		{`jsonPayload.req.status=402`, []string{"c"}},
		{`jsonPayload.ok=true`, []string{"c"}},
		{`protoPayload.methodName="io.k8s.core.v1.pods.exec.create"`, []string{"a"}},
		{`protoPayload.authenticationInfo.principalEmail:"EXAMPLE.COM"`, []string{"a"}},
		{`protoPayload.resourceName:"pods/p"`, []string{"a"}},
		{`protoPayload.@type="type.googleapis.com/google.cloud.audit.AuditLog"`, []string{"a"}},
		{`logName="projects/p/logs/cloudaudit.googleapis.com%2Factivity"`, []string{"a"}},
		{`httpRequest.status>=500 httpRequest.requestMethod="POST"`, []string{"r"}},
		{`textPayload:"BOOM"`, []string{"r"}},
		{`textPayload!="boom"`, []string{"a", "b", "c"}},
		{`insertId="b"`, []string{"b"}},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			f, err := loggingfake.ParseFilter(c.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, id := range []string{"audit", "bare", "container", "request"} {
				if e := entries[id]; f.Match(e) {
					got = append(got, e.GetInsertId())
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
		})
	}
}
