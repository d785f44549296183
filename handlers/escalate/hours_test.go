package escalate

import (
	"testing"
	"time"
)

func TestDueAfter(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	weekdays := [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}
	office := &BusinessHours{Zone: paris, Days: weekdays, From: 9 * time.Hour, To: 18 * time.Hour}
	// 01:00 to 04:00 every day: 2024-03-31 skips 02:00-03:00 in Paris,
	// 2024-10-27 lives 02:00-03:00 twice.
	night := &BusinessHours{Zone: paris, Days: [7]bool{true, true, true, true, true, true, true}, From: time.Hour, To: 4 * time.Hour}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		start string
		d     time.Duration
		hours *BusinessHours
		want  string // "" means never
	}{
		{"around the clock", "2024-03-22T23:50:00+01:00", 15 * time.Minute, nil, "2024-03-23T00:05:00+01:00"},
		{"inside the window", "2024-03-19T10:00:00+01:00", 4 * time.Hour, office, "2024-03-19T14:00:00+01:00"},
		{"before opening", "2024-03-19T07:00:00+01:00", time.Hour, office, "2024-03-19T10:00:00+01:00"},
		{"after closing", "2024-03-19T19:00:00+01:00", time.Hour, office, "2024-03-20T10:00:00+01:00"},
		{"ends exactly at closing", "2024-03-18T09:00:00+01:00", 9 * time.Hour, office, "2024-03-18T18:00:00+01:00"},
		{"over the weekend", "2024-03-22T17:00:00+01:00", 4 * time.Hour, office, "2024-03-25T12:00:00+01:00"},
		{"posted on Saturday", "2024-03-23T11:00:00+01:00", 30 * time.Minute, office, "2024-03-25T09:30:00+01:00"},
		{"over several days", "2024-03-18T09:00:00+01:00", 20 * time.Hour, office, "2024-03-20T11:00:00+01:00"},
		// The window keeps its local hours when the offset changes.
		{"into summer time", "2024-03-29T17:00:00+01:00", 4 * time.Hour, office, "2024-04-01T12:00:00+02:00"},
		{"into winter time", "2024-10-25T17:00:00+02:00", 4 * time.Hour, office, "2024-10-28T12:00:00+01:00"},
		// A window spanning the change counts real time: 01:00-04:00 on
		// the spring day lasts 2 h, on the autumn day 4 h.
		{"window loses an hour", "2024-03-31T01:00:00+01:00", 150 * time.Minute, night, "2024-04-01T01:30:00+02:00"},
		{"window gains an hour", "2024-10-27T01:00:00+02:00", 210 * time.Minute, night, "2024-10-27T03:30:00+01:00"},
		{"start given in another zone", "2024-03-22T16:00:00Z", 4 * time.Hour, office, "2024-03-25T12:00:00+01:00"},
		{"no day open", "2024-03-22T16:00:00Z", time.Hour, &BusinessHours{Zone: paris, From: 9 * time.Hour, To: 18 * time.Hour}, ""},
		{"empty window", "2024-03-22T16:00:00Z", time.Hour, &BusinessHours{Zone: paris, Days: weekdays, From: 9 * time.Hour, To: 9 * time.Hour}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DueAfter(at(tt.start), tt.d, tt.hours)
			if tt.want == "" {
				if ok {
					t.Fatalf("DueAfter = %s, want never", got)
				}
				return
			}
			if !ok || !got.Equal(at(tt.want)) {
				t.Fatalf("DueAfter = %s (ok %v), want %s", got.Format(time.RFC3339), ok, tt.want)
			}
		})
	}
}
