package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"

	"github.com/sccbot/sccbot/bot"
)

var monday = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// fortnight returns 14 days with the same counts each day.
func fortnight(counts map[bot.Severity]int, breaches int) []Day {
	days := make([]Day, 14)
	for i := range days {
		days[i] = Day{Date: monday.AddDate(0, 0, i), Counts: counts, Breaches: breaches}
	}
	return days
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

func picture(t *testing.T, days []Day, opts Options) image.Image {
	t.Helper()
	b, err := Findings(days, opts)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

func same(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	return uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(b>>8) == want.B
}

// plotWidth is the part of an image left of the legend strip: colours
// counted there are bars and marks, not legend swatches.
func plotWidth(img image.Image) int { return img.Bounds().Dx() * 5 / 6 }

// count counts the pixels of colour c in the plot part of img.
func count(img image.Image, c color.RGBA) int { return countAbove(img, c, 1) }

// topmost returns the smallest y of colour c in column x, or -1.
func topmost(img image.Image, x int, c color.RGBA) int {
	for y := 0; y < img.Bounds().Dy(); y++ {
		if same(img.At(x, y), c) {
			return y
		}
	}
	return -1
}

func TestFindingsIsAPNGOfTheAskedSize(t *testing.T) {
	days := fortnight(map[bot.Severity]int{bot.SeverityHigh: 3}, 1)
	for _, tt := range []struct {
		opts Options
		w, h int
	}{
		{Options{}, 1200, 600},
		{Options{Width: 800, Height: 450}, 800, 450},
		{Options{Width: 201, Height: 333}, 201, 333},
	} {
		img := picture(t, days, tt.opts)
		if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
			t.Errorf("opts %+v: image is %dx%d, want %dx%d", tt.opts, b.Dx(), b.Dy(), tt.w, tt.h)
		}
	}
}

func TestFindingsRefusesUnreasonableSizes(t *testing.T) {
	for _, o := range []Options{{Width: 10, Height: 600}, {Width: 1200, Height: -1}, {Width: 20000, Height: 600}} {
		if _, err := Findings(nil, o); err == nil {
			t.Errorf("%dx%d: no error", o.Width, o.Height)
		}
	}
}

func TestFindingsIsDeterministic(t *testing.T) {
	days := fortnight(map[bot.Severity]int{
		bot.SeverityCritical: 2, bot.SeverityHigh: 5, bot.SeverityMedium: 7, bot.SeverityLow: 11, bot.SeverityUnspecified: 1,
	}, 3)
	opts := Options{Title: "secops: last 14 days"}
	first, err := Findings(days, opts)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		// Map iteration order changes from run to run; the bytes must not.
		again, err := Findings(days, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("the same input gave different bytes")
		}
	}
}

// The image carries the counts: which colour fills the bars follows the
// severities, heights are proportional, and CRITICAL sits on top.
func TestBarsFollowTheCounts(t *testing.T) {
	crit, low := Colour(bot.SeverityCritical), Colour(bot.SeverityLow)
	onlyCrit := picture(t, fortnight(map[bot.Severity]int{bot.SeverityCritical: 10}, 0), Options{})
	onlyLow := picture(t, fortnight(map[bot.Severity]int{bot.SeverityLow: 10}, 0), Options{})
	if n := count(onlyCrit, low); n != 0 {
		t.Errorf("CRITICAL-only chart has %d LOW pixels in the plot", n)
	}
	if n := count(onlyLow, crit); n != 0 {
		t.Errorf("LOW-only chart has %d CRITICAL pixels in the plot", n)
	}
	critArea, lowArea := count(onlyCrit, crit), count(onlyLow, low)
	if critArea < 50000 || lowArea < 50000 {
		t.Fatalf("bars too small: %d CRITICAL pixels, %d LOW pixels", critArea, lowArea)
	}

	half := picture(t, fortnight(map[bot.Severity]int{bot.SeverityCritical: 5, bot.SeverityLow: 15}, 0), Options{})
	c, l := count(half, crit), count(half, low)
	if ratio := float64(l) / float64(c); ratio < 2.8 || ratio > 3.2 {
		t.Errorf("LOW:CRITICAL area = %d:%d (%.2f), want about 3", l, c, ratio)
	}
	x := columnOf(half, crit)
	if x < 0 {
		t.Fatal("no CRITICAL column found")
	}
	if tc, tl := topmost(half, x, crit), topmost(half, x, low); tl < 0 || tc >= tl {
		t.Errorf("column %d: CRITICAL starts at y=%d, LOW at y=%d; CRITICAL should be on top", x, tc, tl)
	}
}

// columnOf returns an x in the plot part that shows colour c, or -1.
func columnOf(img image.Image, c color.RGBA) int {
	for x := 0; x < plotWidth(img); x++ {
		if topmost(img, x, c) >= 0 {
			return x
		}
	}
	return -1
}

func TestBreachesAreMarked(t *testing.T) {
	counts := map[bot.Severity]int{bot.SeverityHigh: 10}
	none := picture(t, fortnight(counts, 0), Options{})
	some := picture(t, fortnight(counts, 8), Options{})
	// Without breaches the series lies on the x axis; with eight a day it
	// runs across the bars, well above the bottom fifth of the image.
	if n := countAbove(none, breachColour, 0.8); n != 0 {
		t.Errorf("%d breach-coloured pixels above the axis with no breaches", n)
	}
	if n := countAbove(some, breachColour, 0.8); n < 500 {
		t.Errorf("only %d breach-coloured pixels above the axis with 8 breaches a day", n)
	}
}

// countAbove counts the pixels of colour c in the plot part of img above
// the given fraction of its height.
func countAbove(img image.Image, c color.RGBA, frac float64) int {
	n := 0
	for y := 0; y < int(float64(img.Bounds().Dy())*frac); y++ {
		for x := 0; x < plotWidth(img); x++ {
			if same(img.At(x, y), c) {
				n++
			}
		}
	}
	return n
}

func TestEmptyChartsSayNoFindings(t *testing.T) {
	for name, days := range map[string][]Day{
		"no days":    nil,
		"zero days":  fortnight(nil, 0),
		"zero count": fortnight(map[bot.Severity]int{bot.SeverityHigh: 0}, 0),
	} {
		t.Run(name, func(t *testing.T) {
			img := picture(t, days, Options{})
			if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 600 {
				t.Fatalf("size %v", b)
			}
			if n := count(img, noteColour); n < 100 {
				t.Errorf("%d pixels of the note's colour; the note is missing", n)
			}
		})
	}
	busy := picture(t, fortnight(map[bot.Severity]int{bot.SeverityHigh: 1}, 0), Options{})
	if n := count(busy, noteColour); n != 0 {
		t.Errorf("a chart with findings shows %d pixels of the 'no findings' note", n)
	}
}

func TestTenThousandADay(t *testing.T) {
	days := fortnight(map[bot.Severity]int{bot.SeverityCritical: 1000, bot.SeverityHigh: 2000, bot.SeverityLow: 7000}, 400)
	img := picture(t, days, Options{})
	// The stack reaches the top of the plot: CRITICAL is drawn in the top
	// fifth of the image.
	x := columnOf(img, Colour(bot.SeverityCritical))
	if y := topmost(img, x, Colour(bot.SeverityCritical)); y < 0 || y > img.Bounds().Dy()/5 {
		t.Errorf("CRITICAL top at y=%d, want in the top fifth", y)
	}
	if got := (countTicks{}).Ticks(0, 10800); !hasLabel(got, "10,000") {
		t.Errorf("count axis ticks %v lack 10,000", got)
	}
}

func hasLabel(ticks []plot.Tick, label string) bool {
	for _, t := range ticks {
		if t.Label == label {
			return true
		}
	}
	return false
}

func TestTitleIsOneLineOfText(t *testing.T) {
	for in, want := range map[string]string{
		"secops %s %d %!v":         "secops %s %d %!v",
		"line\nbreak\tand\x1b[31m": "line break and [31m",
		"  spaced   out ":          "spaced out",
		"bad\xffutf8":              "bad?utf8",
		"\u202egnirts":             "gnirts",
	} {
		if got := cleanTitle(in); got != want {
			t.Errorf("cleanTitle(%q) = %q, want %q", in, got, want)
		}
	}
	long := cleanTitle(strings.Repeat("x", 500))
	if n := len([]rune(long)); n != maxTitleRunes || !strings.HasSuffix(long, "…") {
		t.Errorf("long title cut to %d runes (%q...)", n, long[:10])
	}
	// The title reaches the image, whatever it holds.
	days := fortnight(map[bot.Severity]int{bot.SeverityLow: 1}, 0)
	a, _ := Findings(days, Options{Title: "%s%s%s%s"})
	b, _ := Findings(days, Options{Title: "other"})
	if bytes.Equal(a, b) {
		t.Error("two titles gave the same image")
	}
}

func TestDayLabels(t *testing.T) {
	days := fortnight(nil, 0)
	got := dayLabels(days, time.UTC, 16)
	if got[0] != "Mon 23" || got[7] != "Mon 30" || got[13] != "Sun 6" {
		t.Errorf("labels %q", got)
	}
	// Midnight UTC is still the day before in California.
	if got := dayLabels(days[:1], time.FixedZone("PST", -8*3600), 16); got[0] != "Sun 22" {
		t.Errorf("Los Angeles label %q, want Sun 22", got[0])
	}
	// Too many days for the width: every other one is named.
	sparse := dayLabels(days, time.UTC, 7)
	if sparse[0] == "" || sparse[1] != "" || sparse[2] == "" {
		t.Errorf("sparse labels %q", sparse)
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := group(n); got != want {
			t.Errorf("group(%d) = %q, want %q", n, got, want)
		}
	}
}

func BenchmarkChart14Days(b *testing.B) {
	days := fortnight(map[bot.Severity]int{
		bot.SeverityCritical: 40, bot.SeverityHigh: 300, bot.SeverityMedium: 2000, bot.SeverityLow: 7660,
	}, 12)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Findings(days, Options{Title: "findings, last 14 days"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChartEmpty(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Findings(nil, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFindingsConcurrently: digests of several routes may render at once;
// gonum's font cache is shared, so the bytes must still match.
func TestFindingsConcurrently(t *testing.T) {
	days := fortnight(map[bot.Severity]int{bot.SeverityCritical: 3, bot.SeverityLow: 9}, 2)
	want, err := Findings(days, Options{})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan []byte, 4)
	for range 4 {
		go func() {
			b, _ := Findings(days, Options{})
			results <- b
		}()
	}
	for range 4 {
		if got := <-results; !bytes.Equal(got, want) {
			t.Error("a concurrent rendering differs")
		}
	}
}
