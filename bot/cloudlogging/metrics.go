package cloudlogging

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts ListLogEntries calls. A nil *Metrics is valid and counts
// nothing.
type Metrics struct {
	requests *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg; with a nil
// registerer they stay unregistered, which tests use. Registering twice
// with the same registerer reuses the collector already there.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		// Every call is counted, retries included, because each one spends
		// the project's small entries.list quota.
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_logging_requests_total",
			Help: "Cloud Logging ListLogEntries calls, by result (ok or the gRPC code).",
		}, []string{"result"}),
	}
	if reg == nil {
		return m
	}
	if err := reg.Register(m.requests); err != nil {
		var are prometheus.AlreadyRegisteredError
		existing, ok := (*prometheus.CounterVec)(nil), false
		if errors.As(err, &are) {
			existing, ok = are.ExistingCollector.(*prometheus.CounterVec)
		}
		if !ok {
			// A conflicting metric name is a programming error.
			panic("cloudlogging: register metrics: " + err.Error())
		}
		m.requests = existing
	}
	return m
}

func (m *Metrics) request(result string) {
	if m != nil {
		m.requests.WithLabelValues(result).Inc()
	}
}
