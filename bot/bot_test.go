package bot

import (
	"strings"
	"testing"
)

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"":                      "''",
		"/usr/bin/gcc":          "/usr/bin/gcc",
		"a b":                   "'a b'",
		"it's":                  `'it'\''s'`,
		"$(rm -rf /)":           "'$(rm -rf /)'",
		"`id`":                  "'`id`'",
		"line1\nline2":          "'line1\uFFFDline2'",
		"bad\xffutf8":           "'bad\uFFFDutf8'",
		"quote'and\nnewline":    `'quote'\''and` + "\uFFFD" + `newline'`,
		"back\\slash\x1b[31m":   "'back\\slash\uFFFD[31m'",
		"=cmd":                  "'=cmd'",
		"~root":                 "'~root'",
		"unicodé":               "'unicodé'",
		"--flag=value,other:ok": "--flag=value,other:ok",
	}
	for in, want := range tests {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCommandLineSkipsRepeatedArgv0(t *testing.T) {
	got := CommandLine("/usr/bin/gcc", []string{"gcc", "-o", "out file"})
	if want := "/usr/bin/gcc -o 'out file'"; got != want {
		t.Errorf("CommandLine = %q, want %q", got, want)
	}
}

func TestLinksEscapeFindingStrings(t *testing.T) {
	f := Finding{Name: "organizations/1/sources/2/findings/a b|c>d", Resource: Resource{Project: "p&x=1"}}
	u := FindingURL(f)
	if strings.ContainsAny(u, " |><") || !strings.Contains(u, "project=p%26x%3D1") {
		t.Errorf("FindingURL = %q: finding strings not escaped", u)
	}
	w := WorkloadURL(Target{Product: ProductGKE, Location: "l", Cluster: "c", Namespace: "../../evil", Pod: "p?x=1#y", Project: "p"})
	if strings.Contains(w, "/../") || strings.Contains(w, "?x=1") || strings.Contains(w, "#y") {
		t.Errorf("WorkloadURL = %q: path segments not escaped", w)
	}
	if got := VirusTotalURL("not-a-hash"); got != "" {
		t.Errorf("VirusTotalURL(bad) = %q, want empty", got)
	}
	if got := AttackURL("T1027.004"); got != "https://attack.mitre.org/techniques/T1027/004/" {
		t.Errorf("AttackURL = %q", got)
	}
	if got := AttackURL("javascript:alert(1)"); got != "" {
		t.Errorf("AttackURL(hostile) = %q, want empty", got)
	}
}

func TestSeverityRoundTrip(t *testing.T) {
	for _, s := range []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical, SeverityUnspecified} {
		got, ok := ParseSeverity(strings.ToLower(s.String()))
		if !ok || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s.String(), got, ok)
		}
	}
	if _, ok := ParseSeverity("SEVERE"); ok {
		t.Error("ParseSeverity accepted SEVERE")
	}
	if SeverityCritical <= SeverityHigh || SeverityLow <= SeverityUnspecified {
		t.Error("severity order is not urgency order")
	}
}

func TestErrorMessageHidesInternals(t *testing.T) {
	if got := ErrorMessage(errorString("dial tcp 10.0.0.1: token xoxb-123")); strings.Contains(got, "xoxb") {
		t.Errorf("ErrorMessage leaked internals: %q", got)
	}
	err := WrapError(EPermission, "grant roles/x", errorString("rpc error"))
	if ErrorMessage(err) != "grant roles/x" || ErrorCode(err) != EPermission {
		t.Errorf("ErrorMessage/ErrorCode = %q/%q", ErrorMessage(err), ErrorCode(err))
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestQuoteFilter(t *testing.T) {
	tests := map[string]string{
		`checkout-1`:                  `"checkout-1"`,
		`a"b`:                         `"a\"b"`,
		`back\slash`:                  `"back\\slash"`,
		"pod\"\nOR resource.type=\"x": `"pod\"OR resource.type=\"x"`,
		"tab\tnul\x00":                `"tabnul"`,
		`\"`:                          `"\\\""`,
	}
	for in, want := range tests {
		if got := QuoteFilter(in); got != want {
			t.Errorf("QuoteFilter(%q) = %s, want %s", in, got, want)
		}
	}
}
