package storerow

import "time"

// AckPercentiles is the time to acknowledge of the acknowledgements of one
// severity in a period: how many there were and the 50th and 90th
// percentiles by nearest rank. Like the digest's other rows it is an alias
// of the unnamed struct the use case declares.
type AckPercentiles = struct {
	Severity string
	Acks     int
	P50, P90 time.Duration
}

// AckPercentilesQuery is the query both stores run for AckPercentiles,
// given their SQL for an acknowledgement's wait in nanoseconds (from the
// finding's first_seen, f, to acked_at, a) and their placeholders for the
// period. Each severity's waits are ranked with a window and the rows at
// ranks ceil(50·n/100) and ceil(90·n/100) picked, integer division doing
// the ceiling, so only one row per severity leaves the database. Names
// other than SCC's four count as unspecified.
func AckPercentilesQuery(wait, from, to string) string {
	return `WITH waits AS (
	SELECT CASE f.severity WHEN 'CRITICAL' THEN 'CRITICAL' WHEN 'HIGH' THEN 'HIGH' WHEN 'MEDIUM' THEN 'MEDIUM'
		WHEN 'LOW' THEN 'LOW' ELSE 'SEVERITY_UNSPECIFIED' END AS severity, ` + wait + ` AS wait
	FROM acks a JOIN findings f ON f.name = a.finding_name
	WHERE a.acked_at >= ` + from + ` AND a.acked_at < ` + to + `),
ranked AS (
	SELECT severity, wait, row_number() OVER (PARTITION BY severity ORDER BY wait) AS rn,
		count(*) OVER (PARTITION BY severity) AS n
	FROM waits)
SELECT severity, n, max(CASE WHEN rn = (50 * n + 99) / 100 THEN wait END),
	max(CASE WHEN rn = (90 * n + 99) / 100 THEN wait END)
FROM ranked GROUP BY severity, n ORDER BY severity`
}

// ScanAckPercentiles reads one row of AckPercentilesQuery with scan (a
// database/sql or pgx row's Scan).
func ScanAckPercentiles(scan func(dst ...any) error) (AckPercentiles, error) {
	var p AckPercentiles
	var n, p50, p90 int64
	if err := scan(&p.Severity, &n, &p50, &p90); err != nil {
		return AckPercentiles{}, err
	}
	p.Acks, p.P50, p.P90 = int(n), time.Duration(p50), time.Duration(p90)
	return p, nil
}
