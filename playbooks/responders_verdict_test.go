package playbooks

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/sccbot/sccbot/bot"
)

// fakeSCC answers SetState and SetMute as SCC would, recording the calls.
type fakeSCC struct{ calls []string }

func (s *fakeSCC) SetMute(_ context.Context, name string, muted bool) (bot.Finding, error) {
	s.calls = append(s.calls, "mute "+name)
	return bot.Finding{Name: name, Mute: "MUTED"}, nil
}

func (s *fakeSCC) SetState(_ context.Context, name string, active bool) (bot.Finding, error) {
	s.calls = append(s.calls, "inactive "+name)
	return bot.Finding{Name: name, State: "INACTIVE"}, nil
}

// verdictRunner is a runner whose resolve is the SCC responder, recording
// verdicts in the harness's store and marks in its marker.
func verdictRunner(h *harness, sccAPI *fakeSCC, rule Rule) *Runner {
	resp := NewSCCResponder(sccAPI, SCCOptions{Stored: h.db, Marks: h.marks, Verdicts: h.db, Now: h.clock.Now})
	return runnerFor(h, map[string]Rule{bot.ActionResolve: rule}, resp)
}

// runnerFor is a runner on the harness's store, marks and clock whose one
// responder is resp.
func runnerFor(h *harness, rules map[string]Rule, resp bot.Responder) *Runner {
	return NewRunner(h.db, NewPolicy(rules, h.groups), []bot.Responder{resp},
		RunnerOptions{Marks: h.marks, Logger: slog.New(slog.NewJSONHandler(h.logs, nil)), Now: h.clock.Now})
}

func TestResolveRecordsVerdict(t *testing.T) {
	hostile := "<!channel> *bold* `tick` <http://x|y> \u202egnp.exe " + strings.Repeat("x", 10_000)
	for _, v := range bot.Verdicts() {
		t.Run(string(v), func(t *testing.T) {
			h := newHarness(t, nil, nil)
			sccAPI := &fakeSCC{}
			r := verdictRunner(h, sccAPI, Rule{})
			req, msg, err := r.Request(t.Context(), h.finding, bot.ActionResolve, alice, bot.VerdictReason(v, hostile))
			if err != nil || msg != "" || req.State != bot.RequestDone {
				t.Fatalf("Request = %+v, %q, %v; want done", req, msg, err)
			}
			if len(sccAPI.calls) != 1 || sccAPI.calls[0] != "inactive "+h.finding.Name {
				t.Errorf("SCC calls %q, want the finding set inactive once", sccAPI.calls)
			}
			if !strings.Contains(req.Result.Summary, v.Label()) {
				t.Errorf("summary %q does not name the verdict %q", req.Result.Summary, v.Label())
			}
			wantMarks := map[string]string{bot.MarkVerdict: string(v), bot.MarkVerdictBy: alice}
			if !hasMarks(h.marks.marked(), h.finding.Name, wantMarks) {
				t.Errorf("marks %+v lack %v", h.marks.marked(), wantMarks)
			}
			rec, ok, err := h.db.VerdictOf(t.Context(), h.finding.Name)
			_, wantNote, _ := bot.ParseVerdictReason(bot.VerdictReason(v, hostile))
			if err != nil || !ok || rec.Verdict != v || rec.By != alice || rec.Note != wantNote {
				t.Errorf("VerdictOf = %+v, %v, %v; want %s by %s with the cut note", rec, ok, err, v, alice)
			}
			if n := len([]rune(rec.Note)); n > bot.MaxVerdictNote {
				t.Errorf("stored note has %d runes, more than %d", n, bot.MaxVerdictNote)
			}
			evs, err := h.db.AuditForFinding(t.Context(), h.finding.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !hasAudit(evs, bot.AuditVerdict, alice, string(v)+": "+wantNote) {
				t.Errorf("no verdict audit event with the note in %+v", evs)
			}
		})
	}
}

func TestResolveVerdictDryRunRecordsNothing(t *testing.T) {
	h := newHarness(t, nil, nil)
	sccAPI := &fakeSCC{}
	r := verdictRunner(h, sccAPI, Rule{DryRun: true})
	req, _, err := r.Request(t.Context(), h.finding, bot.ActionResolve, alice, bot.VerdictReason(bot.VerdictTest, "n"))
	if err != nil || req.State != bot.RequestDone || !req.Result.DryRun {
		t.Fatalf("Request = %+v, %v; want a done dry run", req, err)
	}
	if _, ok, _ := h.db.VerdictOf(t.Context(), h.finding.Name); ok || len(sccAPI.calls) > 0 {
		t.Errorf("a dry run recorded a verdict (%v) or called SCC (%q)", ok, sccAPI.calls)
	}
	if hasMarks(h.marks.marked(), h.finding.Name, map[string]string{bot.MarkVerdict: string(bot.VerdictTest)}) {
		t.Error("a dry run set the verdict mark")
	}
}

func TestResolveWithoutVerdictIsPlainResolve(t *testing.T) {
	h := newHarness(t, nil, nil)
	r := verdictRunner(h, &fakeSCC{}, Rule{})
	req, _, err := r.Request(t.Context(), h.finding, bot.ActionResolve, alice, "resolved from Slack")
	if err != nil || req.State != bot.RequestDone {
		t.Fatalf("Request = %+v, %v; want done", req, err)
	}
	if _, ok, _ := h.db.VerdictOf(t.Context(), h.finding.Name); ok {
		t.Error("a resolve without a verdict recorded one")
	}
}

func hasMarks(calls []markCall, finding string, want map[string]string) bool {
	for _, c := range calls {
		if c.Finding != finding {
			continue
		}
		ok := true
		for k, v := range want {
			ok = ok && c.Marks[k] == v
		}
		if ok {
			return true
		}
	}
	return false
}

func hasAudit(evs []bot.AuditEvent, event, actor, detail string) bool {
	for _, ev := range evs {
		if ev.Event == event && ev.Actor == actor && ev.Detail == detail {
			return true
		}
	}
	return false
}
