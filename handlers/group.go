package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

// Group key fields a route may group by.
const (
	GroupByCategory  = "category"
	GroupByProject   = "project"
	GroupByWorkload  = "workload" // the cluster, Cloud Run service or job
	GroupByImage     = "image"
	GroupByNamespace = "namespace"
	GroupByPod       = "pod"
	GroupByBinary    = "binary"
	GroupBySeverity  = "severity"
)

// DefaultGroupBy is the group key when a route names none: the same
// detection on the same workload and image is one burst.
var DefaultGroupBy = []string{GroupByCategory, GroupByWorkload, GroupByImage}

// GroupKey is the key under which f groups: the route's fields, each
// labelled, joined. Categories are folded so spelling variants group.
func GroupKey(f bot.Finding, route string, by []string) string {
	if len(by) == 0 {
		by = DefaultGroupBy
	}
	parts := []string{"route=" + route}
	for _, field := range by {
		parts = append(parts, field+"="+groupValue(f, field))
	}
	return strings.Join(parts, "\x1f")
}

func groupValue(f bot.Finding, field string) string {
	t := f.Target
	switch field {
	case GroupByCategory:
		return FoldCategory(f.Category)
	case GroupByProject:
		return f.Project()
	case GroupByWorkload:
		return t.Project + "/" + t.Location + "/" + t.Cluster + t.Service + t.Job
	case GroupByImage:
		return f.Image()
	case GroupByNamespace:
		return t.Namespace
	case GroupByPod:
		return t.Namespace + "/" + t.Pod
	case GroupByBinary:
		if p, ok := f.Process(); ok {
			return p.Binary
		}
	case GroupBySeverity:
		return f.Severity.String()
	}
	return ""
}

// GroupStore is what grouping needs from the store.
type GroupStore interface {
	OpenGroup(ctx context.Context, key string) (bot.Group, bool, error)
	CreateGroup(ctx context.Context, g bot.Group) error
	JoinGroup(ctx context.Context, groupID string, f bot.Finding, breakout bool) (bot.Group, error)
	CloseGroup(ctx context.Context, groupID string) error
	GroupOf(ctx context.Context, findingName string) (bot.Group, bool, error)
}

// Grouping outcomes recorded for notifications.
const (
	OutcomeGrouped  = "grouped"
	OutcomeBreakout = "breakout"
)

// grouped handles a new finding on a route that groups: it joins the open
// group with its key, or breaks out with its own card when it is more
// severe than the group, or starts a group with its own card. Findings of
// one key are handled one at a time.
func (in *Intake) grouped(ctx context.Context, f bot.Finding, d Decision) error {
	key := GroupKey(f, d.Route, d.Group.By)
	defer in.locks.lock("group\x1f" + key)()
	g, ok, err := in.groups.OpenGroup(ctx, key)
	if err != nil {
		return fmt.Errorf("open group: %w", err)
	}
	if ok && in.groupEnded(g, f, d.Group) {
		if err := in.groups.CloseGroup(ctx, g.ID); err != nil {
			return fmt.Errorf("close group: %w", err)
		}
		ok = false
	}
	if !ok {
		return in.startGroup(ctx, f, d, key)
	}
	if f.Severity > g.Worst {
		return in.breakout(ctx, f, d, g)
	}
	if _, err := in.groups.JoinGroup(ctx, g.ID, f, false); err != nil {
		return fmt.Errorf("join group: %w", err)
	}
	if err := in.store.MarkNotification(ctx, f.Key(), OutcomeGrouped); err != nil {
		return fmt.Errorf("mark notification: %w", err)
	}
	in.metrics.grouped.Inc()
	in.cards.Touch(g.Representative)
	return nil
}

// groupEnded says whether f is too late for group g: the burst has paused
// longer than the window, or the group's card is older than the repeat
// interval and should surface again.
func (in *Intake) groupEnded(g bot.Group, f bot.Finding, rule GroupRule) bool {
	if f.EventTime.Sub(g.Last) > rule.Window {
		return true
	}
	return rule.Repeat > 0 && in.now().Sub(g.OpenedAt) > rule.Repeat
}

// startGroup posts f's card and opens a group that it represents.
func (in *Intake) startGroup(ctx context.Context, f bot.Finding, d Decision, key string) error {
	ref, err := in.announce(ctx, f, d)
	if err != nil || ref.TS == "" {
		return err // failed, or the card is owed: the group starts without it
	}
	g := bot.Group{ID: newGroupID(), Key: key, Representative: f.Name, Card: ref, OpenedAt: in.now(),
		First: f.EventTime, Last: f.EventTime, Count: 1, Worst: f.Severity}
	if pod := podLabel(f); pod != "" {
		g.Pods = []string{pod}
	}
	if p, ok := f.Process(); ok && p.Binary != "" {
		g.Binaries = []string{p.Binary}
	}
	if err := in.groups.CreateGroup(ctx, g); err != nil {
		// The card is posted; without the group the next findings of the
		// burst start their own. Log, but the finding is handled.
		in.log.Error("card posted but its group not recorded", "finding", f.Name, "err", err)
	}
	return nil
}

// breakout posts a finding more severe than its group on its own card,
// and counts it in the group too.
func (in *Intake) breakout(ctx context.Context, f bot.Finding, d Decision, g bot.Group) error {
	if _, err := in.announce(ctx, f, d); err != nil {
		return err
	}
	if _, err := in.groups.JoinGroup(ctx, g.ID, f, true); err != nil {
		in.log.Error("breakout posted but not counted in its group", "finding", f.Name, "group", g.ID, "err", err)
	}
	in.metrics.breakouts.Inc()
	in.cards.Touch(g.Representative)
	return nil
}

func podLabel(f bot.Finding) string {
	switch {
	case f.Target.Pod != "":
		return f.Target.Namespace + "/" + f.Target.Pod
	case f.Target.Revision != "":
		return f.Target.Revision
	}
	return ""
}

func newGroupID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}
