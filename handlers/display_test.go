package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// TestTimesShownInTheDisplayZone: the card and the thread notes people read
// write times in the configured zone and name it.
func TestTimesShownInTheDisplayZone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 9, 15, 30, 0, time.UTC)
	f := handlerstest.TestFinding("f1", at)
	state := CardState{Running: []Running{{Label: "Logs", UserID: "U1", Since: at}}}

	if text := handlerstest.Flatten(Card(f, nil, nil, state)); !strings.Contains(text, "2026-11-20 09:15:30 UTC") || !strings.Contains(text, "at 09:15:30 UTC") {
		t.Errorf("default zone: card lacks the UTC times\n%s", text)
	}
	SetDisplayZone(paris)
	t.Cleanup(func() { SetDisplayZone(nil) })
	text := handlerstest.Flatten(Card(f, nil, nil, state))
	if !strings.Contains(text, "2026-11-20 10:15:30 CET") || !strings.Contains(text, "at 10:15:30 CET") {
		t.Errorf("Europe/Paris: card lacks the CET times\n%s", text)
	}
	if strings.Contains(text, "UTC") {
		t.Errorf("Europe/Paris: a UTC time is left on the card\n%s", text)
	}
	if got := FormatTime(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)); got != "2026-07-01 14:00:00 CEST" {
		t.Errorf("summer time = %s", got)
	}
}
