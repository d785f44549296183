package scc

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// gathered flattens a registry into "name{label=value,...} value" lines.
func gathered(t *testing.T, g prometheus.Gatherer) []string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			out = append(out, mf.GetName()+"{"+strings.Join(ls, ",")+"} "+strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	sort.Strings(out)
	return out
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, b := NewMetrics(reg), NewMetrics(reg) // a second source shares the collectors
	a.findingReceived("pubsub:s")
	b.findingReceived("pubsub:s")
	a.messageMalformed("pubsub:s", ReasonInvalidJSON)
	b.sourceError("poll:p")
	a.pollCursor("poll:p", time.Unix(1700000000, 0))
	want := []string{
		"sccbot_findings_received_total{source=pubsub:s} 2",
		"sccbot_messages_malformed_total{reason=invalid_json,source=pubsub:s} 1",
		"sccbot_poll_cursor_timestamp_seconds{source=poll:p} 1700000000",
		"sccbot_source_errors_total{source=poll:p} 1",
	}
	if diff := cmp.Diff(want, gathered(t, reg)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMetricsWithoutRegistry(t *testing.T) {
	var nilMetrics *Metrics
	for _, m := range []*Metrics{NewMetrics(nil), nilMetrics} {
		m.findingReceived("s")
		m.messageMalformed("s", "r")
		m.sourceError("s")
		m.pollCursor("s", time.Now())
	}
}
