package cloudlogging

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/api/monitoredres"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
)

// A pod name taken from a finding is attacker-controlled. Quoted with
// bot.QuoteFilter it is one restriction that matches only an entry with
// exactly that value: it cannot close its quotes, add an OR, or start a
// new line.
func TestSearchHostileValue(t *testing.T) {
	hostile := "checkout\" OR resource.type=\"gce_instance\" \\\"\\ AND\nresource.type=\"gce_instance"
	// QuoteFilter drops line breaks, so the value it matches has none.
	matched := strings.ReplaceAll(hostile, "\n", "")

	e := newEnv(t, Options{})
	exact := podLine("exact", 0, "exact")
	exact.Resource = podResource(matched)
	withNewline := podLine("with-newline", 0, "with newline")
	withNewline.Resource = podResource(hostile)
	prefix := podLine("prefix", 0, "prefix")
	prefix.Resource = podResource("checkout")
	node := podLine("node", 0, "node")
	node.Resource = &monitoredres.MonitoredResource{Type: "gce_instance", Labels: map[string]string{"instance_id": "1"}}
	e.fake.AddEntries(exact, withNewline, prefix, node, podLine("seed-pod", 0, "seed pod"))

	q := podQuery(10)
	q.Filter = `resource.type="k8s_container"` + "\n" + "resource.labels.pod_name=" + bot.QuoteFilter(hostile)
	res, err := e.client.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, le := range res.Entries {
		got = append(got, le.InsertID)
	}
	if diff := cmp.Diff([]string{"exact"}, got); diff != "" {
		t.Errorf("matched entries (-want +got):\n%s", diff)
	}

	f, err := loggingfake.ParseFilter(e.fake.Filters()[0])
	if err != nil {
		t.Fatal(err)
	}
	rs := f.Restrictions()
	want := []loggingfake.Restriction{
		{Path: []string{"resource", "type"}, Op: "=", Value: "k8s_container"},
		{Path: []string{"resource", "labels", "pod_name"}, Op: "=", Value: matched},
		{Path: []string{"timestamp"}, Op: ">=", Value: "2026-11-20T10:00:30.123Z"},
		{Path: []string{"timestamp"}, Op: "<=", Value: "2026-11-20T10:30:30.123Z"},
	}
	if diff := cmp.Diff(want, rs); diff != "" {
		t.Errorf("the fake read the filter as (-want +got):\n%s", diff)
	}
}

// The unquoted value, by contrast, changes the query: this is what
// QuoteFilter prevents (and why the fake rejects OR, so such a filter
// fails loudly in tests).
func TestSearchUnquotedValueFails(t *testing.T) {
	e := newEnv(t, Options{})
	q := podQuery(10)
	q.Filter = `resource.labels.pod_name="x" OR resource.type="gce_instance"`
	_, err := e.client.Search(context.Background(), q)
	checkError(t, err, bot.EInvalid)
}
