package storerow

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Verdict is a verdict record encoded for the verdicts table.
type Verdict struct {
	Finding, Verdict, By, Note, At string
}

// NewVerdict validates and encodes r. A zero r.At is now (the store's
// clock). The finding, a known verdict and who gave it are required.
func NewVerdict(r bot.VerdictRecord, now time.Time) (Verdict, error) {
	if r.Finding == "" || r.By == "" {
		return Verdict{}, bot.Errorf(bot.EInvalid, "a verdict needs a finding and who gave it")
	}
	if !r.Verdict.Valid() {
		if _, err := bot.ParseVerdict(string(r.Verdict)); err != nil {
			return Verdict{}, err
		}
		return Verdict{}, bot.Errorf(bot.EInvalid, "verdict %q is not in its stored form (parse it first)", r.Verdict)
	}
	at := r.At
	if at.IsZero() {
		at = now
	}
	enc, err := EncodeTime("verdict time", at)
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Finding: r.Finding, Verdict: string(r.Verdict), By: ValidText(r.By), Note: ValidText(r.Note), At: enc}, nil
}

// Record decodes a verdicts row.
func (v Verdict) Record() (bot.VerdictRecord, error) {
	at, err := ParseTime(v.At)
	if err != nil {
		return bot.VerdictRecord{}, err
	}
	return bot.VerdictRecord{Finding: v.Finding, Verdict: bot.Verdict(v.Verdict), By: v.By, Note: v.Note, At: at}, nil
}

// ListVerdict validates a listing's verdict filter ("" selects any).
func ListVerdict(v bot.Verdict) error {
	if v == "" || v.Valid() {
		return nil
	}
	_, err := bot.ParseVerdict(string(v))
	if err == nil {
		err = bot.Errorf(bot.EInvalid, "verdict %q is not in its stored form (parse it first)", v)
	}
	return err
}

// Period validates and encodes a half-open period [since, until).
func Period(what string, since, until time.Time) (s, u string, err error) {
	if until.Before(since) {
		return "", "", bot.Errorf(bot.EInvalid, "%s: period ends (%s) before it starts (%s)", what,
			until.UTC().Format(time.RFC3339), since.UTC().Format(time.RFC3339))
	}
	if s, err = EncodeTime(what+" start", since); err != nil {
		return "", "", err
	}
	u, err = EncodeTime(what+" end", until)
	return s, u, err
}

// Claim validates and encodes a deadline claim's arguments.
func Claim(finding string, stage bot.DeadlineStage, at time.Time) (string, error) {
	if finding == "" {
		return "", bot.Errorf(bot.EInvalid, "a deadline claim needs a finding")
	}
	if !stage.Valid() {
		return "", bot.Errorf(bot.EInvalid, "unknown deadline stage %d", stage)
	}
	return EncodeTime("deadline claim time", at)
}

// Stages decodes the stages claimed for a card, as a comma-separated
// list ("" for none), in stage order.
func Stages(list string) ([]bot.DeadlineStage, error) {
	if list == "" {
		return nil, nil
	}
	var out []bot.DeadlineStage
	for f := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, bot.DeadlineStage(n))
	}
	slices.Sort(out)
	return out, nil
}
