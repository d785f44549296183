package intake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

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
// severe than the group, or starts a group with its own card. Decisions
// for one key are taken one at a time, but the card of a new group is
// posted after the group is recorded, outside that lock: the members that
// arrive while the card waits for the channel's pace join at once instead
// of holding their notifications (and the source's flow control) hostage.
func (in *Intake) grouped(ctx context.Context, f bot.Finding, d Decision) error {
	g, post, err := in.joinOrStart(ctx, f, d)
	switch {
	case err != nil || post.what == postNothing:
		return err
	case post.what == postBreakout:
		return in.breakout(ctx, f, d, g, &post.intent)
	}
	return in.postGroupCard(ctx, f, d)
}

// posting is what f must post after joinOrStart; a breakout's card intent
// is already recorded.
type posting struct {
	what   int
	intent begun
}

// What f must post after joinOrStart.
const (
	postNothing   = iota // f joined the group
	postGroupCard        // f represents the group: its card is the group's
	postBreakout         // f is more severe than the group: a card of its own
)

// joinOrStart decides under the key's lock what f does: join the open
// group, post the card of a group it represents (new, or one whose card a
// crash or failure left unposted), or break out of the open group with a
// card of its own. A breakout is counted in the group (raising its worst
// severity) before its card is posted, so that findings of the same
// severity arriving meanwhile join rather than break out too.
func (in *Intake) joinOrStart(ctx context.Context, f bot.Finding, d Decision) (bot.Group, posting, error) {
	key := GroupKey(f, d.Route, d.Group.By)
	defer in.locks.Lock("group\x1f" + key)()
	g, ok, err := in.groups.OpenGroup(ctx, key)
	if err != nil {
		return bot.Group{}, posting{}, fmt.Errorf("open group: %w", err)
	}
	if ok && in.groupEnded(g, f, d.Group) {
		if err := in.groups.CloseGroup(ctx, g.ID); err != nil {
			return bot.Group{}, posting{}, fmt.Errorf("close group: %w", err)
		}
		ok = false
	}
	switch {
	case !ok:
		g = newGroup(f, key, d.Channel, in.now())
		if err := in.groups.CreateGroup(ctx, g); err != nil {
			return bot.Group{}, posting{}, fmt.Errorf("create group: %w", err)
		}
		return g, posting{what: postGroupCard}, nil
	case g.Representative == f.Name:
		return g, posting{what: postGroupCard}, nil
	case f.Severity > g.Worst:
		// The card's intent first: once f is counted as a breakout it is
		// never listed, so a crash after the join must leave its card due
		// (see shownAt), never nothing.
		intent, err := in.begin(ctx, f, d)
		if err != nil {
			return bot.Group{}, posting{}, err
		}
		if _, err := in.groups.JoinGroup(ctx, g.ID, f, true); err != nil {
			return bot.Group{}, posting{}, fmt.Errorf("join group: %w", err)
		}
		return g, posting{what: postBreakout, intent: intent}, nil
	}
	if _, err := in.groups.JoinGroup(ctx, g.ID, f, false); err != nil {
		return bot.Group{}, posting{}, fmt.Errorf("join group: %w", err)
	}
	if err := in.store.MarkNotification(ctx, f.Key(), OutcomeGrouped); err != nil {
		return bot.Group{}, posting{}, fmt.Errorf("mark notification: %w", err)
	}
	in.metrics.grouped.Inc()
	in.cards.Touch(g.Representative)
	return bot.Group{}, posting{}, nil
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

// newGroup is the group f starts. Its card is not posted yet: the group
// knows only its channel, where its members can be listed meanwhile.
func newGroup(f bot.Finding, key, channel string, now time.Time) bot.Group {
	g := bot.Group{ID: newGroupID(), Key: key, Representative: f.Name, OpenedAt: now, Card: bot.MessageRef{Channel: channel},
		First: f.EventTime, Last: f.EventTime, Count: 1, Worst: f.Severity}
	if pod := podLabel(f); pod != "" {
		g.Pods = []string{pod}
	}
	if p, ok := f.Process(); ok && p.Binary != "" {
		g.Binaries = []string{p.Binary}
	}
	return g
}

// postGroupCard posts the card of the group f represents. Recording the
// card records it on the group too (PutPostedCard), whose members are
// listed in its thread from then on. A severe card named in a burst is
// owed, and recorded the same way when Owed posts it.
func (in *Intake) postGroupCard(ctx context.Context, f bot.Finding, d Decision) error {
	ref, err := in.announce(ctx, f, d)
	if err != nil || ref.Empty() {
		return err
	}
	in.cards.Touch(f.Name) // members may have joined while the card waited
	return nil
}

// breakout posts a finding more severe than its group on its own card,
// and counts it in the group too. intent is its card's, when recorded
// already.
func (in *Intake) breakout(ctx context.Context, f bot.Finding, d Decision, g bot.Group, intent *begun) error {
	if intent == nil {
		b, err := in.begin(ctx, f, d)
		if err != nil {
			return err
		}
		intent = &b
	}
	if _, err := in.post(ctx, f, d, *intent); err != nil {
		return err
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
