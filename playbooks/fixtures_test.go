package playbooks

import (
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

// Fixture findings, one per kind of target the playbooks serve. They carry
// every value a query or command can use.

var (
	fixtureStart = time.Date(2026, 11, 20, 10, 0, 30, 0, time.UTC)
	fixtureEnd   = time.Date(2026, 11, 20, 10, 30, 30, 0, time.UTC)
)

func gkeFixture() bot.Finding {
	return bot.Finding{
		Name:     "organizations/123/sources/456/locations/global/findings/abc",
		Source:   "Container Threat Detection",
		Category: "Execution: Added Malicious Binary Executed",
		Module:   "ADDED_MALICIOUS_BINARY_EXECUTED",
		Severity: bot.SeverityCritical,
		Resource: bot.Resource{
			Name:    "//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod-cluster",
			Project: "demo-prod", Location: "us-central1", Organization: "123",
		},
		Target: bot.Target{
			Product: bot.ProductGKE, Project: "demo-prod", Location: "us-central1", Cluster: "prod-cluster",
			Namespace: "payments", Pod: "checkout-7d9f8b6c5-x2x9q", Node: "gke-prod-cluster-pool-1-abcd", Container: "checkout",
		},
		Containers: []bot.Container{{Name: "checkout", ImageURI: "us-docker.pkg.dev/demo-prod/apps/checkout@sha256:3f1c"}},
		Processes: []bot.Process{{
			Binary: "/tmp/.x/kworkerd", Args: []string{"/tmp/.x/kworkerd", "-o", "pool:3333"}, PID: 20, ParentPID: 10,
			SHA256: "7a5479eda4d9d6e0e843b8508089a8d94a7e86dcb2974865ca2b2fbe4a0a31c4",
		}, {Binary: "/bin/sh", Args: []string{"/bin/sh", "-c", "./kworkerd"}, PID: 10}},
		EventTime: fixtureStart.Add(15 * time.Minute),
	}
}

func runServiceFixture() bot.Finding {
	return bot.Finding{
		Name:     "organizations/123/sources/789/locations/global/findings/def",
		Source:   "Cloud Run Threat Detection",
		Category: "Execution: Added Malicious Binary Executed",
		Module:   "CLOUD_RUN_ADDED_MALICIOUS_BINARY_EXECUTED",
		Severity: bot.SeverityCritical,
		Resource: bot.Resource{
			Name:    "//run.googleapis.com/projects/demo-web/locations/europe-west1/services/checkout-api/revisions/checkout-api-00042-xuz",
			Project: "demo-web", Location: "europe-west1",
		},
		Target: bot.Target{
			Product: bot.ProductCloudRun, Project: "demo-web", Location: "europe-west1",
			Service: "checkout-api", Revision: "checkout-api-00042-xuz", Container: "api",
		},
		Containers: []bot.Container{{Name: "api", ImageURI: "europe-west1-docker.pkg.dev/demo-web/s/checkout-api@sha256:8d2f"}},
		Processes:  []bot.Process{{Binary: "/app/bin/updater", Args: []string{"/app/bin/updater", "--pool", "stratum+tcp://203.0.113.50:3333"}}},
	}
}

func runJobFixture() bot.Finding {
	f := runServiceFixture()
	f.Name = "organizations/123/sources/789/locations/global/findings/ghi"
	f.Resource.Name = "//run.googleapis.com/projects/demo-web/locations/europe-west1/jobs/nightly-export/executions/nightly-export-7q2xd"
	f.Target = bot.Target{
		Product: bot.ProductCloudRun, Project: "demo-web", Location: "europe-west1",
		Job: "nightly-export", Execution: "nightly-export-7q2xd", Container: "export",
	}
	return f
}

// otherFixture is a VM Threat Detection finding: no playbook of its own.
func otherFixture() bot.Finding {
	return bot.Finding{
		Name:     "organizations/123/sources/999/findings/jkl",
		Source:   "Virtual Machine Threat Detection",
		Category: "Execution: Cryptocurrency Mining Combined Detection",
		Module:   "CRYPTOMINING_HASH",
		Resource: bot.Resource{Name: "//compute.googleapis.com/projects/demo-vm/zones/us-east1-b/instances/worker-1", Project: "demo-vm"},
		Target:   bot.Target{Product: bot.ProductOther, Project: "demo-vm"},
	}
}

type fixture struct {
	name string
	f    bot.Finding
}

func fixtures() []fixture {
	return []fixture{
		{"gke", gkeFixture()}, {"cloud_run service", runServiceFixture()},
		{"cloud_run job", runJobFixture()}, {"other", otherFixture()},
	}
}

// seedFinding decodes one of the SCC fake's seed notifications the way the
// bot does.
func seedFinding(t *testing.T, key string) bot.Finding {
	t.Helper()
	data, ok := sccfake.SeedJSON(key)
	if !ok {
		t.Fatalf("no seed %q", key)
	}
	f, err := scc.DecodeNotification(data)
	if err != nil {
		t.Fatalf("decode seed %s: %v", key, err)
	}
	return f
}

func mustLoad(t *testing.T) *Library {
	t.Helper()
	l, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return l
}
