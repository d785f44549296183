package sccfake

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// node is a compiled filter expression.
type node interface{ match(e *entry) bool }

type (
	matchAll struct{}
	and      [2]node
	or       [2]node
	not      [1]node
)

func (matchAll) match(*entry) bool { return true }
func (n and) match(e *entry) bool  { return n[0].match(e) && n[1].match(e) }
func (n or) match(e *entry) bool   { return n[0].match(e) || n[1].match(e) }
func (n not) match(e *entry) bool  { return !n[0].match(e) }

func (r stringRestr) match(e *entry) bool {
	v, ok := r.get(e)
	if !ok {
		return false
	}
	if r.op == ":" {
		return strings.Contains(v, r.value)
	}
	return v == r.value
}

func (r timeRestr) match(e *entry) bool {
	ts := r.get(e)
	if ts == nil {
		return false
	}
	c := ts.AsTime().Compare(r.value)
	switch r.op {
	case "=":
		return c == 0
	case ">":
		return c > 0
	case "<":
		return c < 0
	case ">=":
		return c >= 0
	}
	return c <= 0 // "<="
}

// stringRestr compares a string field with = (equality) or : (substring).
type stringRestr struct {
	get   func(e *entry) (string, bool)
	op    string
	value string
}

// timeRestr compares a timestamp field.
type timeRestr struct {
	get   func(e *entry) *timestamppb.Timestamp
	op    string
	value time.Time
}

// stringField returns the getter of a string field by its filter name.
func stringField(name string) (func(e *entry) (string, bool), bool) {
	if key, ok := strings.CutPrefix(name, "security_marks.marks."); ok && key != "" {
		return func(e *entry) (string, bool) {
			v, ok := e.f.GetSecurityMarks().GetMarks()[key]
			return v, ok
		}, true
	}
	get := findingField(name)
	if get == nil {
		get = resourceField(name)
	}
	if get == nil {
		return nil, false
	}
	return func(e *entry) (string, bool) { return get(e), true }, true
}

func findingField(name string) func(e *entry) string {
	switch name {
	case "name":
		return func(e *entry) string { return e.f.GetName() }
	case "parent":
		return func(e *entry) string { return e.f.GetParent() }
	case "resource_name":
		return func(e *entry) string { return e.f.GetResourceName() }
	case "state":
		return func(e *entry) string { return e.f.GetState().String() }
	case "category":
		return func(e *entry) string { return e.f.GetCategory() }
	case "external_uri":
		return func(e *entry) string { return e.f.GetExternalUri() }
	case "severity":
		return func(e *entry) string { return e.f.GetSeverity().String() }
	case "finding_class":
		return func(e *entry) string { return e.f.GetFindingClass().String() }
	case "mute":
		return func(e *entry) string { return e.f.GetMute().String() }
	}
	return nil
}

func resourceField(name string) func(e *entry) string {
	switch name {
	case "resource.name":
		// The resource's full name; a finding stored without its
		// resource still names it in resource_name.
		return func(e *entry) string {
			if n := e.r.GetName(); n != "" {
				return n
			}
			return e.f.GetResourceName()
		}
	case "resource.type":
		return func(e *entry) string { return e.r.GetType() }
	case "resource.display_name":
		return func(e *entry) string { return e.r.GetDisplayName() }
	case "resource.project_name":
		return func(e *entry) string { return e.r.GetGcpMetadata().GetProject() }
	case "resource.project_display_name":
		return func(e *entry) string { return e.r.GetGcpMetadata().GetProjectDisplayName() }
	case "resource.parent_name":
		return func(e *entry) string { return e.r.GetGcpMetadata().GetParent() }
	case "resource.parent_display_name":
		return func(e *entry) string { return e.r.GetGcpMetadata().GetParentDisplayName() }
	}
	return nil
}

func timeField(name string) (func(e *entry) *timestamppb.Timestamp, bool) {
	switch name {
	case "event_time":
		return func(e *entry) *timestamppb.Timestamp { return e.f.GetEventTime() }, true
	case "create_time":
		return func(e *entry) *timestamppb.Timestamp { return e.f.GetCreateTime() }, true
	}
	return nil, false
}

// newRestriction checks the field, the operator and the value up front, so
// that a bad filter fails even when no finding would reach it.
func newRestriction(field, op, value string) (node, error) {
	if get, ok := timeField(field); ok {
		switch op {
		case "=", ">", "<", ">=", "<=":
		default:
			return nil, fmt.Errorf("operator %s is not supported on %s", op, field)
		}
		t, err := parseTimeValue(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return timeRestr{get: get, op: op, value: t}, nil
	}
	get, ok := stringField(field)
	if !ok {
		return nil, fmt.Errorf("unsupported field %q", field)
	}
	if op != "=" && op != ":" {
		return nil, fmt.Errorf("operator %s is not supported on %s", op, field)
	}
	return stringRestr{get: get, op: op, value: value}, nil
}

// parseTimeValue accepts RFC 3339 or milliseconds since the epoch.
func parseTimeValue(v string) (time.Time, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor epoch milliseconds", v)
	}
	return t, nil
}
