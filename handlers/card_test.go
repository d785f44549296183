package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

func TestCardGKE(t *testing.T) {
	f := bot.Finding{
		Name:      "organizations/123/sources/456/locations/global/findings/f1",
		Category:  "Defense Evasion: Launch Code Compiler Tool In Container",
		Severity:  bot.SeverityHigh,
		State:     "ACTIVE",
		Source:    "Container Threat Detection",
		EventTime: time.Date(2026, 11, 20, 10, 15, 30, 0, time.UTC),
		Resource:  bot.Resource{Organization: "123", Project: "demo-prod"},
		Target: bot.Target{Product: bot.ProductGKE, Project: "demo-prod", Location: "us-central1", Cluster: "prod-cluster",
			Namespace: "payments", Pod: "checkout-1", Node: "gke-node-1", Container: "checkout"},
		Containers: []bot.Container{{Name: "checkout", ImageURI: "us-docker.pkg.dev/demo-prod/apps/checkout:1.4"}},
		Processes: []bot.Process{{Binary: "/usr/bin/gcc", Args: []string{"/usr/bin/gcc", "-o", "/tmp/x", "/tmp/x.c"},
			SHA256: strings.Repeat("ab", 32)}},
		Attack: bot.Attack{Tactic: bot.TechniqueRef{Enum: "DEFENSE_EVASION", ID: "TA0005"},
			Techniques: []bot.TechniqueRef{{Enum: "COMPILE_AFTER_DELIVERY", ID: "T1027.004"}}},
	}
	text := handlerstest.Flatten(Card(f, handlerstest.FakeAttack{}, nil, CardState{}))
	for _, want := range []string{
		"# 🟠 High · Defense Evasion: Launch Code Compiler Tool In Container",
		"Project: demo-prod",
		"Product: GKE · Container Threat Detection",
		"Cluster: prod-cluster (us-central1)",
		"Namespace / pod: payments / checkout-1",
		"Node: gke-node-1",
		"Container: checkout",
		"Image: us-docker.pkg.dev/demo-prod/apps/checkout:1.4",
		"Event time: 2026-11-20 10:15:30 UTC",
		"```/usr/bin/gcc -o /tmp/x /tmp/x.c```",
		"VirusTotal <https://www.virustotal.com/gui/file/" + strings.Repeat("ab", 32) + ">",
		"Defense Evasion TA0005 <https://attack.mitre.org/tactics/TA0005/>",
		"T1027.004 Obfuscated Files or Information: Compile After Delivery <https://attack.mitre.org/techniques/T1027/004/>",
		"Open in Security Command Center <https://console.cloud.google.com/security/command-center/findingsv2;name=organizations%2F123%2Fsources%2F456%2Flocations%2Fglobal%2Ffindings%2Ff1?organizationId=123>",
		"Open workload <https://console.cloud.google.com/kubernetes/pod/us-central1/prod-cluster/payments/checkout-1/details?project=demo-prod>",
		"Finding organizations/123/sources/456/locations/global/findings/f1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q\ncard:\n%s", want, text)
		}
	}
}

func TestCardMinimalFinding(t *testing.T) {
	text := handlerstest.Flatten(Card(bot.Finding{Name: "projects/p/sources/s/findings/x"}, nil, nil, CardState{}))
	for _, want := range []string{"# ⚪ Unspecified · Unknown category", "Project: unknown", "Event time: unknown"} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q\ncard:\n%s", want, text)
		}
	}
}

func TestCardCapsArgumentsAndSaysSo(t *testing.T) {
	args := make([]string, 1000)
	for i := range args {
		args[i] = "a"
	}
	f := bot.Finding{Name: "n", Processes: []bot.Process{{Binary: "/bin/x", Args: args, ArgsTruncated: true}}}
	var code bot.Code
	for _, b := range Card(f, nil, nil, CardState{}).Blocks {
		if c, ok := b.(bot.Code); ok {
			code = c
		}
	}
	if !code.Truncated || !strings.Contains(code.Note, "1000 arguments, first 400 shown") || !strings.Contains(code.Note, "SCC truncated") {
		t.Errorf("code block = truncated %v note %q; want both truncations noted", code.Truncated, code.Note)
	}
	if n := strings.Count(code.Text, " a"); n != maxCardArgs {
		t.Errorf("card shows %d arguments, want %d", n, maxCardArgs)
	}
}

func TestCardHostileHashIsNotLinked(t *testing.T) {
	f := bot.Finding{Name: "n", Processes: []bot.Process{{Binary: "/x", SHA256: "<https://evil.example|x>"}}}
	if strings.Contains(handlerstest.Flatten(Card(f, nil, nil, CardState{})), "virustotal") {
		t.Error("a hash that is not a SHA-256 digest was put into a VirusTotal link")
	}
}

func TestCardButtonsComeFromCapabilities(t *testing.T) {
	buttons := func(bot.Finding) []bot.Button {
		return []bot.Button{{ActionID: "finding.related", Label: "Related", Value: "v"}}
	}
	if !strings.Contains(handlerstest.Flatten(Card(bot.Finding{Name: "n"}, nil, buttons, CardState{})), "[Related]") {
		t.Error("card lacks the capability's button")
	}
	for _, b := range Card(bot.Finding{Name: "n"}, nil, nil, CardState{}).Blocks {
		if _, ok := b.(bot.Actions); ok {
			t.Error("card without capabilities has an actions block")
		}
	}
}
