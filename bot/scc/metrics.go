package scc

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what the finding sources see. A nil *Metrics is valid and
// counts nothing, so sources need no nil checks.
type Metrics struct {
	received  *prometheus.CounterVec
	malformed *prometheus.CounterVec
	errors    *prometheus.CounterVec
	cursor    *prometheus.GaugeVec
	up        *prometheus.GaugeVec
	success   *prometheus.GaugeVec
}

// NewMetrics creates the source metrics and registers them with reg. With a
// nil registerer they are created unregistered, which tests use. Registering
// twice with the same registerer reuses the collectors already there, so
// several sources in one process can share the metric names.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_findings_received_total",
			Help: "SCC findings decoded from a source, before dedupe.",
		}, []string{"source"}),
		malformed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_messages_malformed_total",
			Help: "Inbound messages that were not usable SCC notifications, by reason.",
		}, []string{"source", "reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_source_errors_total",
			Help: "Failures of a finding source: stream and API errors, handler errors, store errors.",
		}, []string{"source"}),
		cursor: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sccbot_poll_cursor_timestamp_seconds",
			Help: "Event time up to which the ListFindings poller has handled findings.",
		}, []string{"source"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sccbot_source_up",
			Help: "1 while a finding source works (its last attempt succeeded), 0 while it fails or has not yet worked.",
		}, []string{"source"}),
		success: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sccbot_source_last_success_timestamp_seconds",
			Help: "When a finding source last worked: its stream stayed open or delivered, or a poll pass completed.",
		}, []string{"source"}),
	}
	if reg != nil {
		m.received = register(reg, m.received)
		m.malformed = register(reg, m.malformed)
		m.errors = register(reg, m.errors)
		m.cursor = register(reg, m.cursor)
		m.up = register(reg, m.up)
		m.success = register(reg, m.success)
	}
	return m
}

// register returns the collector already registered under the same
// description, if any. Any other registration error is a programming error
// (a conflicting metric name) and panics like MustRegister.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic("scc: register metrics: " + err.Error())
}

func (m *Metrics) findingReceived(source string) {
	if m != nil {
		m.received.WithLabelValues(source).Inc()
	}
}

func (m *Metrics) messageMalformed(source, reason string) {
	if m != nil {
		m.malformed.WithLabelValues(source, reason).Inc()
	}
}

func (m *Metrics) sourceError(source string) {
	if m != nil {
		m.errors.WithLabelValues(source).Inc()
	}
}

func (m *Metrics) pollCursor(source string, t time.Time) {
	if m != nil {
		m.cursor.WithLabelValues(source).Set(float64(t.UnixNano()) / 1e9)
	}
}

func (m *Metrics) sourceUp(source string, up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.up.WithLabelValues(source).Set(v)
}

func (m *Metrics) sourceSuccess(source string, t time.Time) {
	if m != nil {
		m.success.WithLabelValues(source).Set(float64(t.UnixNano()) / 1e9)
	}
}
