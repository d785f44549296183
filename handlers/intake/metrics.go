package intake

import "github.com/prometheus/client_golang/prometheus"

// Metrics count what the intake did with each notification.
type Metrics struct {
	posted     *prometheus.CounterVec
	duplicates prometheus.Counter
	threaded   prometheus.Counter
	failures   prometheus.Counter
	fallbacks  prometheus.Counter
	grouped    prometheus.Counter
	breakouts  prometheus.Counter
	silenced   prometheus.Counter
	lifecycle  prometheus.Counter
	resumed    prometheus.Counter
	deferred   prometheus.Counter
	owedFailed prometheus.Counter
}

// NewMetrics registers the intake's metrics on reg; a nil reg gives
// working metrics that are not exported.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
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
		grouped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_findings_grouped_total",
			Help: "Findings added to an open group's card instead of a card of their own.",
		}),
		breakouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_findings_breakout_total",
			Help: "Findings more severe than their group, posted on a card of their own.",
		}),
		silenced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_findings_silenced_total",
			Help: "Findings kept off chat by a silence (stored and counted).",
		}),
		lifecycle: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_findings_changed_total",
			Help: "Notifications of a change (state, mute, severity) shown on an existing card.",
		}),
		resumed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_posts_resumed_total",
			Help: "Posts found in doubt after a crash (intent recorded, outcome not): looked up in the channel before posting again.",
		}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_cards_deferred_total",
			Help: "Cards whose finding was named in a burst message first because findings came faster than the channel's pace; the card follows.",
		}),
		owedFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sccbot_owed_card_failures_total",
			Help: "Attempts to post an owed card that failed; the card stays owed and is tried again.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.posted, m.duplicates, m.threaded, m.failures, m.fallbacks,
			m.grouped, m.breakouts, m.silenced, m.lifecycle, m.resumed, m.deferred, m.owedFailed)
	}
	return m
}
