package playbooks

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRestriction(t *testing.T) {
	good := map[string]restriction{
		`resource.type="k8s_container"`:                       {"resource.type", "=", []string{`"k8s_container"`}},
		`labels."compute.googleapis.com/resource_name"="n-1"`: {`labels."compute.googleapis.com/resource_name"`, "=", []string{`"n-1"`}},
		`protoPayload.resourceName:"a\"b\\"`:                  {"protoPayload.resourceName", ":", []string{`"a\"b\\"`}},
		`protoPayload.methodName:("a.create" OR "b.create")`:  {"protoPayload.methodName", ":", []string{`"a.create"`, `"b.create"`}},
		`severity >= ERROR`:                                   {"severity", ">=", []string{"ERROR"}},
		`NOT jsonPayload.msg =~ "x"`:                          {"jsonPayload.msg", "=~", []string{`"x"`}},
		`-labels.k!="v"`:                                      {"labels.k", "!=", []string{`"v"`}},
	}
	for line, want := range good {
		got, err := parseRestriction(line)
		if err != nil {
			t.Errorf("parseRestriction(%s): %v", line, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("parseRestriction(%s) (-want +got):\n%s", line, diff)
		}
	}
	bad := map[string]string{
		``:                                 "empty line",
		`resource.type`:                    `expected a comparison (=, !=, :, =~, ...) at ""`,
		`resource.type="a" OR x="b"`:       `unexpected "OR x=\"b\"" after the value: one restriction a line`,
		`resource.type="a`:                 "unbalanced quotes",
		`a=("x" OR "y"`:                    "unbalanced parentheses",
		`a=("x" "y")`:                      `expected OR, AND or ) at "\"y\")"`,
		`="x"`:                             `expected a field name at "=\"x\""`,
		`a=`:                               `expected a value at ""`,
		`a="x" b="y"`:                      `unexpected "b=\"y\"" after the value: one restriction a line`,
		`resource.type="a" AND severity=x`: `unexpected "AND severity=x" after the value: one restriction a line`,
	}
	for line, want := range bad {
		_, err := parseRestriction(line)
		if err == nil || err.Error() != want {
			t.Errorf("parseRestriction(%s) = %v, want %q", line, err, want)
		}
	}
}

func TestParseTemplate(t *testing.T) {
	tmpl, err := parseTemplate("logName={{logname:cloudaudit.googleapis.com%2Factivity}}\nresource.labels.pod_name={{ pod }}")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"project", "pod"}, tmpl.needs()); diff != "" {
		t.Errorf("needs (-want +got):\n%s", diff)
	}
	got := tmpl.render(values{"project": `p"1`, "pod": "x"}, func(s string) string { return "<" + s + ">" })
	if want := "logName=<projects/p\"1/logs/cloudaudit.googleapis.com%2Factivity>\nresource.labels.pod_name=<x>"; got != want {
		t.Errorf("render = %q, want %q", got, want)
	}
	bad := map[string]string{
		"a={{pod":                    "unclosed placeholder {{pod",
		"a={{logname}}":              "placeholder {{logname}} needs a log id such as {{logname:cloudaudit.googleapis.com%2Factivity}}",
		`a={{logname:x"y}}`:          `placeholder {{logname:x"y}} needs a log id such as {{logname:cloudaudit.googleapis.com%2Factivity}}`,
		"a={{args}}":                 "unknown placeholder {{args}}",
		`a="x {{pod}}"`:              "placeholder {{pod}} inside a quoted string: write it unquoted, the bot quotes the value",
		"a=\"x\nb={{pod}}":           "line 1: unbalanced quotes",
		`a="\"{{pod}}"`:              "placeholder {{pod}} inside a quoted string: write it unquoted, the bot quotes the value",
		"a=\"x\\\"\"\nb=\"{{pod}}\"": "placeholder {{pod}} inside a quoted string: write it unquoted, the bot quotes the value",
	}
	for src, want := range bad {
		if _, err := parseTemplate(src); err == nil || err.Error() != want {
			t.Errorf("parseTemplate(%q) = %v, want %q", src, err, want)
		}
	}
}
