package digest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// AckPercentiles is the time to acknowledge of one severity's
// acknowledgements in a period (Severity is SCC's name): how many, and the
// 50th and 90th percentiles by nearest rank. An alias of an unnamed struct,
// like Count, so that a store satisfies AckTimes without importing handlers.
type AckPercentiles = struct {
	Severity string
	Acks     int
	P50, P90 time.Duration
}

// AckTimes is where the percentiles of time to acknowledge come from: the
// acknowledgements made in [from, to), each measured from when the store
// first saw its finding (the waits MeanTimeToAck averages).
type AckTimes interface {
	AckPercentiles(ctx context.Context, from, to time.Time) ([]AckPercentiles, error)
}

// Verdicts is where the verdicts given on resolve are counted, per
// category, project and verdict, for those given in [since, until).
type Verdicts interface {
	VerdictCounts(ctx context.Context, since, until time.Time) ([]bot.VerdictCount, error)
}

// Deadlines is where the acknowledgement deadline stages claimed in
// [since, until) come from: one event per finding and stage.
type Deadlines interface {
	DeadlineEvents(ctx context.Context, since, until time.Time) ([]bot.DeadlineEvent, error)
}

// Sources are where the figures beyond Store's come from. A nil source
// leaves its figures out of the digest (the field stays nil) rather than
// showing zeros that would read as "none".
type Sources struct {
	AckTimes  AckTimes
	Verdicts  Verdicts
	Deadlines Deadlines
}

// DeadlineCounts are the acknowledgement deadlines that ran out in a
// period. A breach is a finding whose escalation stage was claimed: nobody
// acknowledged it by the second deadline, so its owner was paged. A
// reminder is a finding whose first deadline passed and that was reminded
// in its thread; it may have been acknowledged afterwards, so reminders
// are "due", not breaches.
type DeadlineCounts struct {
	Breaches, Reminders int
	// BreachesBySeverity lists the severities with breaches, most urgent
	// first.
	BreachesBySeverity []SeverityCount
}

// SeverityCount is a count of one severity.
type SeverityCount struct {
	Severity bot.Severity
	Count    int
}

// ComputeDigestWith is ComputeDigest plus the figures of src: time to
// acknowledge percentiles, deadline breaches and tuning.
func ComputeDigestWith(ctx context.Context, store Store, src Sources, from, to time.Time, lim Limits) (Digest, error) {
	d, err := ComputeDigest(ctx, store, from, to, lim)
	if err != nil {
		return Digest{}, err
	}
	if err := src.fill(ctx, &d); err != nil {
		return Digest{}, fmt.Errorf("digest: %w", err)
	}
	return d, nil
}

func (src Sources) fill(ctx context.Context, d *Digest) error {
	if src.AckTimes != nil {
		rows, err := src.AckTimes.AckPercentiles(ctx, d.From, d.To)
		if err != nil {
			return fmt.Errorf("time to acknowledge percentiles: %w", err)
		}
		d.AckTimes = byUrgency(rows)
	}
	if src.Deadlines != nil {
		evs, err := src.Deadlines.DeadlineEvents(ctx, d.From, d.To)
		if err != nil {
			return fmt.Errorf("deadline events: %w", err)
		}
		dc := countDeadlines(evs)
		d.Deadlines = &dc
	}
	if src.Verdicts != nil {
		rows, err := src.Verdicts.VerdictCounts(ctx, d.From, d.To)
		if err != nil {
			return fmt.Errorf("verdict counts: %w", err)
		}
		t := tune(rows)
		d.Tuning = &t
	}
	return nil
}

// byUrgency orders the percentile rows most urgent severity first; a
// store's unknown names sort last, by name.
func byUrgency(rows []AckPercentiles) []AckPercentiles {
	out := append([]AckPercentiles{}, rows...) // computed and empty is not nil
	slices.SortStableFunc(out, func(a, b AckPercentiles) int {
		sa, _ := bot.ParseSeverity(a.Severity)
		sb, _ := bot.ParseSeverity(b.Severity)
		return cmp.Or(cmp.Compare(sb, sa), cmp.Compare(a.Severity, b.Severity))
	})
	return out
}

// countDeadlines counts each finding once per stage, however many events
// name it (a card reposted and armed again, say).
func countDeadlines(evs []bot.DeadlineEvent) DeadlineCounts {
	type key struct {
		finding string
		stage   bot.DeadlineStage
	}
	seen := map[key]bool{}
	bySev := map[bot.Severity]int{}
	var dc DeadlineCounts
	for _, ev := range evs {
		k := key{ev.Finding, ev.Stage}
		if seen[k] {
			continue
		}
		seen[k] = true
		switch ev.Stage {
		case bot.StageEscalation:
			dc.Breaches++
			bySev[knownSeverity(ev.Severity)]++
		case bot.StageReminder:
			dc.Reminders++
		}
	}
	for sev := bot.SeverityCritical; sev >= bot.SeverityUnspecified; sev-- {
		if n := bySev[sev]; n > 0 {
			dc.BreachesBySeverity = append(dc.BreachesBySeverity, SeverityCount{Severity: sev, Count: n})
		}
	}
	return dc
}

// knownSeverity maps a value outside SCC's range to unspecified.
func knownSeverity(s bot.Severity) bot.Severity {
	if s < bot.SeverityUnspecified || s > bot.SeverityCritical {
		return bot.SeverityUnspecified
	}
	return s
}
