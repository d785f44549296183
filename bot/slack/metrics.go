package slack

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the Slack adapter's Prometheus series.
type Metrics struct {
	requests    *prometheus.CounterVec
	retries     *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	outboxDepth prometheus.Gauge
	bursts      prometheus.Counter
	// paceFallbacks counts store calls that failed, so the lane paced on
	// its own bucket.
	paceFallbacks *prometheus.CounterVec

	reconnects  prometheus.Counter
	connected   prometheus.Gauge
	envelopes   *prometheus.CounterVec
	ackSeconds  prometheus.Histogram
	handled     prometheus.Histogram
	queueDepth  prometheus.Gauge
	dropped     prometheus.Counter
	refused     *prometheus.CounterVec
	badMessages prometheus.Counter
}

// NewMetrics registers the adapter's metrics on reg; a nil reg gives
// working metrics that are not exported.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_slack_requests_total", Help: "Slack Web API calls made by the outbox, by method and result (ok, rate_limited, error, refused).",
		}, []string{"method", "result"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_slack_retries_total", Help: "Slack requests retried or resolved after a failure, by method and reason (transient, degraded, landed).",
		}, []string{"method", "reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_slack_rate_limited_total", Help: "HTTP 429 answers from Slack, by method.",
		}, []string{"method"}),
		outboxDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sccbot_outbox_depth", Help: "Messages waiting in the outbox.",
		}),
		bursts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_outbox_bursts_total", Help: "Burst messages naming severe findings that came faster than a channel's pace.",
		}),
		paceFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_pace_store_errors_total", Help: "Calls to the shared pace store that failed, by operation (take, pause, until); the outbox paced on this replica's own bucket instead.",
		}, []string{"op"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_socket_reconnects_total", Help: "Socket-mode reconnections after the first connection.",
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sccbot_socket_connected", Help: "1 while the socket-mode connection is up.",
		}),
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_envelopes_total", Help: "Socket-mode envelopes acknowledged, by type.",
		}, []string{"type"}),
		ackSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sccbot_envelope_ack_seconds", Help: "Time from reading an envelope to queueing its ack.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		handled: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sccbot_interaction_seconds", Help: "Time spent serving an interaction after its ack.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sccbot_interaction_queue_depth", Help: "Interactions acked and waiting for a worker.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_interactions_dropped_total", Help: "Interactions dropped because every worker was busy and the queue was full.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_payloads_refused_total", Help: "Payloads refused before dispatch, by reason.",
		}, []string{"reason"}),
		badMessages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_socket_bad_messages_total", Help: "Socket-mode messages slack-go could not decode.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.retries, m.rateLimited, m.outboxDepth, m.bursts, m.paceFallbacks, m.reconnects, m.connected,
			m.envelopes, m.ackSeconds, m.handled, m.queueDepth, m.dropped, m.refused, m.badMessages)
	}
	return m
}
