package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/postgres/pgtest"
	"github.com/sccbot/sccbot/internal/storerow"
)

// TestPendingAcksPlan checks, on a table of 20,000 cards with statistics,
// that the deadline scan reads the window's cards through cards_posted
// rather than every card or every open finding.
func TestPendingAcksPlan(t *testing.T) {
	url := pgtest.Database(t)
	db := mustOpen(t, url)
	defer db.Close()
	execOne(t, url, `INSERT INTO findings (name, short_id, category, severity, state, mute, class, project, product,
	event_time, create_time, first_seen, last_seen, data)
SELECT 'organizations/1/sources/2/locations/global/findings/f' || i, 'f' || i, 'Execution: X', 'HIGH', 'ACTIVE',
	'UNMUTED', 'THREAT', 'p', 'gke', to_char(i, 'FM0000000000'), '', '', '', '{}'
FROM generate_series(1, 20000) AS i`)
	// Card i posted i seconds after midnight, in the store's time layout.
	execOne(t, url, `INSERT INTO cards (finding_name, channel, ts, posted_at)
SELECT name, 'C1', short_id,
	to_char(timestamp '2026-12-01' + event_time::int * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS".000000000Z"')
FROM findings`)
	execOne(t, url, `INSERT INTO acks (finding_name, acked_by, acked_at) SELECT name, 'U1', '' FROM findings WHERE short_id <> 'f20000'`)
	execOne(t, url, `ANALYZE`)
	bound := storerow.FormatTime(time.Date(2026, 12, 1, 5, 30, 0, 0, time.UTC)) // the last 100 cards
	rows, err := db.pool.Query(t.Context(), "EXPLAIN "+selectPending, bound)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if text := strings.Join(plan, "\n"); !strings.Contains(text, "cards_posted") || strings.Contains(text, "Seq Scan on cards") {
		t.Errorf("PendingAcks plan:\n%s\nwant an index scan of cards_posted", text)
	}
	// The scan itself: the one card without an acknowledgement.
	got, err := db.PendingAcks(t.Context(), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(got) != 1 || got[0].Card.TS != "f20000" {
		t.Errorf("PendingAcks = %+v, %v; want the card of f20000", got, err)
	}
}
