package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
	"github.com/sccbot/sccbot/playbooks/pagerduty/pagerdutyfake"
)

// secretKey is recognisable in any text it leaks into.
const secretKey = "SECRET-ROUTING-KEY-0123456789abc"

type env struct {
	t      *testing.T
	fake   *pagerdutyfake.Server
	client *Client
	sleeps []time.Duration
	logs   *bytes.Buffer
}

// newEnv starts a fake and a client that records its sleeps (instead of
// sleeping) and its log.
func newEnv(t *testing.T, opts Options, fakeOpts ...pagerdutyfake.Option) *env {
	t.Helper()
	fake := pagerdutyfake.New(fakeOpts...)
	t.Cleanup(fake.Close)
	e := &env{t: t, fake: fake, logs: &bytes.Buffer{}}
	// Sends run on the test goroutine, so the sleeps need no lock.
	opts.Sleep = func(ctx context.Context, d time.Duration) error {
		e.sleeps = append(e.sleeps, d)
		return ctx.Err()
	}
	opts.Logger = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.client = New(fake.URL(), secretKey, opts)
	return e
}

func gkeFinding() bot.Finding {
	return bot.Finding{
		Name:      "organizations/123456789012/sources/11434510651542839261/locations/global/findings/7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e",
		Category:  "Defense Evasion: Launch Code Compiler Tool In Container",
		Severity:  bot.SeverityHigh,
		State:     "ACTIVE",
		EventTime: time.Date(2026, 11, 20, 9, 14, 7, 500_000_000, time.UTC),
		Resource: bot.Resource{
			Name:        "//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod-cluster",
			DisplayName: "prod-cluster", Project: "demo-prod", ProjectNumber: "456789012345", Organization: "123456789012",
		},
		Target: bot.Target{Product: bot.ProductGKE, Project: "demo-prod", Location: "us-central1", Cluster: "prod-cluster",
			Namespace: "payments", Pod: "checkout-7d9f-x2k4p", Node: "gke-prod-pool-1-abc", Container: "checkout"},
	}
}

var testOwners = []bot.Owner{
	{Email: "payments-oncall@example.com", Source: "finding contacts"},
	{Email: "alice@example.com", Source: "IAM owner"},
}

// wantTriggerBody is the exact request body of paging gkeFinding.
const wantTriggerBody = `{
  "routing_key": "SECRET-ROUTING-KEY-0123456789abc",
  "event_action": "trigger",
  "dedup_key": "organizations/123456789012/sources/11434510651542839261/locations/global/findings/7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e",
  "payload": {
    "summary": "High SCC finding: Defense Evasion: Launch Code Compiler Tool In Container in demo-prod",
    "source": "//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod-cluster",
    "severity": "error",
    "timestamp": "2026-11-20T09:14:07.5Z",
    "component": "prod-cluster/payments/checkout-7d9f-x2k4p",
    "group": "demo-prod",
    "class": "Defense Evasion: Launch Code Compiler Tool In Container",
    "custom_details": {
      "finding": "organizations/123456789012/sources/11434510651542839261/locations/global/findings/7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e",
      "category": "Defense Evasion: Launch Code Compiler Tool In Container",
      "severity": "HIGH",
      "state": "ACTIVE",
      "event_time": "2026-11-20T09:14:07.5Z",
      "project": "demo-prod",
      "resource": "//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod-cluster",
      "owners": ["payments-oncall@example.com (finding contacts)", "alice@example.com (IAM owner)"],
      "target": {
        "product": "GKE",
        "project": "demo-prod",
        "location": "us-central1",
        "cluster": "prod-cluster",
        "namespace": "payments",
        "pod": "checkout-7d9f-x2k4p",
        "node": "gke-prod-pool-1-abc",
        "container": "checkout"
      },
      "console": "https://console.cloud.google.com/security/command-center/findingsv2;name=organizations%2F123456789012%2Fsources%2F11434510651542839261%2Flocations%2Fglobal%2Ffindings%2F7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e?organizationId=123456789012"
    }
  },
  "links": [
    {
      "href": "https://console.cloud.google.com/security/command-center/findingsv2;name=organizations%2F123456789012%2Fsources%2F11434510651542839261%2Flocations%2Fglobal%2Ffindings%2F7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e?organizationId=123456789012",
      "text": "Open the finding in Security Command Center"
    },
    {
      "href": "https://console.cloud.google.com/kubernetes/pod/us-central1/prod-cluster/payments/checkout-7d9f-x2k4p/details?project=demo-prod",
      "text": "Open the workload in the Google Cloud console"
    }
  ],
  "client": "sccbot"
}`

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPageExactBody: a page is one POST of exactly this JSON, and the
// fake opens one alert for it.
func TestPageExactBody(t *testing.T) {
	e := newEnv(t, Options{})
	f := gkeFinding()
	res, err := e.client.Page(context.Background(), f, testOwners, false)
	if err != nil {
		t.Fatal(err)
	}
	calls := e.fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	if diff := cmp.Diff(compact(t, wantTriggerBody), string(calls[0].Body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if c := calls[0]; c.Method != http.MethodPost || c.Path != pagerdutyfake.Path ||
		c.ContentType != "application/json" || c.Status != http.StatusAccepted {
		t.Errorf("call = %s %s %q -> %d", c.Method, c.Path, c.ContentType, c.Status)
	}
	want := bot.ActionResult{
		Summary: "Paged PagerDuty about finding 7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e",
		Details: []string{
			"PagerDuty trigger event, severity error, dedup key " + f.Name,
			"Summary: High SCC finding: Defense Evasion: Launch Code Compiler Tool In Container in demo-prod",
			"Owners listed in the alert: payments-oncall@example.com (finding contacts), alice@example.com (IAM owner)",
			"PagerDuty accepted the event; paging again while the alert is open adds to it and pages nobody twice.",
		},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	in := e.fake.Incidents()
	if len(in) != 1 || in[0].Status != pagerdutyfake.StatusTriggered || in[0].DedupKey != f.Name || in[0].Severity != "error" {
		t.Errorf("incidents = %+v", in)
	}
}

// TestDedupMerges: paging the same finding twice makes one alert with two
// triggers.
func TestDedupMerges(t *testing.T) {
	e := newEnv(t, Options{})
	for range 2 {
		if _, err := e.client.Page(context.Background(), gkeFinding(), testOwners, false); err != nil {
			t.Fatal(err)
		}
	}
	in := e.fake.Incidents()
	if len(in) != 1 || in[0].Triggers != 2 || len(e.fake.Calls()) != 2 {
		t.Errorf("incidents = %+v after 2 calls, want one alert with 2 triggers", in)
	}
}

// TestResolveCloses: resolving the finding resolves its alert with exactly
// this body; resolving again is accepted; a later page opens a new alert.
func TestResolveCloses(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	f := gkeFinding()
	if _, err := e.client.Page(ctx, f, nil, false); err != nil {
		t.Fatal(err)
	}
	if err := e.client.ResolveFinding(ctx, f); err != nil {
		t.Fatal(err)
	}
	wantBody := `{"routing_key":"` + secretKey + `","event_action":"resolve","dedup_key":"` + f.Name + `"}`
	if got := string(e.fake.Calls()[1].Body); got != wantBody {
		t.Errorf("resolve body = %s, want %s", got, wantBody)
	}
	if in := e.fake.Incidents(); len(in) != 1 || in[0].Status != pagerdutyfake.StatusResolved {
		t.Errorf("incidents = %+v, want one resolved", in)
	}
	if err := e.client.ResolveFinding(ctx, f); err != nil {
		t.Errorf("second resolve: %v", err)
	}
	if _, err := e.client.Page(ctx, f, nil, false); err != nil {
		t.Fatal(err)
	}
	in := e.fake.Incidents()
	if len(in) != 2 || in[0].Status != pagerdutyfake.StatusResolved || in[1].Status != pagerdutyfake.StatusTriggered {
		t.Errorf("incidents = %+v, want the resolved alert and a new one", in)
	}
}

// TestAcknowledge: acknowledge changes the open alert.
func TestAcknowledge(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	key, err := e.client.Trigger(ctx, FindingEvent(gkeFinding(), nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.Acknowledge(ctx, key); err != nil {
		t.Fatal(err)
	}
	if in := e.fake.Incidents(); len(in) != 1 || in[0].Status != pagerdutyfake.StatusAcknowledged {
		t.Errorf("incidents = %+v, want one acknowledged", in)
	}
}

// TestGeneratedDedupKey: a trigger without a dedup key returns the key
// PagerDuty generated.
func TestGeneratedDedupKey(t *testing.T) {
	e := newEnv(t, Options{})
	ev := FindingEvent(gkeFinding(), nil)
	ev.DedupKey = ""
	key, err := e.client.Trigger(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if in := e.fake.Incidents(); key == "" || len(in) != 1 || in[0].DedupKey != key {
		t.Errorf("key %q, incidents %+v", key, in)
	}
}

// TestDryRun: a dry run checks the event and sends nothing; it fails as a
// real page would when the routing key is wrong.
func TestDryRun(t *testing.T) {
	e := newEnv(t, Options{})
	res, err := e.client.Page(context.Background(), gkeFinding(), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.DryRun || !strings.HasPrefix(res.Summary, "Dry run: would page") ||
		res.Details[len(res.Details)-1] != "Nothing was sent to PagerDuty (dry run)." ||
		res.Details[2] != "No project owner was found: the PagerDuty service's on-call is paged." {
		t.Errorf("result = %+v", res)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Errorf("%d calls in a dry run, want 0", n)
	}
	_, err = New(e.fake.URL(), "short", Options{}).Page(context.Background(), gkeFinding(), nil, true)
	if bot.ErrorCode(err) != bot.EInvalid || !strings.Contains(bot.ErrorMessage(err), "has 5 characters") {
		t.Errorf("dry run with a bad key: %v", err)
	}
}

// TestBadRequestSurfaced: PagerDuty's 400 message and errors reach the
// responder, once (a 400 is not retried).
func TestBadRequestSurfaced(t *testing.T) {
	e := newEnv(t, Options{}, pagerdutyfake.WithRoutingKeys(pagerdutyfake.DemoRoutingKey))
	_, err := e.client.Page(context.Background(), gkeFinding(), nil, false)
	want := "PagerDuty rejected the event: Event object is invalid (Invalid routing key)"
	if bot.ErrorCode(err) != bot.EInvalid || bot.ErrorMessage(err) != want {
		t.Errorf("err = %v, want %s %q", err, bot.EInvalid, want)
	}
	if n := len(e.fake.Calls()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// TestBadRequestEchoingKey: a 400 that quotes the routing key (as a proxy
// or a future PagerDuty might) is shown with the key redacted, and hostile
// control characters are gone.
func TestBadRequestEchoingKey(t *testing.T) {
	e := newEnv(t, Options{})
	e.fake.FailNext(1, pagerdutyfake.Response{Status: http.StatusBadRequest, Body: `{"status":"invalid event",` +
		`"message":"Event object is invalid","errors":["routing_key ` + secretKey + ` unknown","bad\n\u202eline"]}`})
	_, err := e.client.Page(context.Background(), gkeFinding(), nil, false)
	want := "PagerDuty rejected the event: Event object is invalid (routing_key [routing key] unknown; bad line)"
	if bot.ErrorMessage(err) != want {
		t.Errorf("message = %q, want %q", bot.ErrorMessage(err), want)
	}
	if strings.Contains(err.Error(), secretKey) {
		t.Errorf("error leaks the routing key: %v", err)
	}
}

// TestRateLimitedRetryAfter: 429 is retried after exactly the Retry-After
// PagerDuty sent, in seconds or as a date.
func TestRateLimitedRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ header, name string }{
		{"7", "seconds"},
		{now.Add(7 * time.Second).Format(http.TimeFormat), "date"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{Now: func() time.Time { return now }})
			e.fake.FailNext(2, pagerdutyfake.Response{Status: http.StatusTooManyRequests,
				Header: http.Header{"Retry-After": {tt.header}}})
			if _, err := e.client.Page(context.Background(), gkeFinding(), nil, false); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]time.Duration{7 * time.Second, 7 * time.Second}, e.sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if n := len(e.fake.Incidents()); n != 1 || len(e.fake.Calls()) != 3 {
				t.Errorf("%d alerts after %d calls, want 1 after 3", n, len(e.fake.Calls()))
			}
		})
	}
}

// TestRateLimitedTooLong: a Retry-After beyond MaxRetryAfter is not waited
// for; the responder is told when to try again.
func TestRateLimitedTooLong(t *testing.T) {
	e := newEnv(t, Options{})
	e.fake.FailNext(1, pagerdutyfake.Response{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"120"}}})
	_, err := e.client.Page(context.Background(), gkeFinding(), nil, false)
	want := "PagerDuty is rate limiting this integration; try again in 2m0s"
	if bot.ErrorCode(err) != bot.ERateLimited || bot.ErrorMessage(err) != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if len(e.sleeps) != 0 || len(e.fake.Calls()) != 1 {
		t.Errorf("slept %v over %d calls, want no sleep and 1 call", e.sleeps, len(e.fake.Calls()))
	}
}

// TestRetriesExhausted: 429 without Retry-After and 5xx back off and give
// up after Attempts with a message that says so.
func TestRetriesExhausted(t *testing.T) {
	tests := []struct {
		status int
		code   string
		msg    string
	}{
		{http.StatusTooManyRequests, bot.ERateLimited, "PagerDuty is rate limiting this integration (3 attempts); try again in a minute"},
		{http.StatusServiceUnavailable, bot.EUnavailable, "PagerDuty is failing (HTTP 503, 3 attempts); try again in a few minutes"},
	}
	for _, tt := range tests {
		e := newEnv(t, Options{Limits: retry.Limits{Attempts: 3}})
		e.fake.FailNext(3, pagerdutyfake.Response{Status: tt.status})
		_, err := e.client.Page(context.Background(), gkeFinding(), nil, false)
		if bot.ErrorCode(err) != tt.code || bot.ErrorMessage(err) != tt.msg {
			t.Errorf("%d: err = %v, want %s %q", tt.status, err, tt.code, tt.msg)
		}
		if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, e.sleeps); diff != "" {
			t.Errorf("%d: sleeps (-want +got):\n%s", tt.status, diff)
		}
	}
}

// TestServerErrorRetried: 500 and 502 are retried, and the page lands.
func TestServerErrorRetried(t *testing.T) {
	e := newEnv(t, Options{})
	e.fake.FailNext(1, pagerdutyfake.Response{Status: http.StatusInternalServerError})
	e.fake.FailNext(1, pagerdutyfake.Response{Status: http.StatusBadGateway})
	if _, err := e.client.Page(context.Background(), gkeFinding(), nil, false); err != nil {
		t.Fatal(err)
	}
	if len(e.fake.Calls()) != 3 || len(e.fake.Incidents()) != 1 || len(e.sleeps) != 2 {
		t.Errorf("%d calls, %d alerts, sleeps %v", len(e.fake.Calls()), len(e.fake.Incidents()), e.sleeps)
	}
}

// TestTimeout: an attempt slower than Timeout is abandoned.
func TestTimeout(t *testing.T) {
	e := newEnv(t, Options{Limits: retry.Limits{Timeout: 50 * time.Millisecond, Attempts: 1}})
	e.fake.SetLatency(time.Minute)
	_, err := e.client.Page(context.Background(), gkeFinding(), nil, false)
	want := "PagerDuty did not answer within 50ms (1 attempt); try again in a few minutes"
	if bot.ErrorCode(err) != bot.EDeadline || bot.ErrorMessage(err) != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// TestCallerCancel: the caller's context ending is returned as such.
func TestCallerCancel(t *testing.T) {
	e := newEnv(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.client.Page(ctx, gkeFinding(), nil, false)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
