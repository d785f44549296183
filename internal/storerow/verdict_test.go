package storerow

import (
	"slices"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

func TestStages(t *testing.T) {
	for in, want := range map[string][]bot.DeadlineStage{
		"":    nil,
		"1":   {bot.StageReminder},
		"2,1": {bot.StageReminder, bot.StageEscalation},
	} {
		got, err := Stages(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Stages(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := Stages("1,x"); err == nil {
		t.Error("Stages(1,x): no error")
	}
}

func TestNewVerdictDefaultsAndRoundTrip(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 1, time.UTC)
	v, err := NewVerdict(bot.VerdictRecord{Finding: "f", Verdict: bot.VerdictBenign, By: "U1", Note: "bad\xffbyte"}, now)
	if err != nil {
		t.Fatal(err)
	}
	r, err := v.Record()
	if err != nil || !r.At.Equal(now) || r.Note != "bad\uFFFDbyte" || r.Verdict != bot.VerdictBenign {
		t.Errorf("round trip = %+v, %v; want the store clock's time and valid text", r, err)
	}
	if _, err := NewVerdict(bot.VerdictRecord{Finding: "f", Verdict: "Benign", By: "U1"}, now); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("an unparsed verdict: %v, want EInvalid", err)
	}
	if _, _, err := Period("p", now, now.Add(-time.Second)); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("a reversed period: %v, want EInvalid", err)
	}
}
