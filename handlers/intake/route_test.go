package intake

import (
	"testing"

	"github.com/sccbot/sccbot/bot"
)

func TestRouterFirstMatchWins(t *testing.T) {
	router := NewRouter("C-default", []Route{
		{Name: "crit-gke", Channel: "C-crit-gke", Match: Match{
			Severities: []bot.Severity{bot.SeverityCritical}, Products: []bot.Product{bot.ProductGKE}}},
		{Name: "compiler", Channel: "C-compiler", Match: Match{
			Categories: []string{"  defense evasion:   LAUNCH code compiler tool in container "}}},
		{Name: "prod", Channel: "C-prod", Match: Match{Projects: []string{"prod-*"}, MinSeverity: bot.SeverityHigh}},
		{Name: "threats", Channel: "C-threats", Match: Match{Classes: []string{"threat"}}},
	})
	gke := bot.Target{Product: bot.ProductGKE, Project: "prod-a"}
	run := bot.Target{Product: bot.ProductCloudRun, Project: "prod-b"}
	tests := []struct {
		name    string
		f       bot.Finding
		channel string
		route   string
	}{
		{"critical gke", bot.Finding{Severity: bot.SeverityCritical, Target: gke}, "C-crit-gke", "crit-gke"},
		{"critical cloud run skips gke route", bot.Finding{Severity: bot.SeverityCritical, Target: run}, "C-prod", "prod"},
		{"category folded", bot.Finding{Category: "Defense Evasion: Launch Code Compiler Tool In Container", Severity: bot.SeverityLow, Target: run}, "C-compiler", "compiler"},
		{"project glob needs min severity", bot.Finding{Severity: bot.SeverityMedium, Target: run, Class: "THREAT"}, "C-threats", "threats"},
		{"class case-insensitive", bot.Finding{Class: "Threat"}, "C-threats", "threats"},
		{"nothing matches", bot.Finding{Class: "MISCONFIGURATION"}, "C-default", "default"},
		{"no product means other", bot.Finding{Severity: bot.SeverityCritical}, "C-default", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, rt := router.Route(tt.f)
			if ch != tt.channel || rt != tt.route {
				t.Errorf("Route() = %q, %q; want %q, %q", ch, rt, tt.channel, tt.route)
			}
		})
	}
}

func TestRouterProductOther(t *testing.T) {
	router := NewRouter("C-d", []Route{{Name: "other", Channel: "C-o", Match: Match{Products: []bot.Product{bot.ProductOther}}}})
	if ch, _ := router.Route(bot.Finding{}); ch != "C-o" {
		t.Errorf("finding without product routed to %q, want the product=other route", ch)
	}
}

func TestFoldCategory(t *testing.T) {
	for in, want := range map[string]string{
		"Execution: Built in Malicious Binary Executed": "execution: built in malicious binary executed",
		"  Reverse\tShell \n":                           "reverse shell",
		"":                                              "",
	} {
		if got := FoldCategory(in); got != want {
			t.Errorf("FoldCategory(%q) = %q, want %q", in, got, want)
		}
	}
}
