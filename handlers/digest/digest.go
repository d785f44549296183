package digest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/playbooks"
)

// Count is how many findings share one value (a severity, a
// category, a project) in a period and in the period before.
//
// It and ActionCount are aliases of unnamed struct types, not named
// types: a store returns them, and adapters may not import handlers, while
// handlers may not import adapters. Identical unnamed types are one type in
// Go, so a store that spells out the same struct satisfies Store.
type Count = struct {
	Key      string
	Count    int
	Previous int
}

// ActionCount is how many requests for an action one person asked
// for and another decided (approved, or the bot when none was needed).
type ActionCount = struct {
	Action      string
	RequestedBy string
	DecidedBy   string
	Count       int
}

// Dimensions a digest groups findings by (FindingGroups' by).
const (
	DigestBySeverity = "severity"
	DigestByCategory = "category"
	DigestByProject  = "project"
)

// Store is what the digest's figures come from. Findings belong to
// a period by when the store first saw them; periods include from and
// exclude to.
type Store interface {
	// CountFindings counts findings in each [bounds[i], bounds[i+1]).
	CountFindings(ctx context.Context, bounds []time.Time) ([]int, error)
	// FindingGroups returns the limit groups by a dimension with most
	// findings in [from, to), with their count in [prevFrom, from), and
	// how many groups have findings in [from, to).
	FindingGroups(ctx context.Context, by string, prevFrom, from, to time.Time, limit int) (top []Count, groups int, err error)
	// UnacknowledgedFindings returns the limit most severe (then newest)
	// active, unmuted findings with a card, first seen in [since, before),
	// that nobody acknowledged, and how many there are.
	UnacknowledgedFindings(ctx context.Context, since, before time.Time, limit int) ([]bot.Finding, int, error)
	// ActionCounts counts the requests done (not dry runs) in [from, to).
	ActionCounts(ctx context.Context, from, to time.Time) ([]ActionCount, error)
	// MeanTimeToAck covers the acknowledgements made in [from, to).
	MeanTimeToAck(ctx context.Context, from, to time.Time) (n int, mean time.Duration, err error)
	// MeanTimeToContain covers the findings first contained (by a done
	// request for one of actions) in [from, to).
	MeanTimeToContain(ctx context.Context, actions []string, from, to time.Time) (n int, mean time.Duration, err error)
	// FindingsWithOutcome counts distinct findings with a notification
	// handled in [from, to) with the outcome.
	FindingsWithOutcome(ctx context.Context, outcome string, from, to time.Time) (int, error)
}

// Kinds of action a digest reports.
const (
	KindContained = "contained"
	KindPaged     = "paged"
	KindMuted     = "muted"
	KindResolved  = "resolved"
	KindOther     = "other"
)

// digestKinds is the order kinds are shown in.
func digestKinds() []string {
	return []string{KindContained, KindPaged, KindMuted, KindResolved, KindOther}
}

// containmentActions stop or cut off a compromised workload.
func containmentActions() []string {
	return []string{bot.ActionIsolatePod, bot.ActionDeletePod, bot.ActionCordonNode,
		bot.ActionCloudRunRollback, bot.ActionCloudRunCancelExecution}
}

func actionKind(action string) string {
	switch {
	case slices.Contains(containmentActions(), action):
		return KindContained
	case action == bot.ActionPageOwner:
		return KindPaged
	case action == bot.ActionMute:
		return KindMuted
	case action == bot.ActionResolve:
		return KindResolved
	}
	return KindOther
}

// Digest is the figures of one period.
type Digest struct {
	From, To time.Time
	// Total findings first seen in the period, and in the period of the
	// same length before it.
	Total, Previous int
	// Severities present in either period, most urgent first; Key is
	// SCC's name (HIGH).
	Severities []Count
	// Categories and Projects are the top ones of the period. The Other*
	// fields count the groups not listed and their findings.
	Categories                             []Count
	OtherCategories, OtherCategoryFindings int
	Projects                               []Count
	OtherProjects, OtherProjectFindings    int
	// Daily counts findings per 24 hours over the 7 days ending at To,
	// oldest first.
	Daily []int
	// Unacknowledged are the most urgent open findings nobody
	// acknowledged, out of UnacknowledgedTotal.
	Unacknowledged      []bot.Finding
	UnacknowledgedTotal int
	// Actions done in the period, by kind (only kinds that happened).
	Actions []Action
	// Silenced counts findings kept off chat by a silence.
	Silenced int
	// Acks and Containments are the findings acknowledged and first
	// contained in the period, with the mean time from arrival to each.
	Acks, Containments               int
	MeanTimeToAck, MeanTimeToContain time.Duration

	// The figures of Sources (ComputeDigestWith); each is nil when its
	// source was not given. AckTimes are most urgent severity first.
	AckTimes  []AckPercentiles
	Deadlines *DeadlineCounts
	Tuning    *Tuning
	// Chart is the chart of the last days, once the schedule made it.
	Chart ChartLink
}

// ChartLink is the digest's chart: where it was uploaded, or that it
// should have been and is missing. The zero value means no chart.
type ChartLink struct {
	Permalink string
	Missing   bool
}

// Action is what was done of one kind, and by whom.
type Action struct {
	Kind  string
	Count int
	// RequestedBy and ApprovedBy list people by how many they asked for
	// or approved, most first. Actions the policy let run without
	// approval have no approver.
	RequestedBy, ApprovedBy []Person
}

// Person is a chat user and a count.
type Person struct {
	User  string
	Count int
}

// Limits bound what a digest lists.
type Limits struct {
	// Top is how many categories and projects are listed (default 8).
	Top int
	// Unacknowledged is how many open findings are listed (default 10).
	Unacknowledged int
	// Lookback is how far before the period's end open findings are
	// looked for (default 7 days): older ones are the console's job.
	Lookback time.Duration
}

// maxDigestList bounds the lists: the message has room for about this
// many lines of each, however many are asked for.
const maxDigestList = 50

func (l Limits) withDefaults() Limits {
	if l.Top <= 0 {
		l.Top = 8
	}
	if l.Unacknowledged <= 0 {
		l.Unacknowledged = 10
	}
	if l.Lookback <= 0 {
		l.Lookback = 7 * 24 * time.Hour
	}
	l.Top, l.Unacknowledged = min(l.Top, maxDigestList), min(l.Unacknowledged, maxDigestList)
	return l
}

// digestDays is how many days the sparkline covers.
const digestDays = 7

// ComputeDigest reads the figures of [from, to) from the store.
func ComputeDigest(ctx context.Context, store Store, from, to time.Time, lim Limits) (Digest, error) {
	if !from.Before(to) {
		return Digest{}, bot.Errorf(bot.EInvalid, "digest period %s to %s is empty", from, to)
	}
	lim = lim.withDefaults()
	d := Digest{From: from, To: to}
	steps := []func(context.Context, Store, *Digest, Limits) error{
		digestTotals, digestGroups, digestOpen, digestActions, digestTimes,
	}
	for _, step := range steps {
		if err := step(ctx, store, &d, lim); err != nil {
			return Digest{}, fmt.Errorf("digest: %w", err)
		}
	}
	return d, nil
}

// previousFrom is the start of the period of the same length before d's.
func (d *Digest) previousFrom() time.Time { return d.From.Add(-d.To.Sub(d.From)) }

func digestTotals(ctx context.Context, s Store, d *Digest, _ Limits) error {
	totals, err := s.CountFindings(ctx, []time.Time{d.previousFrom(), d.From, d.To})
	if err != nil {
		return fmt.Errorf("count findings: %w", err)
	}
	if len(totals) != 2 {
		return fmt.Errorf("count findings: %d counts for 2 periods", len(totals))
	}
	d.Previous, d.Total = totals[0], totals[1]
	bounds := make([]time.Time, digestDays+1)
	for i := range bounds {
		bounds[i] = d.To.Add(-time.Duration(digestDays-i) * 24 * time.Hour)
	}
	if d.Daily, err = s.CountFindings(ctx, bounds); err != nil {
		return fmt.Errorf("count findings per day: %w", err)
	}
	d.Silenced, err = s.FindingsWithOutcome(ctx, handlers.OutcomeSilenced, d.From, d.To)
	return err
}

func digestGroups(ctx context.Context, s Store, d *Digest, lim Limits) error {
	sev, _, err := s.FindingGroups(ctx, DigestBySeverity, d.previousFrom(), d.From, d.To, 16)
	if err != nil {
		return err
	}
	d.Severities = bySeverity(sev)
	d.Categories, d.OtherCategories, d.OtherCategoryFindings, err = topGroups(ctx, s, d, DigestByCategory, lim.Top)
	if err != nil {
		return err
	}
	d.Projects, d.OtherProjects, d.OtherProjectFindings, err = topGroups(ctx, s, d, DigestByProject, lim.Top)
	return err
}

// topGroups returns the groups of the period and what they leave out.
func topGroups(ctx context.Context, s Store, d *Digest, by string, limit int) (top []Count, others, otherFindings int, err error) {
	rows, groups, err := s.FindingGroups(ctx, by, d.previousFrom(), d.From, d.To, limit)
	if err != nil {
		return nil, 0, 0, err
	}
	listed := 0
	for _, r := range rows {
		if r.Count > 0 { // groups only the previous period had
			top = append(top, r)
			listed += r.Count
		}
	}
	return top, max(groups-len(top), 0), max(d.Total-listed, 0), nil
}

// bySeverity merges the rows by severity (a store may hold names this
// binary does not know) and orders them most urgent first.
func bySeverity(rows []Count) []Count {
	merged := map[bot.Severity]Count{}
	for _, r := range rows {
		sev, _ := bot.ParseSeverity(r.Key)
		m := merged[sev]
		m.Key, m.Count, m.Previous = sev.String(), m.Count+r.Count, m.Previous+r.Previous
		merged[sev] = m
	}
	var out []Count
	for sev := bot.SeverityCritical; sev >= bot.SeverityUnspecified; sev-- {
		if m, ok := merged[sev]; ok {
			out = append(out, m)
		}
	}
	return out
}

func digestOpen(ctx context.Context, s Store, d *Digest, lim Limits) error {
	var err error
	d.Unacknowledged, d.UnacknowledgedTotal, err = s.UnacknowledgedFindings(ctx, d.To.Add(-lim.Lookback), d.To, lim.Unacknowledged)
	return err
}

func digestActions(ctx context.Context, s Store, d *Digest, _ Limits) error {
	rows, err := s.ActionCounts(ctx, d.From, d.To)
	if err != nil {
		return err
	}
	requested := map[string]map[string]int{}
	approved := map[string]map[string]int{}
	counts := map[string]int{}
	for _, r := range rows {
		kind := actionKind(r.Action)
		counts[kind] += r.Count
		addPerson(requested, kind, r.RequestedBy, r.Count)
		if r.DecidedBy != "" && r.DecidedBy != playbooks.System {
			addPerson(approved, kind, r.DecidedBy, r.Count)
		}
	}
	for _, kind := range digestKinds() {
		if counts[kind] > 0 {
			d.Actions = append(d.Actions, Action{Kind: kind, Count: counts[kind],
				RequestedBy: people(requested[kind]), ApprovedBy: people(approved[kind])})
		}
	}
	return nil
}

func addPerson(m map[string]map[string]int, kind, user string, n int) {
	if m[kind] == nil {
		m[kind] = map[string]int{}
	}
	m[kind][user] += n
}

// people lists counts by user, most first, then by user id.
func people(m map[string]int) []Person {
	var out []Person
	for u, n := range m {
		out = append(out, Person{User: u, Count: n})
	}
	slices.SortFunc(out, func(a, b Person) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.User, b.User))
	})
	return out
}

func digestTimes(ctx context.Context, s Store, d *Digest, _ Limits) error {
	var err error
	if d.Acks, d.MeanTimeToAck, err = s.MeanTimeToAck(ctx, d.From, d.To); err != nil {
		return err
	}
	d.Containments, d.MeanTimeToContain, err = s.MeanTimeToContain(ctx, containmentActions(), d.From, d.To)
	return err
}
