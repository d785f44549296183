package cloudlogging

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

func TestExplorerURL(t *testing.T) {
	gcc := podFilter + "\n" + `textPayload:"gcc -O2"`
	cases := []struct {
		name string
		q    bot.LogQuery
		want string
	}{
		{"GKE pod query", bot.LogQuery{Project: "demo-prod", Filter: gcc,
			Start: time.Date(2026, 11, 20, 10, 0, 30, 0, time.UTC), End: time.Date(2026, 11, 20, 10, 30, 30, 0, time.UTC)},
			"https://console.cloud.google.com/logs/query;query=" +
				"resource.type%3D%22k8s_container%22%0A" +
				"resource.labels.project_id%3D%22demo-prod%22%0A" +
				"resource.labels.location%3D%22us-central1%22%0A" +
				"resource.labels.cluster_name%3D%22prod-cluster%22%0A" +
				"resource.labels.namespace_name%3D%22payments%22%0A" +
				"resource.labels.pod_name%3D%22checkout-7d9f8b6c5-x2x9q%22%0A" +
				"textPayload%3A%22gcc%20-O2%22" +
				";timeRange=2026-11-20T10%3A00%3A30Z%2F2026-11-20T10%3A30%3A30Z" +
				";cursorTimestamp=2026-11-20T10%3A15%3A30Z" +
				"?project=demo-prod"},
		{"fractional window widened to whole seconds, zones to UTC", bot.LogQuery{Project: "demo-prod",
			Filter: `resource.type="k8s_cluster"`,
			Start:  eventTime.Add(-15 * time.Minute).In(time.FixedZone("CET", 3600)), End: eventTime.Add(15 * time.Minute)},
			"https://console.cloud.google.com/logs/query;query=resource.type%3D%22k8s_cluster%22" +
				";timeRange=2026-11-20T10%3A00%3A30Z%2F2026-11-20T10%3A30%3A31Z" +
				";cursorTimestamp=2026-11-20T10%3A15%3A30.123Z" +
				"?project=demo-prod"},
		{"timestamp lines dropped", bot.LogQuery{Project: "p1", Filter: APIFilter(podQuery(1)) + "\n  timestamp >= \"x\"\ntimestampX=\"kept\"",
			Start: eventTime, End: eventTime},
			"https://console.cloud.google.com/logs/query;query=" + encodeComponent(podFilter+"\n"+`timestampX="kept"`) +
				";timeRange=2026-11-20T10%3A15%3A30Z%2F2026-11-20T10%3A15%3A31Z" +
				";cursorTimestamp=2026-11-20T10%3A15%3A30.123Z" +
				"?project=p1"},
		{"no window", bot.LogQuery{Project: "p1", Filter: `severity>=ERROR`},
			"https://console.cloud.google.com/logs/query;query=severity%3E%3DERROR?project=p1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ExplorerURL(c.q); got != c.want {
				t.Errorf("ExplorerURL =\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// A hostile value stays inside the query segment: it cannot add a
// segment, a query parameter or a fragment, or change the host.
func TestExplorerURLHostileValue(t *testing.T) {
	hostile := "x\";cursorTimestamp=evil?project=attacker&a=b#frag <script>'\n\\/../"
	q := podQuery(5)
	q.Filter = `resource.type="k8s_container"` + "\nresource.labels.pod_name=" + bot.QuoteFilter(hostile)
	q.Project = "demo-prod"
	raw := ExplorerURL(q)
	if strings.ContainsAny(raw, " \"'<>\n#&") {
		t.Errorf("URL has a raw quote, space, angle bracket, newline, # or &: %s", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != "console.cloud.google.com" || u.RawQuery != "project=demo-prod" || u.Fragment != "" {
		t.Fatalf("URL parts changed: %#v", u)
	}
	segs := strings.Split(u.EscapedPath(), ";")
	if len(segs) != 4 || segs[0] != "/logs/query" {
		t.Fatalf("segments %q, want /logs/query and 3 key=value segments", segs)
	}
	filter, err := url.PathUnescape(strings.TrimPrefix(segs[1], "query="))
	if err != nil || filter != q.Filter {
		t.Errorf("query segment decodes to %q (%v), want %q", filter, err, q.Filter)
	}
}
