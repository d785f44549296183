package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Span names a period's length for people.
func Span(d time.Duration) string {
	switch d {
	case 24 * time.Hour:
		return "24 hours"
	case 7 * 24 * time.Hour:
		return "7 days"
	}
	return FormatDuration(d)
}

// Change is how cur compares with prev.
func Change(cur, prev int) string {
	switch {
	case prev == 0 && cur > 0:
		return "new"
	case cur > prev:
		return fmt.Sprintf("+%d", cur-prev)
	case cur < prev:
		return fmt.Sprintf("−%d", prev-cur)
	}
	return "±0"
}

// FormatDuration is a duration for people, to the minute.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%d d", days)
	}
	return fmt.Sprintf("%d d %d h", days, h)
}

// Muted reports whether SCC has the finding muted.
func Muted(f bot.FindingStatus) bool { return f.Mute == "MUTED" }

// Clip shortens s to n runes for a fixed-width line.
func Clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}

// FindingLink names a finding by its short id, linked to the console.
func FindingLink(f bot.Finding) bot.Span {
	if u := bot.FindingURL(f); u != "" {
		return bot.Link(f.ShortID(), u)
	}
	return bot.M(f.ShortID())
}

// WhereOf is the most precise place a finding names.
func WhereOf(f bot.Finding) string {
	t := f.Target
	switch {
	case t.Pod != "":
		return strings.TrimPrefix(t.Namespace+"/"+t.Pod, "/")
	case t.Revision != "":
		return t.Revision
	case t.Execution != "":
		return t.Execution
	case f.Image() != "":
		return f.Image()
	}
	return ""
}

// ProductOf tells which product a finding is about (GKE, Cloud Run, ...).
func ProductOf(f bot.Finding) bot.Product {
	if f.Target.Product == "" {
		return bot.ProductOther
	}
	return f.Target.Product
}
