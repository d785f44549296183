package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/internal/storerow"
)

// AckPercentiles returns, per severity, how many findings were
// acknowledged in [from, to) and the 50th and 90th percentiles (nearest
// rank) of the time from when the store first saw each to its
// acknowledgement: the same waits MeanTimeToAck averages. Rows come in
// severity name order; a severity without acknowledgements has none.
func (db *DB) AckPercentiles(ctx context.Context, from, to time.Time) ([]storerow.AckPercentiles, error) {
	_, f, t, err := storerow.Periods(from, from, to)
	if err != nil {
		return nil, err
	}
	wait := secondsBetween("f.first_seen", "a.acked_at") + " * 1000000000 + " + nanosBetween("f.first_seen", "a.acked_at")
	rows, err := db.read.QueryContext(ctx, storerow.AckPercentilesQuery(wait, "?1", "?2"), f, t)
	if err != nil {
		return nil, fmt.Errorf("time to acknowledge percentiles: %w", err)
	}
	defer rows.Close()
	var out []storerow.AckPercentiles
	for rows.Next() {
		p, err := storerow.ScanAckPercentiles(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("time to acknowledge percentiles: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("time to acknowledge percentiles: %w", err)
	}
	return out, nil
}
