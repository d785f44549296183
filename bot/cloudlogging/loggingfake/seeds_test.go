package loggingfake_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/cloudlogging"
	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
)

// Event times of the seed findings (sccfake's seeds/*.json).
var seedEventTimes = map[string]time.Time{
	loggingfake.SeedGKECompiler:             time.Date(2026, 11, 20, 10, 15, 30, 123000000, time.UTC),
	loggingfake.SeedCloudRunCompiler:        time.Date(2026, 11, 20, 11, 2, 11, 481000000, time.UTC),
	loggingfake.SeedCloudRunMaliciousBinary: time.Date(2026, 11, 20, 11, 47, 5, 902000000, time.UTC),
}

const (
	gkeAudit = `logName="projects/demo-prod/logs/cloudaudit.googleapis.com%2Factivity"
resource.type="k8s_cluster"
resource.labels.project_id="demo-prod"
resource.labels.location="us-central1"
resource.labels.cluster_name="prod-cluster"`
	runAudit = `logName="projects/demo-web/logs/cloudaudit.googleapis.com%2Factivity"
resource.type="cloud_run_revision"
resource.labels.service_name=`
)

// The playbooks' queries find the seed entries, and the summaries read
// well: this is what `sccbot demo` shows.
func TestSeedEntriesAnswerThePlaybookQueries(t *testing.T) {
	cases := []struct {
		scenario, name, project, filter string
		count                           int
		newest                          string
	}{
		{loggingfake.SeedGKECompiler, "pod", "demo-prod", `resource.type="k8s_container"
resource.labels.project_id="demo-prod"
resource.labels.location="us-central1"
resource.labels.cluster_name="prod-cluster"
resource.labels.namespace_name="payments"
resource.labels.pod_name="checkout-7d9f8b6c5-x2x9q"`, 9, `{"event":"healthcheck","status":"ok","uptime_s":41213}`},
		{loggingfake.SeedGKECompiler, "pod compiler lines", "demo-prod",
			`resource.labels.pod_name="checkout-7d9f8b6c5-x2x9q" textPayload:"gcc"`, 1,
			"+ gcc -O2 -static -o kworkerd kworkerd.c -lpthread"},
		{loggingfake.SeedGKECompiler, "cluster audit of the pod", "demo-prod",
			gkeAudit + "\n" + `protoPayload.resourceName:"checkout-7d9f8b6c5-x2x9q"`, 3,
			"io.k8s.core.v1.pods.exec.create core/v1/namespaces/payments/pods/checkout-7d9f8b6c5-x2x9q/exec " +
				"by dev-laptop@demo-prod.iam.gserviceaccount.com → OK"},
		{loggingfake.SeedGKECompiler, "kubectl exec", "demo-prod",
			gkeAudit + "\n" + `protoPayload.methodName="io.k8s.core.v1.pods.exec.create"`, 2, ""},
		{loggingfake.SeedGKECompiler, "cluster audit errors", "demo-prod", gkeAudit + "\nseverity>=ERROR", 1,
			"io.k8s.core.v1.secrets.list core/v1/namespaces/payments/secrets by dev-laptop@demo-prod.iam.gserviceaccount.com → " +
				`PERMISSION_DENIED: secrets is forbidden: User "dev-laptop@demo-prod.iam.gserviceaccount.com" cannot list resource "secrets" in API group "" in the namespace "payments"`},
		{loggingfake.SeedGKECompiler, "node console", "demo-prod", `resource.type="gce_instance"
resource.labels.instance_id="4519271130945173461"
logName="projects/demo-prod/logs/serialconsole.googleapis.com%2Fserial_port_1_output"`, 2, ""},
		{loggingfake.SeedGKECompiler, "node by name", "demo-prod",
			`resource.type="gce_instance" labels."compute.googleapis.com/resource_name"="gke-prod-cluster-pool-1-abcd"`, 3, ""},
		{loggingfake.SeedCloudRunCompiler, "revision", "demo-web", `resource.type="cloud_run_revision"
resource.labels.service_name="checkout-api"
resource.labels.revision_name="checkout-api-00042-xuz"`, 6, ""},
		{loggingfake.SeedCloudRunCompiler, "requests", "demo-web",
			`logName="projects/demo-web/logs/run.googleapis.com%2Frequests" httpRequest.status>=500`, 1,
			"POST 500 https://checkout-api-7qk3xg5zla-ew.a.run.app/api/render?template=..%2F..%2Fproc%2Fself%2Fenviron"},
		{loggingfake.SeedCloudRunCompiler, "service audit", "demo-web", runAudit + `"checkout-api"`, 2,
			"google.cloud.run.v2.Services.SetIamPolicy projects/demo-web/locations/europe-west1/services/checkout-api " +
				"by ci-deployer@demo-web.iam.gserviceaccount.com → OK"},
		{loggingfake.SeedCloudRunMaliciousBinary, "revision", "demo-web", `resource.type="cloud_run_revision"
resource.labels.service_name="image-resizer"
resource.labels.revision_name="image-resizer-00007-kmb"`, 6, "GET 404 https://image-resizer-3kq5yqhw4a-ew.a.run.app/.env"},
		{loggingfake.SeedCloudRunMaliciousBinary, "service audit", "demo-web", runAudit + `"image-resizer"`, 1,
			"google.cloud.run.v2.Services.UpdateService projects/demo-web/locations/europe-west1/services/image-resizer " +
				"by ci-build@demo-web.iam.gserviceaccount.com → OK"},
		{loggingfake.SeedCloudRunMaliciousBinary, "not in the other project", "demo-prod", `resource.type="cloud_run_revision"`, 0, ""},
	}
	client := seededClient(t)
	for _, c := range cases {
		t.Run(c.scenario+"/"+c.name, func(t *testing.T) {
			at := seedEventTimes[c.scenario]
			res, err := client.Search(context.Background(), bot.LogQuery{Project: c.project, Filter: c.filter,
				Start: at.Add(-30 * time.Minute), End: at.Add(30 * time.Minute), Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Entries) != c.count {
				t.Fatalf("%d entries, want %d: %+v", len(res.Entries), c.count, res.Entries)
			}
			if c.newest != "" && res.Entries[0].Summary != c.newest {
				t.Errorf("newest summary\n%q, want\n%q", res.Entries[0].Summary, c.newest)
			}
		})
	}
}

// seededClient serves every scenario's entries at its finding's time.
func seededClient(t *testing.T) *cloudlogging.Client {
	t.Helper()
	fake, lc := start(t)
	for key, at := range seedEventTimes {
		fake.AddEntries(loggingfake.SeedEntries(key, at)...)
	}
	return cloudlogging.New(lc, cloudlogging.Options{})
}

func TestSeedEntriesShape(t *testing.T) {
	for key, at := range seedEventTimes {
		entries := loggingfake.SeedEntries(key, at)
		ids := map[string]bool{}
		for _, e := range entries {
			if d := e.GetTimestamp().AsTime().Sub(at); d < -30*time.Minute || d > 30*time.Minute {
				t.Errorf("%s: entry %s is %v from the event", key, e.GetInsertId(), d)
			}
			if ids[e.GetInsertId()] {
				t.Errorf("%s: duplicate insert ID %s", key, e.GetInsertId())
			}
			ids[e.GetInsertId()] = true
			if !strings.HasPrefix(e.GetLogName(), "projects/demo-") || e.GetResource().GetType() == "" {
				t.Errorf("%s: entry %s has log %q, resource %v", key, e.GetInsertId(), e.GetLogName(), e.GetResource())
			}
		}
		if len(entries) < 5 {
			t.Errorf("%s: only %d entries", key, len(entries))
		}
		entries[0].LogName = "changed"
		if loggingfake.SeedEntries(key, at)[0].GetLogName() == "changed" {
			t.Errorf("%s: SeedEntries returned shared entries", key)
		}
	}
	if got := loggingfake.SeedEntries("no-such-scenario", time.Now()); got != nil {
		t.Errorf("unknown scenario: %d entries", len(got))
	}
}
