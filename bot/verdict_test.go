package bot_test

import (
	"strings"
	"testing"

	"github.com/sccbot/sccbot/bot"
)

func TestParseVerdict(t *testing.T) {
	accepted := map[string]bot.Verdict{
		"true_positive":    bot.VerdictTruePositive,
		"False positive":   bot.VerdictFalsePositive,
		"FALSE-POSITIVE":   bot.VerdictFalsePositive,
		" benign ":         bot.VerdictBenign,
		"Duplicate":        bot.VerdictDuplicate,
		"test":             bot.VerdictTest,
		"True-Positive":    bot.VerdictTruePositive,
		"false_positive\t": bot.VerdictFalsePositive,
	}
	for in, want := range accepted {
		got, err := bot.ParseVerdict(in)
		if err != nil || got != want {
			t.Errorf("ParseVerdict(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fp", "benign or expected", "true__positive", "positive", "test\x00"} {
		_, err := bot.ParseVerdict(in)
		if bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("ParseVerdict(%q) error %v, want EInvalid", in, err)
			continue
		}
		for _, v := range bot.Verdicts() {
			if !strings.Contains(err.Error(), string(v)) {
				t.Errorf("ParseVerdict(%q) error %q does not name the choice %q", in, err, v)
			}
		}
	}
}

func TestVerdictsOrderAndLabels(t *testing.T) {
	want := []struct {
		v     bot.Verdict
		label string
	}{
		{bot.VerdictTruePositive, "True positive"},
		{bot.VerdictFalsePositive, "False positive"},
		{bot.VerdictBenign, "Benign or expected"},
		{bot.VerdictDuplicate, "Duplicate"},
		{bot.VerdictTest, "Test"},
	}
	got := bot.Verdicts()
	if len(got) != len(want) {
		t.Fatalf("Verdicts() = %v, want %d verdicts", got, len(want))
	}
	for i, w := range want {
		if got[i] != w.v || got[i].Label() != w.label || !got[i].Valid() {
			t.Errorf("Verdicts()[%d] = %q (label %q, valid %v), want %q labelled %q",
				i, got[i], got[i].Label(), got[i].Valid(), w.v, w.label)
		}
	}
	if bot.Verdict("False positive").Valid() {
		t.Error("an unparsed spelling is not a valid stored verdict")
	}
}

func TestVerdictMarks(t *testing.T) {
	r := bot.VerdictRecord{Verdict: bot.VerdictFalsePositive, By: "U123"}
	m := r.Marks()
	if len(m) != 2 || m["sccbot_verdict"] != "false_positive" || m["sccbot_verdict_by"] != "U123" {
		t.Errorf("Marks() = %v", m)
	}
}

func TestPendingAckClaimed(t *testing.T) {
	p := bot.PendingAck{Stages: []bot.DeadlineStage{bot.StageReminder}}
	if !p.Claimed(bot.StageReminder) || p.Claimed(bot.StageEscalation) {
		t.Errorf("Claimed with stages %v is wrong", p.Stages)
	}
	if bot.DeadlineStage(3).Valid() || !bot.StageEscalation.Valid() {
		t.Error("Valid is wrong")
	}
}

func TestVerdictReasonRoundTrip(t *testing.T) {
	long := strings.Repeat("é", 10_000)
	cases := []struct {
		v          bot.Verdict
		note, want string
	}{
		{bot.VerdictFalsePositive, "", ""},
		{bot.VerdictBenign, "  CI   builds\n compile here ", "CI builds compile here"},
		{bot.VerdictTest, "a: b: c", "a: b: c"},
		{bot.VerdictDuplicate, long, strings.Repeat("é", bot.MaxVerdictNote-1) + "…"},
	}
	for _, c := range cases {
		reason := bot.VerdictReason(c.v, c.note)
		v, note, ok := bot.ParseVerdictReason(reason)
		if !ok || v != c.v || note != c.want {
			t.Errorf("ParseVerdictReason(VerdictReason(%q, %.20q)) = %q, %.20q, %v; want %q, %.20q", c.v, c.note, v, note, ok, c.v, c.want)
		}
	}
	for _, reason := range []string{"", "resolved from Slack", "verdict=", "verdict=fp: x", "Verdict=test"} {
		if v, _, ok := bot.ParseVerdictReason(reason); ok {
			t.Errorf("ParseVerdictReason(%q) = %q, ok; want not a verdict", reason, v)
		}
	}
}
