package loggingfake

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/genproto/googleapis/cloud/audit"
	ltype "google.golang.org/genproto/googleapis/logging/type"
	"google.golang.org/protobuf/types/known/structpb"
)

// getter reads a string field of an entry; ok is false when the entry
// does not have the field.
type getter func(e *loggingpb.LogEntry) (v string, ok bool)

// compile checks the field, the operator and the value up front, so that
// a bad filter fails even when no entry would reach it.
func compile(r Restriction) (matcher, error) {
	name := strings.Join(r.Path, ".")
	switch name {
	case "timestamp", "receiveTimestamp":
		return timeMatcher(name, r)
	case "severity":
		return severityMatcher(r)
	case "httpRequest.status":
		return statusMatcher(r)
	}
	get := stringField(r.Path)
	if get == nil {
		return nil, fmt.Errorf("unsupported field %q", name)
	}
	return stringMatcher(name, get, r)
}

func stringMatcher(name string, get getter, r Restriction) (matcher, error) {
	switch r.Op {
	case "=":
		return func(e *loggingpb.LogEntry) bool { v, ok := get(e); return ok && v == r.Value }, nil
	case "!=":
		return func(e *loggingpb.LogEntry) bool { v, ok := get(e); return !ok || v != r.Value }, nil
	case ":":
		// "has": a case-insensitive substring match, as for text fields in
		// the real language.
		want := strings.ToLower(r.Value)
		return func(e *loggingpb.LogEntry) bool {
			v, ok := get(e)
			return ok && strings.Contains(strings.ToLower(v), want)
		}, nil
	}
	return nil, fmt.Errorf("operator %s is not supported on %s by loggingfake", r.Op, name)
}

func timeMatcher(name string, r Restriction) (matcher, error) {
	t, err := time.Parse(time.RFC3339Nano, r.Value)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not an RFC 3339 time", name, r.Value)
	}
	get := func(e *loggingpb.LogEntry) (time.Time, bool) {
		ts := e.GetTimestamp()
		if name == "receiveTimestamp" {
			ts = e.GetReceiveTimestamp()
		}
		return ts.AsTime(), ts != nil
	}
	cmp, err := compare(name, r.Op)
	if err != nil {
		return nil, err
	}
	return func(e *loggingpb.LogEntry) bool {
		v, ok := get(e)
		return ok && cmp(v.Compare(t))
	}, nil
}

func severityMatcher(r Restriction) (matcher, error) {
	want, ok := ltype.LogSeverity_value[strings.ToUpper(r.Value)]
	if !ok {
		n, err := strconv.Atoi(r.Value)
		if err != nil {
			return nil, fmt.Errorf("severity: unknown level %q", r.Value)
		}
		want = int32(n)
	}
	op := r.Op
	if op == ":" {
		op = "="
	}
	cmp, err := compare("severity", op)
	if err != nil {
		return nil, err
	}
	return func(e *loggingpb.LogEntry) bool {
		return cmp(compareInt(int64(e.GetSeverity()), int64(want)))
	}, nil
}

func statusMatcher(r Restriction) (matcher, error) {
	want, err := strconv.Atoi(r.Value)
	if err != nil {
		return nil, fmt.Errorf("httpRequest.status: %q is not a number", r.Value)
	}
	cmp, err := compare("httpRequest.status", r.Op)
	if err != nil {
		return nil, err
	}
	return func(e *loggingpb.LogEntry) bool {
		h := e.GetHttpRequest()
		return h != nil && cmp(compareInt(int64(h.GetStatus()), int64(want)))
	}, nil
}

// compare returns the test of a three-way comparison's result for op.
func compare(name, op string) (func(c int) bool, error) {
	switch op {
	case "=":
		return func(c int) bool { return c == 0 }, nil
	case "!=":
		return func(c int) bool { return c != 0 }, nil
	case ">":
		return func(c int) bool { return c > 0 }, nil
	case "<":
		return func(c int) bool { return c < 0 }, nil
	case ">=":
		return func(c int) bool { return c >= 0 }, nil
	case "<=":
		return func(c int) bool { return c <= 0 }, nil
	}
	return nil, fmt.Errorf("operator %s is not supported on %s", op, name)
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// stringField returns the getter of a string field by its path, or nil.
func stringField(path []string) getter {
	switch path[0] {
	case "resource":
		return resourceField(path[1:])
	case "labels":
		if len(path) == 2 {
			return mapValue(func(e *loggingpb.LogEntry) map[string]string { return e.GetLabels() }, path[1])
		}
		return nil
	case "jsonPayload":
		if len(path) >= 2 {
			return jsonField(path[1:])
		}
		return nil
	case "protoPayload":
		return protoField(strings.Join(path[1:], "."))
	case "httpRequest":
		return httpField(strings.Join(path[1:], "."))
	}
	return entryField(strings.Join(path, "."))
}

func entryField(name string) getter {
	var get func(e *loggingpb.LogEntry) string
	switch name {
	case "logName":
		get = (*loggingpb.LogEntry).GetLogName
	case "insertId":
		get = (*loggingpb.LogEntry).GetInsertId
	case "trace":
		get = (*loggingpb.LogEntry).GetTrace
	case "textPayload":
		return func(e *loggingpb.LogEntry) (string, bool) {
			_, ok := e.GetPayload().(*loggingpb.LogEntry_TextPayload)
			return e.GetTextPayload(), ok
		}
	default:
		return nil
	}
	return func(e *loggingpb.LogEntry) (string, bool) { v := get(e); return v, v != "" }
}

func resourceField(path []string) getter {
	switch {
	case len(path) == 1 && path[0] == "type":
		return func(e *loggingpb.LogEntry) (string, bool) {
			v := e.GetResource().GetType()
			return v, v != ""
		}
	case len(path) == 2 && path[0] == "labels":
		return mapValue(func(e *loggingpb.LogEntry) map[string]string { return e.GetResource().GetLabels() }, path[1])
	}
	return nil
}

func mapValue(m func(e *loggingpb.LogEntry) map[string]string, key string) getter {
	return func(e *loggingpb.LogEntry) (string, bool) {
		v, ok := m(e)[key]
		return v, ok
	}
}

// jsonField follows path through nested structs; scalars compare as their
// text, lists and structs are not values.
func jsonField(path []string) getter {
	return func(e *loggingpb.LogEntry) (string, bool) {
		v := structpb.NewStructValue(e.GetJsonPayload())
		for _, k := range path {
			v = v.GetStructValue().GetFields()[k]
		}
		switch k := v.GetKind().(type) {
		case *structpb.Value_StringValue:
			return k.StringValue, true
		case *structpb.Value_NumberValue:
			return strconv.FormatFloat(k.NumberValue, 'f', -1, 64), true
		case *structpb.Value_BoolValue:
			return strconv.FormatBool(k.BoolValue), true
		}
		return "", false
	}
}

func protoField(name string) getter {
	if name == "@type" {
		return func(e *loggingpb.LogEntry) (string, bool) {
			p := e.GetProtoPayload()
			return p.GetTypeUrl(), p != nil
		}
	}
	var get func(a *audit.AuditLog) string
	switch name {
	case "methodName":
		get = (*audit.AuditLog).GetMethodName
	case "resourceName":
		get = (*audit.AuditLog).GetResourceName
	case "serviceName":
		get = (*audit.AuditLog).GetServiceName
	case "authenticationInfo.principalEmail":
		get = func(a *audit.AuditLog) string { return a.GetAuthenticationInfo().GetPrincipalEmail() }
	default:
		return nil
	}
	return func(e *loggingpb.LogEntry) (string, bool) {
		var a audit.AuditLog
		if e.GetProtoPayload().UnmarshalTo(&a) != nil {
			return "", false
		}
		v := get(&a)
		return v, v != ""
	}
}

func httpField(name string) getter {
	var get func(h *ltype.HttpRequest) string
	switch name {
	case "requestMethod":
		get = (*ltype.HttpRequest).GetRequestMethod
	case "requestUrl":
		get = (*ltype.HttpRequest).GetRequestUrl
	case "remoteIp":
		get = (*ltype.HttpRequest).GetRemoteIp
	case "userAgent":
		get = (*ltype.HttpRequest).GetUserAgent
	default:
		return nil
	}
	return func(e *loggingpb.LogEntry) (string, bool) {
		h := e.GetHttpRequest()
		return get(h), h != nil
	}
}
