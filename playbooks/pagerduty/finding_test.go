package pagerduty

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

func TestDedupKey(t *testing.T) {
	short := gkeFinding().Name
	if got := DedupKey(short); got != short {
		t.Errorf("DedupKey(short) = %q, want the name", got)
	}
	long := "organizations/1/sources/2/locations/global/findings/" + strings.Repeat("x", 300)
	other := long[:len(long)-1] + "y"
	k1, k2 := DedupKey(long), DedupKey(other)
	if len(k1) != MaxDedupKey || k1 != DedupKey(long) || k1 == k2 || !strings.HasPrefix(k1, long[:200]) {
		t.Errorf("long keys %q, %q: want %d characters, stable, distinct, keeping the start", k1, k2, MaxDedupKey)
	}
	wide := strings.Repeat("é", 200) // 400 bytes: the cut must not split a character
	if k := DedupKey(wide); !utf8.ValidString(k) || len(k) > MaxDedupKey {
		t.Errorf("DedupKey(wide) = %q (%d bytes)", k, len(k))
	}
}

func TestSeverity(t *testing.T) {
	for s, want := range map[bot.Severity]string{
		bot.SeverityCritical: "critical", bot.SeverityHigh: "error", bot.SeverityMedium: "warning",
		bot.SeverityLow: "info", bot.SeverityUnspecified: "warning",
	} {
		if got := Severity(s); got != want {
			t.Errorf("Severity(%s) = %q, want %q", s, got, want)
		}
	}
}

// TestSummaryHostile: attacker text loses control and format characters,
// and the summary stays within PagerDuty's limit with the project kept.
func TestSummaryHostile(t *testing.T) {
	f := bot.Finding{Severity: bot.SeverityCritical, Category: "Evil\n\nSEV1: all clear\u202e\x1b[31m\u200b" + strings.Repeat("A", 5000),
		Target: bot.Target{Project: "demo-prod"}}
	s := Summary(f)
	if strings.ContainsAny(s, "\n\x1b\u202e\u200b") {
		t.Errorf("summary keeps control characters: %q", s)
	}
	if !strings.HasPrefix(s, "Critical SCC finding: Evil SEV1: all clear [31m") || !strings.HasSuffix(s, "… in demo-prod") {
		t.Errorf("summary = %.80q…%q", s, s[len(s)-20:])
	}
	if n := utf8.RuneCountInString(s); n > MaxSummary {
		t.Errorf("summary has %d characters", n)
	}
	if got := Summary(bot.Finding{}); got != "Unspecified SCC finding: unknown category" {
		t.Errorf("empty summary = %q", got)
	}
}

// TestFindingEventHostile: every finding field that reaches the event is
// cleaned and bounded, and the event validates.
func TestFindingEventHostile(t *testing.T) {
	evil := "x\r\ny\u2066" + strings.Repeat("z", 3000)
	f := gkeFinding()
	f.Category, f.Resource.Name, f.Target.Pod, f.State = evil, evil, evil, evil
	e := FindingEvent(f, []bot.Owner{{Email: "a@example.com\nfake line", Source: "IAM owner"}})
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	d := e.Payload.CustomDetails.(Details)
	for _, s := range []string{e.Payload.Source, e.Payload.Class, e.Payload.Component, d.Category, d.State, d.Target.Pod, d.Owners[0]} {
		if strings.ContainsAny(s, "\r\n\u2066") || utf8.RuneCountInString(s) > maxField {
			t.Errorf("field not cleaned: %.60q (%d characters)", s, utf8.RuneCountInString(s))
		}
	}
}

func TestWorkload(t *testing.T) {
	tests := []struct {
		f    bot.Finding
		want string
	}{
		{gkeFinding(), "prod-cluster/payments/checkout-7d9f-x2k4p"},
		{bot.Finding{Target: bot.Target{Product: bot.ProductGKE, Cluster: "c"}}, "c"},
		{bot.Finding{Target: bot.Target{Product: bot.ProductCloudRun, Service: "api", Revision: "api-00001"}}, "api/api-00001"},
		{bot.Finding{Target: bot.Target{Product: bot.ProductCloudRun, Job: "etl", Execution: "etl-x"}}, "etl/etl-x"},
		{bot.Finding{Resource: bot.Resource{DisplayName: "vm-1"}}, "vm-1"},
	}
	for _, tt := range tests {
		if got := workload(tt.f); got != tt.want {
			t.Errorf("workload(%+v) = %q, want %q", tt.f.Target, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := &Payload{Summary: "s", Source: "src", Severity: "info"}
	tests := []struct {
		e    Event
		want string // "" for valid
	}{
		{Event{Action: ActionTrigger, Payload: ok}, ""},
		{Event{Action: ActionResolve, DedupKey: "k"}, ""},
		{Event{Action: "explode", Payload: ok}, `event action "explode" is not`},
		{Event{Action: ActionTrigger}, "needs a payload"},
		{Event{Action: ActionTrigger, Payload: &Payload{Source: "s", Severity: "info"}}, "no summary"},
		{Event{Action: ActionTrigger, Payload: &Payload{Summary: strings.Repeat("s", 1025), Source: "s", Severity: "info"}}, "longer than PagerDuty's 1024"},
		{Event{Action: ActionTrigger, Payload: &Payload{Summary: "s", Severity: "info"}}, "no source"},
		{Event{Action: ActionTrigger, Payload: &Payload{Summary: "s", Source: "s", Severity: "high"}}, `severity "high"`},
		{Event{Action: ActionTrigger, DedupKey: strings.Repeat("k", 256), Payload: ok}, "dedup key is longer"},
		{Event{Action: ActionAcknowledge}, "needs the dedup key"},
		{Event{Action: ActionTrigger, Payload: ok, Links: []Link{{Href: "javascript:alert(1)"}}}, "not an absolute http(s) URL"},
	}
	for _, tt := range tests {
		err := tt.e.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.e, err)
		case tt.want != "" && (bot.ErrorCode(err) != bot.EInvalid || !strings.Contains(bot.ErrorMessage(err), tt.want)):
			t.Errorf("%v: err = %v, want %q", tt.e, err, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 30 ", 30 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"99999999999999", 24 * time.Hour, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.v, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := DefaultBackoff(i + 1); got != w {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}
