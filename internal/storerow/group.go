package storerow

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Group is a group encoded for the groups table: pods and binaries as JSON
// arrays, booleans as 0 or 1.
type Group struct {
	ID, Key, Representative, Channel, TS string
	OpenedAt, First, Last                string
	Count                                int
	Worst, Pods                          string
	MorePods                             int
	Binaries                             string
	MoreBinaries, Closed                 int
}

// NewGroup encodes g.
func NewGroup(g bot.Group) (Group, error) {
	// The card may be missing (or only its channel known): main's grouping
	// creates a group before its card is posted (SetGroupCard).
	if g.ID == "" || g.Key == "" || g.Representative == "" {
		return Group{}, bot.Errorf(bot.EInvalid, "group needs an id, a key and a representative")
	}
	pods, err := json.Marshal(nonNil(g.Pods))
	if err != nil {
		return Group{}, err
	}
	bins, err := json.Marshal(nonNil(g.Binaries))
	if err != nil {
		return Group{}, err
	}
	first, err := EncodeTime("group first event", g.First)
	if err != nil {
		return Group{}, err
	}
	last, err := EncodeTime("group last event", g.Last)
	if err != nil {
		return Group{}, err
	}
	return Group{ID: g.ID, Key: g.Key, Representative: g.Representative, Channel: g.Card.Channel, TS: g.Card.TS,
		OpenedAt: FormatTime(g.OpenedAt), First: first, Last: last, Count: g.Count, Worst: g.Worst.String(),
		Pods: string(pods), MorePods: g.MorePods, Binaries: string(bins), MoreBinaries: g.MoreBinaries,
		Closed: BoolInt(g.Closed)}, nil
}

// Decode turns a stored row back into a group.
func (row Group) Decode() (bot.Group, error) {
	g := bot.Group{ID: row.ID, Key: row.Key, Representative: row.Representative,
		Card: bot.MessageRef{Channel: row.Channel, TS: row.TS}, Count: row.Count,
		MorePods: row.MorePods, MoreBinaries: row.MoreBinaries, Closed: row.Closed == 1}
	g.Worst, _ = bot.ParseSeverity(row.Worst)
	if err := json.Unmarshal([]byte(row.Pods), &g.Pods); err != nil {
		return bot.Group{}, fmt.Errorf("group pods: %w", err)
	}
	if err := json.Unmarshal([]byte(row.Binaries), &g.Binaries); err != nil {
		return bot.Group{}, fmt.Errorf("group binaries: %w", err)
	}
	var err error
	for _, t := range []struct {
		dst *time.Time
		src string
	}{{&g.OpenedAt, row.OpenedAt}, {&g.First, row.First}, {&g.Last, row.Last}} {
		if *t.dst, err = ParseTime(t.src); err != nil {
			return bot.Group{}, err
		}
	}
	return g, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// BoolInt is b as the 0 or 1 the tables store.
func BoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Fold adds one finding to a group's figures.
func Fold(g bot.Group, f bot.Finding) bot.Group {
	g.Count++
	if !f.EventTime.IsZero() && (g.First.IsZero() || f.EventTime.Before(g.First)) {
		g.First = f.EventTime
	}
	if f.EventTime.After(g.Last) {
		g.Last = f.EventTime
	}
	g.Worst = max(g.Worst, f.Severity)
	if pod := podOf(f); pod != "" {
		g.Pods, g.MorePods = addDistinct(g.Pods, g.MorePods, pod)
	}
	if p, ok := f.Process(); ok && p.Binary != "" {
		g.Binaries, g.MoreBinaries = addDistinct(g.Binaries, g.MoreBinaries, p.Binary)
	}
	return g
}

// podOf is the place a member ran: its pod, or its Cloud Run revision.
func podOf(f bot.Finding) string {
	switch {
	case f.Target.Pod != "":
		return f.Target.Namespace + "/" + f.Target.Pod
	case f.Target.Revision != "":
		return f.Target.Revision
	}
	return ""
}

// addDistinct adds v to a bounded set. Values past the bound are only
// counted (approximately: values beyond it are not remembered, so a value
// seen twice there counts twice).
func addDistinct(vals []string, more int, v string) ([]string, int) {
	if slices.Contains(vals, v) {
		return vals, more
	}
	if len(vals) < bot.MaxGroupValues {
		return append(vals, v), more
	}
	return vals, more + 1
}
