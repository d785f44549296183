package handlers

import "github.com/prometheus/client_golang/prometheus"

// IntakeMetrics count what the intake did with each notification.
type IntakeMetrics struct {
	posted     *prometheus.CounterVec
	duplicates prometheus.Counter
	threaded   prometheus.Counter
	failures   prometheus.Counter
	fallbacks  prometheus.Counter
}

// NewIntakeMetrics registers the intake's metrics on reg; a nil reg gives
// working metrics that are not exported.
func NewIntakeMetrics(reg prometheus.Registerer) *IntakeMetrics {
	m := &IntakeMetrics{
		posted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_findings_posted_total",
			Help: "Finding cards posted to Slack, by route.",
		}, []string{"route"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_findings_duplicate_total",
			Help: "Notifications skipped because they were already handled (redelivery, restart, overlap of sources).",
		}),
		threaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_findings_threaded_total",
			Help: "New notifications of findings that already had a card, posted in the card's thread.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_findings_post_failures_total",
			Help: "Notifications that could not be posted and were left for redelivery.",
		}),
		fallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_findings_fallback_total",
			Help: "Cards posted to the default channel because the routed channel refused them.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.posted, m.duplicates, m.threaded, m.failures, m.fallbacks)
	}
	return m
}
