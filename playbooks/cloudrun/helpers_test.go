package cloudrun_test

import (
	"context"
	"errors"
	"testing"
	"time"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
	"github.com/sccbot/sccbot/playbooks/cloudrun"
	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
)

// env is a seeded fake Cloud Run and a Responder whose real run/apiv2
// clients talk to it.
type env struct {
	fake *runfake.Server
	r    *cloudrun.Responder
}

// setup starts a seeded fake and a Responder that never pauses between
// attempts. edit may change the options.
func setup(t *testing.T, edit ...func(*cloudrun.Options)) env {
	t.Helper()
	fake := runfake.New()
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	if err := fake.SeedAll(); err != nil {
		t.Fatal(err)
	}
	fake.SetClock(func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) })
	ctx := context.Background()
	svcs, err := run.NewServicesClient(ctx, fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svcs.Close() })
	revs, err := run.NewRevisionsClient(ctx, fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = revs.Close() })
	execs, err := run.NewExecutionsClient(ctx, fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = execs.Close() })
	opts := cloudrun.Options{Limits: retry.Limits{Backoff: func(int) time.Duration { return 0 }, Timeout: 10 * time.Second}}
	for _, e := range edit {
		e(&opts)
	}
	return env{fake: fake, r: cloudrun.New(svcs, revs, execs, opts)}
}

var (
	checkout = runfake.ServiceName(runfake.SeedProject, runfake.SeedLocation, runfake.CheckoutService)
	resizer  = runfake.ServiceName(runfake.SeedProject, runfake.SeedLocation, runfake.ResizerService)
	export   = runfake.JobName(runfake.SeedProject, runfake.SeedLocation, runfake.ExportJob)
)

// serviceFinding is how the bot decodes the Cloud Run seed findings: a
// service and the revision from the container labels.
func serviceFinding(service, revision string) bot.Finding {
	return bot.Finding{
		Name:     "organizations/123456789012/sources/15707368271209355877/locations/global/findings/a4e1c7b2",
		Category: "Defense Evasion: Launch Code Compiler Tool In Container",
		Target: bot.Target{Product: bot.ProductCloudRun, Project: runfake.SeedProject, Location: runfake.SeedLocation,
			Service: service, Revision: revision, Container: "api"},
	}
}

func jobFinding(execution string) bot.Finding {
	return bot.Finding{
		Name: "organizations/123456789012/sources/15707368271209355877/locations/global/findings/c0ffee",
		Target: bot.Target{Product: bot.ProductCloudRun, Project: runfake.SeedProject, Location: runfake.SeedLocation,
			Job: runfake.ExportJob, Execution: execution},
	}
}

// snapshot is the fake's Cloud Run state, to show that nothing changed.
type snapshot struct {
	Services   []*runpb.Service
	Revisions  []*runpb.Revision
	Executions []*runpb.Execution
}

func snap(f *runfake.Server) snapshot {
	var s snapshot
	for _, name := range []string{checkout, resizer} {
		svc, _ := f.Service(name)
		s.Services = append(s.Services, svc)
		s.Revisions = append(s.Revisions, f.Revisions(name)...)
	}
	s.Executions = f.Executions(export)
	return s
}

func unchanged(t *testing.T, before snapshot, f *runfake.Server) {
	t.Helper()
	if diff := cmp.Diff(before, snap(f), protocmp.Transform()); diff != "" {
		t.Errorf("Cloud Run state changed (-before +after):\n%s", diff)
	}
}

func calls(t *testing.T, f *runfake.Server, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, f.Calls()); diff != "" {
		t.Errorf("calls to the fake (-want +got):\n%s", diff)
	}
}

// wantError checks err's code and user message.
func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	var be *bot.Error
	if !errors.As(err, &be) {
		t.Fatalf("err = %v (%T), want a *bot.Error", err, err)
	}
	if be.Code != code || be.Message != message {
		t.Errorf("err = %s: %q\nwant  %s: %q", be.Code, be.Message, code, message)
	}
}

func traffic(t *testing.T, f *runfake.Server, service string) []*runpb.TrafficTarget {
	t.Helper()
	svc, ok := f.Service(service)
	if !ok {
		t.Fatalf("no service %s", service)
	}
	return svc.GetTraffic()
}

func request[M proto.Message](t *testing.T, f *runfake.Server, method string) M {
	t.Helper()
	reqs := f.Requests(method)
	if len(reqs) != 1 {
		t.Fatalf("%s requests = %d, want 1", method, len(reqs))
	}
	return reqs[0].(M)
}
