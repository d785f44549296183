package digest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sccbot/sccbot/bot"
)

// Chart draws the chart of findings per day by severity, breaches
// marked, as a PNG. cmd adapts bot/chart's Findings to it.
type Chart interface {
	Findings(days []Day, opts ChartOptions) ([]byte, error)
}

// ChartOptions say how to label the chart.
type ChartOptions struct {
	Title string
	// Location is the zone the days are local to.
	Location *time.Location
}

// Upload is a file to share in a channel (in a thread when Thread is
// set), with a title and a text alternative for people who cannot see it.
type Upload struct {
	Channel, Thread, Filename, Title, AltText string
	Data                                      []byte
}

// Uploader shares files in chat. cmd adapts bot/slack's uploader, which
// goes through Slack's external upload flow, to it.
type Uploader interface {
	UploadFile(ctx context.Context, u Upload) (bot.FileRef, error)
}

// Metrics count what the digests could not include.
type Metrics struct {
	chartsMissing prometheus.Counter
}

// NewMetrics registers the digests' metrics on reg; a nil reg gives
// working metrics that are not exported.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{chartsMissing: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sccbot_digest_charts_missing_total",
		Help: "Digests posted without their chart because it could not be drawn or uploaded.",
	})}
	if reg != nil {
		reg.MustRegister(m.chartsMissing)
	}
	return m
}

// charts makes and uploads the chart of a run, before its digest is
// posted. Uploading first lets the digest link the chart as soon as it is
// posted: a chart in the digest's thread could only be linked by editing
// the digest afterwards, an edit that could fail and leave the digest
// silent about its chart. The upload is remembered by run, so a run
// retried after a failed post links the same file instead of uploading
// again.
type charts struct {
	chart    Chart
	uploader Uploader
	metrics  *Metrics

	mu   sync.Mutex
	done map[string]bot.FileRef // by message key
}

// link returns the digest's chart: its permalink, or Missing after
// counting the failure and logging it once with its cause. Without a
// chart or an uploader configured there is no chart and nothing missing.
func (c *charts) link(ctx context.Context, store Store, deadlines Deadlines, s Schedule, run time.Time, key string, log *slog.Logger) ChartLink {
	if c == nil || c.chart == nil || c.uploader == nil {
		return ChartLink{}
	}
	c.mu.Lock()
	ref, ok := c.done[key]
	c.mu.Unlock()
	if ok {
		return ChartLink{Permalink: ref.Permalink}
	}
	ref, err := c.make(ctx, store, deadlines, s, run)
	if err != nil {
		c.metrics.chartsMissing.Inc()
		log.Error("digest chart missing; posting the digest without it", "err", err)
		return ChartLink{Missing: true}
	}
	c.mu.Lock()
	c.done[key] = ref
	c.mu.Unlock()
	return ChartLink{Permalink: ref.Permalink}
}

func (c *charts) make(ctx context.Context, store Store, deadlines Deadlines, s Schedule, run time.Time) (bot.FileRef, error) {
	days, err := chartSeries(ctx, store, deadlines, run, s.Location)
	if err != nil {
		return bot.FileRef{}, fmt.Errorf("chart series: %w", err)
	}
	title := fmt.Sprintf("SCC findings per day, %d days to %s", chartDays, run.In(s.Location).Format("Mon 2 Jan 15:04 MST"))
	png, err := c.chart.Findings(days, ChartOptions{Title: title, Location: s.Location})
	if err != nil {
		return bot.FileRef{}, fmt.Errorf("draw chart: %w", err)
	}
	ref, err := c.uploader.UploadFile(ctx, Upload{Channel: s.Channel, Filename: "sccbot-digest-" + run.UTC().Format("20060102T1504Z") + ".png",
		Title: title, AltText: altText(days), Data: png})
	if err != nil {
		return bot.FileRef{}, fmt.Errorf("upload chart to %s: %w", s.Channel, err)
	}
	if ref.Permalink == "" {
		return bot.FileRef{}, fmt.Errorf("upload chart to %s: no permalink for file %q", s.Channel, ref.ID)
	}
	return ref, nil
}

// altText sums the chart up for people who cannot see it.
func altText(days []Day) string {
	total, breaches, peak := 0, 0, 0
	var peakDay time.Time
	for _, d := range days {
		n := 0
		for _, c := range d.Counts {
			n += c
		}
		total, breaches = total+n, breaches+d.Breaches
		if n > peak || peakDay.IsZero() {
			peak, peakDay = n, d.Date
		}
	}
	return fmt.Sprintf("Bar chart of SCC findings per day by severity over %d days: %d findings, most on %s (%d); %d acknowledgement deadlines breached.",
		len(days), total, peakDay.Format("Mon 2 Jan"), peak, breaches)
}

// forget drops a run's upload once its digest is posted: only a retry
// needs it.
func (c *charts) forget(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.done, key)
	c.mu.Unlock()
}
