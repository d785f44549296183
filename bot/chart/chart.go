// Package chart draws the digest's picture: findings per day by severity,
// stacked, with the acknowledgement-deadline breaches marked, as a PNG.
//
// It is pure Go (gonum.org/v1/plot with its embedded Liberation fonts), so
// the same input always gives the same bytes: no system fonts, no clock, no
// map order reaches the image.
package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/sccbot/sccbot/bot"
)

// Day is one bar: the findings first seen that day, by severity, and the
// acknowledgement deadlines missed that day.
type Day struct {
	Date     time.Time
	Counts   map[bot.Severity]int
	Breaches int
}

// Options shape the image. Zero values take the defaults.
type Options struct {
	// Title is drawn as plain text; it may carry anything (a channel or
	// route name), so it is cleaned of control characters and cut.
	Title string
	// Location is the time zone the dates are labelled in (default UTC).
	Location *time.Location
	// Width and Height are in pixels (default 1200x600).
	Width, Height int
}

// Size limits: below the minimum the labels no longer fit; above the
// maximum an image costs more memory than a digest deserves.
const (
	defaultWidth, defaultHeight = 1200, 600
	minSide, maxSide            = 200, 4000
	maxTitleRunes               = 120
	dpi                         = 96
)

// BreachLabel names the breach series in the legend.
const BreachLabel = "deadline breaches"

// NoFindings is the text an image with nothing to count carries.
const NoFindings = "no findings"

// stack lists the severities from the bottom of a bar to its top, so the
// most urgent is on top and seen first.
var stack = []bot.Severity{
	bot.SeverityUnspecified, bot.SeverityLow, bot.SeverityMedium, bot.SeverityHigh, bot.SeverityCritical,
}

// Colours chosen to stay apart for the common kinds of colour blindness,
// with red kept for CRITICAL because people expect it there.
var palette = map[bot.Severity]color.RGBA{
	bot.SeverityUnspecified: {0x9e, 0x9e, 0x9e, 0xff},
	bot.SeverityLow:         {0x4c, 0x78, 0xa8, 0xff},
	bot.SeverityMedium:      {0xf2, 0xc1, 0x2e, 0xff},
	bot.SeverityHigh:        {0xf5, 0x85, 0x18, 0xff},
	bot.SeverityCritical:    {0xd6, 0x27, 0x28, 0xff},
}

// noteColour is a slate grey: readable, and no blend of black text or of
// the bar colours with white produces it, so tests can find the note.
var noteColour = color.RGBA{0x5a, 0x64, 0x78, 0xff}

// breachColour is near black: it has to show on every bar colour.
var breachColour = color.RGBA{0x1a, 0x1a, 0x2e, 0xff}

// Colour is the fill of a severity's bars, for tests and legends elsewhere.
func Colour(s bot.Severity) color.RGBA { return palette[s] }

// Findings draws days (oldest first) and returns the PNG. Days with
// nothing, or no days at all, still give a readable image saying so.
func Findings(days []Day, opts Options) ([]byte, error) {
	opts = defaults(opts)
	if opts.Width < minSide || opts.Height < minSide || opts.Width > maxSide || opts.Height > maxSide {
		return nil, fmt.Errorf("chart size %dx%d: each side must be between %d and %d pixels",
			opts.Width, opts.Height, minSide, maxSide)
	}
	img := image.NewRGBA(image.Rect(0, 0, opts.Width, opts.Height))
	c := vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(dpi))
	if err := render(draw.New(c), days, opts); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

func defaults(o Options) Options {
	if o.Width == 0 {
		o.Width = defaultWidth
	}
	if o.Height == 0 {
		o.Height = defaultHeight
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	o.Title = cleanTitle(o.Title)
	return o
}

// cleanTitle keeps the title on one line of printable text.
func cleanTitle(t string) string {
	t = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(t, "?"))
	t = strings.Join(strings.Fields(t), " ")
	if utf8.RuneCountInString(t) > maxTitleRunes {
		t = string([]rune(t)[:maxTitleRunes-1]) + "…"
	}
	return t
}

// render lays out the plot on the left and the legend in a strip on the
// right, where it can never hide a bar.
func render(dc draw.Canvas, days []Day, opts Options) error {
	p := newPlot(opts.Title)
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(12)
	legend.Padding = vg.Points(3)

	if len(days) == 0 {
		p.HideX()
	} else if err := addSeries(p, &legend, days, opts); err != nil {
		return err
	}
	p.Y.Max = yMax(days)

	dc.Rectangle.Min.X += vg.Points(4)
	dc.Rectangle.Max.Y -= vg.Points(6)
	plotArea, legendArea := splitLegend(dc, legend)
	p.Draw(plotArea)
	if empty(days) {
		say(p.DataCanvas(plotArea), p.Title.TextStyle, NoFindings)
	}
	legendArea.Rectangle.Max.Y -= p.Title.TextStyle.Height("Ag") + p.Title.Padding
	legend.Draw(legendArea)
	return nil
}

// newPlot sets the fonts a chat preview can still read when scaled down.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(16)
	p.Title.Padding = vg.Points(8)
	p.Y.Label.Text = "findings"
	p.Y.Label.TextStyle.Font.Size = vg.Points(13)
	p.Y.Tick.Label.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(11)
	p.Y.Min = 0
	p.Y.Tick.Marker = countTicks{}
	return p
}

// addSeries adds one stacked bar series per severity present (CRITICAL
// last, so on top) and the breach markers, and labels the days.
func addSeries(p *plot.Plot, legend *plot.Legend, days []Day, opts Options) error {
	var below *plotter.BarChart
	var entries []func()
	for _, sev := range stack {
		if sev == bot.SeverityUnspecified && total(days, sev) == 0 {
			continue // a colour nobody needs only clutters the legend
		}
		b, err := plotter.NewBarChart(counts(days, sev), barWidth(opts.Width, len(days)))
		if err != nil {
			return fmt.Errorf("bars for %s: %w", sev, err)
		}
		b.Color = palette[sev]
		b.LineStyle.Width = 0
		if below != nil {
			b.StackOn(below)
		}
		p.Add(b)
		below = b
		entries = append(entries, func() { legend.Add(sev.String(), b) })
	}
	for i := len(entries) - 1; i >= 0; i-- { // the legend reads top down, like the bars
		entries[i]()
	}
	line, points, err := breachSeries(days)
	if err != nil {
		return err
	}
	p.Add(line, points)
	legend.Add(BreachLabel, line, points)
	p.NominalX(dayLabels(days, opts.Location, opts.Width/75)...)
	return nil
}

func breachSeries(days []Day) (*plotter.Line, *plotter.Scatter, error) {
	xys := make(plotter.XYs, len(days))
	for i, d := range days {
		xys[i] = plotter.XY{X: float64(i), Y: float64(max(d.Breaches, 0))}
	}
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, nil, fmt.Errorf("breach series: %w", err)
	}
	line.Color = breachColour
	line.Width = vg.Points(2)
	line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	points.Color = breachColour
	points.Shape = draw.CircleGlyph{}
	points.Radius = vg.Points(4)
	return line, points, nil
}

// dayLabels names the days ("Mon 30") in loc. When more days than fit
// labels side by side (about one per 75 pixels), only every n-th is named.
func dayLabels(days []Day, loc *time.Location, fit int) []string {
	fit = max(fit, 1)
	step := (len(days) + fit - 1) / fit
	out := make([]string, len(days))
	for i, d := range days {
		if i%step == 0 {
			out[i] = d.Date.In(loc).Format("Mon 2")
		}
	}
	return out
}

func counts(days []Day, sev bot.Severity) plotter.Values {
	v := make(plotter.Values, len(days))
	for i, d := range days {
		v[i] = float64(max(d.Counts[sev], 0))
	}
	return v
}

func total(days []Day, sev bot.Severity) int {
	n := 0
	for _, d := range days {
		n += max(d.Counts[sev], 0)
	}
	return n
}

func dayTotal(d Day) int {
	n := 0
	for _, c := range d.Counts {
		n += max(c, 0)
	}
	return n
}

// empty reports whether there is nothing at all to show.
func empty(days []Day) bool {
	for _, d := range days {
		if dayTotal(d) > 0 || d.Breaches > 0 {
			return false
		}
	}
	return true
}

// yMax leaves a little room above the tallest bar or breach mark, and
// keeps an empty chart's axis from collapsing.
func yMax(days []Day) float64 {
	top := 0
	for _, d := range days {
		top = max(top, dayTotal(d), d.Breaches)
	}
	if top == 0 {
		return 1
	}
	return math.Ceil(float64(top) * 1.08)
}

// barWidth spreads n bars over the plot, leaving gaps between them.
func barWidth(widthPx, n int) vg.Length {
	plotPts := vg.Length(float64(widthPx)*72/dpi) * 0.8
	return max(plotPts/vg.Length(n)*0.7, vg.Points(1))
}

// splitLegend cuts a strip for the legend off the right of c.
func splitLegend(c draw.Canvas, l plot.Legend) (plotArea, legendArea draw.Canvas) {
	w := l.TextStyle.Width(BreachLabel) + l.ThumbnailWidth + vg.Points(24)
	plotArea, legendArea = c, c
	plotArea.Rectangle.Max.X -= w
	legendArea.Rectangle.Min.X = plotArea.Rectangle.Max.X + vg.Points(12)
	return plotArea, legendArea
}

// say writes msg in the middle of the data area.
func say(c draw.Canvas, sty text.Style, msg string) {
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	sty.Color = noteColour
	sty.Font.Size = vg.Points(20)
	c.FillText(sty, c.Center(), msg)
}

// countTicks labels the count axis with whole numbers only, grouped by
// thousands ("10,000"), where the default would print "1e+04".
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Label == "" || t.Value != math.Trunc(t.Value) {
			out = append(out, plot.Tick{Value: t.Value})
			continue
		}
		out = append(out, plot.Tick{Value: t.Value, Label: group(int64(t.Value))})
	}
	return out
}

// group writes n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
