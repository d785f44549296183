package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// AckTimesStore is what RunAckTimes tests: the percentiles of the time to
// acknowledge, per severity, and the methods that seed them.
type AckTimesStore interface {
	PutFinding(ctx context.Context, f bot.Finding) error
	Ack(ctx context.Context, findingName, user string) (by string, at time.Time, first bool, err error)
	// AckPercentiles returns, per severity (SCC's name, in name order),
	// the acknowledgements made in [from, to) and the 50th and 90th
	// percentiles by nearest rank of the time from first seen to the
	// acknowledgement.
	AckPercentiles(ctx context.Context, from, to time.Time) ([]struct {
		Severity string
		Acks     int
		P50, P90 time.Duration
	}, error)
}

// AckTimesOpenFunc opens an empty store whose clock is now.
type AckTimesOpenFunc = func(t *testing.T, now func() time.Time) AckTimesStore

// RunAckTimes runs the time to acknowledge suite.
func RunAckTimes(t *testing.T, open AckTimesOpenFunc) {
	t.Run("AckPercentiles", func(t *testing.T) { testAckPercentiles(t, open) })
	t.Run("AckPercentilesEmpty", func(t *testing.T) { testAckPercentilesEmpty(t, open) })
}

type ackSeed struct {
	id   string
	sev  bot.Severity
	seen time.Duration // before digestTo
	wait time.Duration // from first seen to the acknowledgement
}

// ackSeeds are placed around [digestFrom, digestTo) by their
// acknowledgement time; the percentiles below are worked out from them.
func ackSeeds() []ackSeed {
	const m, h = time.Minute, time.Hour
	seeds := []ackSeed{
		// HIGH, three in the period: sorted 7m, 20m+1ns, 1h. p50 is rank
		// ceil(1.5) = 2, p90 rank ceil(2.7) = 3.
		{"h1", bot.SeverityHigh, 3 * h, h},
		{"h2", bot.SeverityHigh, 5 * h, 7 * m},
		{"h3", bot.SeverityHigh, 24*h + 10*m, 20*m + 1}, // first seen before the period, acked in it
		// LOW, one acknowledged exactly at from (in): both percentiles 45m.
		{"l1", bot.SeverityLow, 24*h + 45*m, 45 * m},
		// MEDIUM, acknowledged before from: no row.
		{"m1", bot.SeverityMedium, 26 * h, h},
		// CRITICAL acknowledged exactly at to: out.
		{"cx", bot.SeverityCritical, 2 * m, 2 * m},
	}
	// CRITICAL, ten in the period waiting 1 to 10 minutes, seeded out of
	// order: p50 is rank 5 (5m), p90 rank 9 (9m).
	for _, i := range []int{7, 2, 10, 5, 1, 9, 3, 6, 8, 4} {
		seeds = append(seeds, ackSeed{"c" + string(rune('a'+i)), bot.SeverityCritical, 10 * h, time.Duration(i) * m})
	}
	return seeds
}

func testAckPercentiles(t *testing.T, open AckTimesOpenFunc) {
	clk := &clock{t: digestTo}
	s := open(t, clk.now)
	ctx := context.Background()
	for _, sd := range ackSeeds() {
		seen := digestTo.Add(-sd.seen)
		clk.set(seen)
		f := dgFinding("ack-"+sd.id, sd.sev, dgExec, "prod-a")
		must(t, "put "+sd.id, s.PutFinding(ctx, f))
		clk.set(seen.Add(sd.wait))
		_, _, _, err := s.Ack(ctx, f.Name, "U-"+sd.id)
		must(t, "ack "+sd.id, err)
	}
	type row = struct {
		Severity string
		Acks     int
		P50, P90 time.Duration
	}
	got, err := s.AckPercentiles(ctx, digestFrom, digestTo)
	wantFigure(t, "time to acknowledge percentiles", got, []row{
		{"CRITICAL", 10, 5 * time.Minute, 9 * time.Minute},
		{"HIGH", 3, 20*time.Minute + 1, time.Hour},
		{"LOW", 1, 45 * time.Minute, 45 * time.Minute},
	}, err)
}

func testAckPercentilesEmpty(t *testing.T, open AckTimesOpenFunc) {
	clk := &clock{t: digestTo}
	s := open(t, clk.now)
	got, err := s.AckPercentiles(context.Background(), digestFrom, digestTo)
	wantFigure(t, "percentiles of an empty store", len(got), 0, err)
	_, err = s.AckPercentiles(context.Background(), digestTo, digestFrom)
	wantCode(t, "AckPercentiles backwards", err, bot.EInvalid)
}
