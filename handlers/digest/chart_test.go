package digest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite/sqlitetest"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// events records, in order, what the fakes below were asked to do.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	e.got = append(e.got, s)
	e.mu.Unlock()
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.got...)
}

// pngChart draws a real PNG, one pixel column a day, as tall as the
// busiest day; err makes it fail instead.
type pngChart struct {
	ev   *events
	err  error
	days []Day
	opts ChartOptions
}

func (c *pngChart) Findings(days []Day, opts ChartOptions) ([]byte, error) {
	c.ev.add("chart")
	c.days, c.opts = days, opts
	if c.err != nil {
		return nil, c.err
	}
	img := image.NewGray(image.Rect(0, 0, len(days), 8))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// memUploader keeps uploads; err fails them, noLink answers without a
// permalink.
type memUploader struct {
	ev      *events
	err     error
	noLink  bool
	uploads []Upload
}

func (u *memUploader) UploadFile(_ context.Context, up Upload) (bot.FileRef, error) {
	u.ev.add("upload")
	if u.err != nil {
		return bot.FileRef{}, u.err
	}
	u.uploads = append(u.uploads, up)
	if u.noLink {
		return bot.FileRef{ID: "F0"}, nil
	}
	return bot.FileRef{ID: "F1", Permalink: "https://example.slack.com/files/U1/F1/chart.png"}, nil
}

// eventPoster records its posts as events; refuse fails the next ones.
type eventPoster struct {
	handlerstest.FakePoster
	ev     *events
	refuse int
}

func (p *eventPoster) Post(ctx context.Context, channel string, m bot.Message) (bot.MessageRef, error) {
	p.ev.add("post")
	if p.refuse > 0 {
		p.refuse--
		return bot.MessageRef{}, bot.Errorf(bot.EUnavailable, "slack is down")
	}
	return p.FakePoster.Post(ctx, channel, m)
}

type chartRig struct {
	d        *Digests
	ev       *events
	chart    *pngChart
	uploader *memUploader
	poster   *eventPoster
	reg      *prometheus.Registry
	logs     *syncBuffer
	sched    Schedule
}

func newChartRig(t *testing.T) *chartRig {
	t.Helper()
	clock := &handlerstest.TestClock{}
	db := sqlitetest.Open(t, clock.Now)
	seedWeek(t, db, clock)
	ev := &events{}
	r := &chartRig{ev: ev, chart: &pngChart{ev: ev}, uploader: &memUploader{ev: ev}, poster: &eventPoster{ev: ev},
		reg: prometheus.NewRegistry(), logs: &syncBuffer{},
		sched: Schedule{Name: "weekly", Channel: "C-digest", Spec: weekdays9(t), Location: handlerstest.Paris(t), Period: 7 * 24 * time.Hour}}
	d, err := NewDigests(db, newMemRuns(), r.poster, []Schedule{r.sched}, Options{
		Sources: Sources{AckTimes: db, Deadlines: weekDeadlines()},
		Chart:   r.chart, Uploader: r.uploader, Metrics: NewMetrics(r.reg),
		Logger: slog.New(slog.NewTextHandler(r.logs, nil)), Now: func() time.Time { return weekEnd }})
	mustDo(t, err)
	r.d = d
	return r
}

// fire runs the week's digest, as the schedule would at weekEnd.
func (r *chartRig) fire(t *testing.T) bool {
	t.Helper()
	return r.d.fire(context.Background(), r.d.schedules[0], weekEnd, r.d.log)
}

func (r *chartRig) text(t *testing.T) string {
	t.Helper()
	posts := r.poster.All()
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	return handlerstest.DigestText(posts[0].Msg)
}

func TestDigestUploadsItsChartFirstAndLinksIt(t *testing.T) {
	r := newChartRig(t)
	if !r.fire(t) {
		t.Fatal("run not done")
	}
	if got := strings.Join(r.ev.list(), " "); got != "chart upload post" {
		t.Errorf("order %q, want the chart uploaded before the digest is posted", got)
	}
	if len(r.uploader.uploads) != 1 {
		t.Fatalf("%d uploads", len(r.uploader.uploads))
	}
	up := r.uploader.uploads[0]
	if up.Channel != "C-digest" || up.Thread != "" || !strings.HasSuffix(up.Filename, ".png") {
		t.Errorf("upload to %q thread %q named %q", up.Channel, up.Thread, up.Filename)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(up.Data)); err != nil || cfg.Width != chartDays {
		t.Errorf("uploaded data is not the chart's PNG: %v, %+v", err, cfg)
	}
	// Week to Fri 20 Nov 10:00 Paris: 14 days from Sat 7 Nov. The chart
	// covers more than the week: old9's breach (Wed 11 Nov) is on it, as
	// are crit9's (Sat 14) and high9's (Sun 15, once though claimed twice);
	// late9's, at the run, is not.
	days := r.chart.days
	if first := time.Date(2026, 11, 7, 0, 0, 0, 0, r.sched.Location); len(days) != chartDays || !days[0].Date.Equal(first) {
		t.Fatalf("chart days start %v (%d days), want %s", days[0].Date, len(days), first)
	}
	breaches := map[int]int{}
	for _, d := range days {
		if d.Breaches > 0 {
			breaches[d.Date.Day()] = d.Breaches
		}
	}
	if len(breaches) != 3 || breaches[11] != 1 || breaches[14] != 1 || breaches[15] != 1 {
		t.Errorf("breaches by day %v, want 11, 14 and 15 November one each", breaches)
	}
	for _, want := range []string{"14 days", "Bar chart", "14 findings, most on Sat 14 Nov (3); 3 acknowledgement deadlines breached"} {
		if !strings.Contains(r.chart.opts.Title+" "+up.Title+" "+up.AltText, want) {
			t.Errorf("title %q, alt text %q lack %q", up.Title, up.AltText, want)
		}
	}
	text := r.text(t)
	if !strings.Contains(text, "📈 Chart: findings per day by severity over the last 14 days, deadline breaches marked <https://example.slack.com/files/U1/F1/chart.png>") {
		t.Errorf("digest does not link its chart:\n%s", text)
	}
	if n := testutil.ToFloat64(r.d.charts.metrics.chartsMissing); n != 0 {
		t.Errorf("charts missing = %v, want 0", n)
	}
}

func TestDigestIsPostedWithoutItsChart(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spoil func(r *chartRig)
		cause string
	}{
		{"chart fails", func(r *chartRig) { r.chart.err = errors.New("font missing") }, "draw chart: font missing"},
		{"upload fails", func(r *chartRig) {
			r.uploader.err = bot.Errorf(bot.EUnavailable, "files.completeUploadExternal: fatal_error")
		},
			"upload chart to C-digest"},
		{"no permalink", func(r *chartRig) { r.uploader.noLink = true }, `no permalink for file \"F0\"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newChartRig(t)
			tt.spoil(r)
			if !r.fire(t) {
				t.Fatal("the run was not done: a chart failure must not hold the digest back")
			}
			text := r.text(t)
			if !strings.Contains(text, "📈 The chart of the last 14 days is missing: it could not be drawn or uploaded.") ||
				!strings.Contains(text, "p50 6 min") {
				t.Errorf("digest without its chart:\n%s", text)
			}
			if n := testutil.ToFloat64(r.d.charts.metrics.chartsMissing); n != 1 {
				t.Errorf("charts missing = %v, want 1", n)
			}
			if got := testutil.CollectAndCount(r.reg, "sccbot_digest_charts_missing_total"); got != 1 {
				t.Errorf("registered metric series: %d", got)
			}
			logs := r.logs.String()
			if strings.Count(logs, "digest chart missing") != 1 || !strings.Contains(logs, tt.cause) {
				t.Errorf("want one log line with the cause %q:\n%s", tt.cause, logs)
			}
		})
	}
}

// A post that fails after the upload is retried with the same chart.
func TestDigestRetryLinksTheSameChart(t *testing.T) {
	r := newChartRig(t)
	r.poster.refuse = 1
	if r.fire(t) {
		t.Fatal("a failed post counted as done")
	}
	if !r.fire(t) {
		t.Fatal("retry not done")
	}
	if got := strings.Join(r.ev.list(), " "); got != "chart upload post post" {
		t.Errorf("events %q, want one chart and one upload for two tries", got)
	}
	if !strings.Contains(r.text(t), "<https://example.slack.com/files/U1/F1/chart.png>") {
		t.Errorf("retried digest does not link the chart:\n%s", r.text(t))
	}
	if len(r.d.charts.done) != 0 {
		t.Errorf("uploads kept after the post: %v", r.d.charts.done)
	}
}

// Without a chart or an uploader there is no chart and nothing missing.
func TestDigestWithoutChartConfigured(t *testing.T) {
	r := newChartRig(t)
	d, err := NewDigests(r.d.store, newMemRuns(), r.poster, []Schedule{r.sched}, Options{Chart: r.chart, Now: func() time.Time { return weekEnd }})
	mustDo(t, err)
	if !d.fire(context.Background(), d.schedules[0], weekEnd, d.log) {
		t.Fatal("run not done")
	}
	if text := r.text(t); strings.Contains(text, "📈") {
		t.Errorf("digest without a chart configured mentions one:\n%s", text)
	}
	if got := r.ev.list(); len(got) != 1 || got[0] != "post" {
		t.Errorf("events %v, want only the post", got)
	}
}
