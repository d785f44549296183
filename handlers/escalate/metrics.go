package escalate

import "github.com/prometheus/client_golang/prometheus"

// metrics count what became of each deadline stage.
type metrics struct {
	stages      *prometheus.CounterVec
	checkErrors prometheus.Counter
}

// newMetrics registers the metrics on reg; a nil reg gives working
// metrics that are not exported.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		stages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sccbot_deadline_stages_total",
			Help: "Acknowledgement deadline stages by stage (reminder, escalation) and outcome: sent, failed " +
				"(retried), given_up (failed for too long), missed (came due while no escalator ran).",
		}, []string{"stage", "outcome"}),
		checkErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_deadline_check_errors_total",
			Help: "Deadline checks that could not read or write the store; retried at the next check.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.stages, m.checkErrors)
	}
	return m
}
