package cloudlogging

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/genproto/googleapis/cloud/audit" // registers AuditLog, so anypb can unmarshal it
	ltype "google.golang.org/genproto/googleapis/logging/type"
	"google.golang.org/genproto/googleapis/rpc/code"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sccbot/sccbot/bot"
)

// maxSummary bounds a summary, in runes. A chat message shows a few
// entries; the Logs Explorer link shows them whole.
const maxSummary = 500

// convertEntry reduces an entry to what a responder reads. It accepts any
// entry the API returns, however odd, without failing.
func convertEntry(e *loggingpb.LogEntry) bot.LogEntry {
	return bot.LogEntry{
		Time:     entryTime(e),
		Severity: e.GetSeverity().String(),
		Summary:  cutRunes(summary(e), maxSummary),
		LogName:  strings.ReplaceAll(strings.ReplaceAll(e.GetLogName(), "%2F", "/"), "%2f", "/"),
		InsertID: e.GetInsertId(),
	}
}

// entryTime is when the event happened, or when Logging received it for
// the entries that carry no timestamp of their own.
func entryTime(e *loggingpb.LogEntry) time.Time {
	switch {
	case e.GetTimestamp() != nil:
		return e.GetTimestamp().AsTime().UTC()
	case e.GetReceiveTimestamp() != nil:
		return e.GetReceiveTimestamp().AsTime().UTC()
	}
	return time.Time{}
}

// summary is the payload's useful part, after the request line for
// entries that record an HTTP request.
func summary(e *loggingpb.LogEntry) string {
	body := payloadSummary(e)
	r := e.GetHttpRequest()
	if r == nil {
		return body
	}
	return joinNonEmpty(httpSummary(r), body)
}

func payloadSummary(e *loggingpb.LogEntry) string {
	switch p := e.GetPayload().(type) {
	case *loggingpb.LogEntry_TextPayload:
		return p.TextPayload
	case *loggingpb.LogEntry_JsonPayload:
		return jsonSummary(p.JsonPayload)
	case *loggingpb.LogEntry_ProtoPayload:
		return protoSummary(p.ProtoPayload)
	}
	return ""
}

func httpSummary(r *ltype.HttpRequest) string {
	var status string
	if r.GetStatus() != 0 {
		status = strconv.Itoa(int(r.GetStatus()))
	}
	return joinNonEmpty(r.GetRequestMethod(), status, r.GetRequestUrl())
}

// jsonSummary is the logged message when the payload has one, else the
// whole payload as compact JSON.
func jsonSummary(s *structpb.Struct) string {
	// The fields that hold the line a program logged, in order of
	// preference: Cloud Logging's own ("message"), the common Go and Node
	// loggers' ("msg"), Docker's and Fluent Bit's ("log").
	messageKeys := [...]string{"message", "msg", "log", "textPayload", "error"}
	fields := s.GetFields()
	for _, k := range messageKeys {
		if v := fields[k].GetStringValue(); v != "" {
			return v
		}
	}
	return compactJSON(s)
}

// protoSummary renders audit logs as a sentence; other types by type URL
// and, when this binary knows the type, their compact JSON.
func protoSummary(a *anypb.Any) string {
	m, err := a.UnmarshalNew()
	if err != nil {
		return a.GetTypeUrl()
	}
	if al, ok := m.(*audit.AuditLog); ok {
		return auditSummary(al)
	}
	return joinNonEmpty(a.GetTypeUrl(), compactJSON(m))
}

// auditSummary is "<method> <resource> by <principal> → <outcome>".
func auditSummary(al *audit.AuditLog) string {
	who := al.GetAuthenticationInfo().GetPrincipalEmail()
	if who == "" {
		who = al.GetAuthenticationInfo().GetPrincipalSubject()
	}
	if who == "" {
		who = "an unknown principal"
	}
	return joinNonEmpty(al.GetMethodName(), al.GetResourceName()) + " by " + who + " → " + outcome(al.GetStatus())
}

func outcome(s *rpcstatus.Status) string {
	name := code.Code(s.GetCode()).String()
	switch {
	case s.GetCode() == 0:
		return "OK"
	case s.GetMessage() == "":
		return name
	}
	return name + ": " + s.GetMessage()
}

// compactJSON marshals m with protojson, whose output is deliberately
// unstable in whitespace, and compacts it so that summaries are stable.
// It returns "" when m cannot be marshalled (NaN numbers, unknown Any types
// nested inside).
func compactJSON(m proto.Message) string {
	b, err := protojson.Marshal(m)
	if err != nil {
		return ""
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return ""
	}
	return out.String()
}

func joinNonEmpty(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

// cutRunes cuts s to at most n runes, the last of them an ellipsis when
// it was cut.
func cutRunes(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n-1 {
			return s[:i] + "…"
		}
		count++
	}
	return s
}
