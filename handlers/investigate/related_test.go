package investigate

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

type fakeFinder struct {
	rel bot.RelatedFindings
	err error
}

func (f fakeFinder) RelatedFindings(context.Context, bot.Finding, time.Duration) (bot.RelatedFindings, error) {
	return f.rel, f.err
}

func relatedOf(category string, sev bot.Severity, at time.Time, id, pod string) bot.Finding {
	return bot.Finding{Name: "organizations/1/sources/2/locations/global/findings/" + id, Category: category,
		Severity: sev, EventTime: at, Resource: bot.Resource{Organization: "1"},
		Target: bot.Target{Product: bot.ProductGKE, Namespace: "payments", Pod: pod}}
}

func TestRelatedGroupsByCategoryNewestFirst(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	f := handlerstest.TestFinding("self", t0)
	rel := bot.RelatedFindings{Scope: "cluster prod-cluster", Narrowed: 2, Why: map[string]string{
		"organizations/1/sources/2/locations/global/findings/rs1": "pod"}, Findings: []bot.Finding{
		relatedOf("Reverse Shell", bot.SeverityCritical, t0.Add(-time.Hour), "rs1", "p1"),
		relatedOf("Added Binary Executed", bot.SeverityLow, t0.Add(time.Minute), "ab1", "p1"),
		relatedOf("Added Binary Executed", bot.SeverityMedium, t0.Add(2*time.Minute), "ab2", "p1"),
	}}
	m, err := RelatedTask(fakeFinder{rel: rel}, 24*time.Hour)(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	text := handlerstest.Flatten(m)
	want := []string{
		"3 related findings in 2 categories on cluster prod-cluster (2026-11-19 10:00:00 UTC to 2026-11-21 10:00:00 UTC).",
		"Added Binary Executed — 2, worst Medium",
		"Reverse Shell — 1, worst Critical",
		"2 more findings on the same resource concern other pods or images",
		"p1 (same pod)",
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("answer lacks %q\n%s", w, text)
		}
	}
	if strings.Index(text, "Added Binary") > strings.Index(text, "Reverse Shell") {
		t.Error("groups are not newest first")
	}
	if strings.Index(text, "ab2") > strings.Index(text, "ab1") {
		t.Error("findings in a group are not newest first")
	}
	if !strings.Contains(text, "findingsv2;name=organizations%2F1%2Fsources%2F2%2Flocations%2Fglobal%2Ffindings%2Fab2") {
		t.Error("related findings are not linked to the console")
	}
}

func TestRelatedEmptyIsSaidPlainly(t *testing.T) {
	f := handlerstest.TestFinding("self", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	m, _ := RelatedTask(fakeFinder{rel: bot.RelatedFindings{Scope: "service checkout-api"}}, time.Hour)(context.Background(), f)
	if got := handlerstest.Flatten(m); !strings.Contains(got, "No other findings on service checkout-api (2026-11-20 09:00:00 UTC to 2026-11-20 11:00:00 UTC).") {
		t.Errorf("empty answer = %q", got)
	}
}

func TestRelatedCapsLongAnswers(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var fs []bot.Finding
	for c := range 12 {
		for i := range 6 {
			fs = append(fs, relatedOf(fmt.Sprintf("Category %02d", c), bot.SeverityHigh, t0.Add(time.Duration(c*10+i)*time.Second), fmt.Sprintf("c%di%d", c, i), "p"))
		}
	}
	m, _ := RelatedTask(fakeFinder{rel: bot.RelatedFindings{Scope: "x", Findings: fs, Truncated: true}}, time.Hour)(context.Background(), handlerstest.TestFinding("s", t0))
	text := handlerstest.Flatten(m)
	for _, w := range []string{"and 3 more", "and 24 more findings in 4 more categories", "the newest are shown"} {
		if !strings.Contains(text, w) {
			t.Errorf("capped answer lacks %q\n%s", w, text)
		}
	}
	if len(m.Blocks) > 15 {
		t.Errorf("%d blocks; the answer should stay small", len(m.Blocks))
	}
}

func TestAttackTaskUsesFindingThenPlaybook(t *testing.T) {
	f := handlerstest.TestFinding("a", time.Now())
	f.Attack = bot.Attack{Tactic: bot.TechniqueRef{Enum: "DEFENSE_EVASION", ID: "TA0005"},
		Techniques: []bot.TechniqueRef{{Enum: "COMPILE_AFTER_DELIVERY", ID: "T1027.004"}}}
	fallback := func(bot.Finding) []string { return []string{"T1105"} }
	m, _ := AttackTask(handlerstest.FakeAttack{}, "© 2025 The MITRE Corporation.", fallback)(context.Background(), f)
	text := handlerstest.Flatten(m)
	for _, w := range []string{"SCC assigned", "Defense Evasion", "T1027.004 Obfuscated Files or Information: Compile After Delivery", "© 2025 The MITRE Corporation."} {
		if !strings.Contains(text, w) {
			t.Errorf("answer lacks %q\n%s", w, text)
		}
	}
	if strings.Contains(text, "T1105") {
		t.Error("the playbook's list was used although the finding has its own")
	}
	f.Attack = bot.Attack{}
	m, _ = AttackTask(handlerstest.FakeAttack{}, "", fallback)(context.Background(), f)
	if text := handlerstest.Flatten(m); !strings.Contains(text, "the playbook lists") || !strings.Contains(text, "T1105") {
		t.Errorf("fallback answer = %q", text)
	}
}
