package runfake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
)

type clients struct {
	fake       *runfake.Server
	services   *run.ServicesClient
	revisions  *run.RevisionsClient
	executions *run.ExecutionsClient
}

// start runs a seeded fake and real clients pointed at it.
func start(t *testing.T) clients {
	t.Helper()
	fake := runfake.New()
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	if err := fake.SeedAll(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := clients{fake: fake}
	var err error
	if c.services, err = run.NewServicesClient(ctx, fake.ClientOptions()...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.services.Close() })
	if c.revisions, err = run.NewRevisionsClient(ctx, fake.ClientOptions()...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.revisions.Close() })
	if c.executions, err = run.NewExecutionsClient(ctx, fake.ClientOptions()...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.executions.Close() })
	return c
}

var (
	checkout = runfake.ServiceName(runfake.SeedProject, runfake.SeedLocation, runfake.CheckoutService)
	resizer  = runfake.ServiceName(runfake.SeedProject, runfake.SeedLocation, runfake.ResizerService)
	export   = runfake.JobName(runfake.SeedProject, runfake.SeedLocation, runfake.ExportJob)
)

func TestSeedsServeTheCompromisedRevision(t *testing.T) {
	c := start(t)
	for _, tt := range []struct{ service, bad string }{
		{checkout, runfake.CheckoutCompromised},
		{resizer, runfake.ResizerCompromised},
	} {
		svc, err := c.services.GetService(context.Background(), &runpb.GetServiceRequest{Name: tt.service})
		if err != nil {
			t.Fatal(err)
		}
		st := svc.GetTrafficStatuses()
		if len(st) != 1 || st[0].GetRevision() != tt.bad || st[0].GetPercent() != 100 {
			t.Errorf("%s traffic statuses = %v, want 100%% to %s", tt.service, st, tt.bad)
		}
		if svc.GetEtag() == "" || svc.GetLatestReadyRevision() != runfake.RevisionName(tt.service, tt.bad) {
			t.Errorf("%s etag %q latest ready %q", tt.service, svc.GetEtag(), svc.GetLatestReadyRevision())
		}
	}
}

// update sends svc with traffic replaced and waits for the operation.
func update(c clients, svc *runpb.Service, validate bool, traffic ...*runpb.TrafficTarget) (*runpb.Service, error) {
	next := proto.CloneOf(svc)
	next.Traffic = traffic
	op, err := c.services.UpdateService(context.Background(), &runpb.UpdateServiceRequest{Service: next, ValidateOnly: validate})
	if err != nil {
		return nil, err
	}
	return op.Wait(context.Background())
}

func getService(t *testing.T, c clients, name string) *runpb.Service {
	t.Helper()
	svc, err := c.services.GetService(context.Background(), &runpb.GetServiceRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestUpdateServiceRules(t *testing.T) {
	c := start(t)
	svc := getService(t, c, checkout)
	stale := proto.CloneOf(svc)
	stale.Etag = `W/"gen-0"`
	tests := []struct {
		name    string
		svc     *runpb.Service
		traffic []*runpb.TrafficTarget
		want    codes.Code
	}{
		{"stale etag", stale, []*runpb.TrafficTarget{runfake.ToRevision(runfake.CheckoutGood, 100)}, codes.Aborted},
		{"failed revision", svc, []*runpb.TrafficTarget{runfake.ToRevision(runfake.CheckoutFailed, 100)}, codes.FailedPrecondition},
		{"unknown revision", svc, []*runpb.TrafficTarget{runfake.ToRevision("checkout-api-00099-zzz", 100)}, codes.InvalidArgument},
		{"not 100", svc, []*runpb.TrafficTarget{runfake.ToRevision(runfake.CheckoutGood, 50)}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		_, err := update(c, tt.svc, false, tt.traffic...)
		if status.Code(err) != tt.want {
			t.Errorf("%s: err = %v, want %s", tt.name, err, tt.want)
		}
	}
	noTemplate := proto.CloneOf(svc)
	noTemplate.Template = nil
	if _, err := update(c, noTemplate, false, runfake.ToLatest(100)); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no template: err = %v, want InvalidArgument", err)
	}
	if diff := cmp.Diff(svc, getService(t, c, checkout), protocmp.Transform()); diff != "" {
		t.Errorf("refused updates changed the service (-before +after):\n%s", diff)
	}
}

func TestValidateOnlyChangesNothing(t *testing.T) {
	c := start(t)
	svc := getService(t, c, checkout)
	got, err := update(c, svc, true, runfake.ToRevision(runfake.CheckoutGood, 100))
	if err != nil {
		t.Fatal(err)
	}
	if got.GetTrafficStatuses()[0].GetRevision() != runfake.CheckoutGood {
		t.Errorf("validate-only answer = %v, want the service as it would be", got.GetTrafficStatuses())
	}
	if diff := cmp.Diff(svc, getService(t, c, checkout), protocmp.Transform()); diff != "" {
		t.Errorf("validate_only changed the service:\n%s", diff)
	}
	bad := runfake.RevisionName(resizer, runfake.ResizerGood)
	op, err := c.revisions.DeleteRevision(context.Background(), &runpb.DeleteRevisionRequest{Name: bad, ValidateOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.fake.Revision(bad); !ok {
		t.Error("validate-only delete deleted the revision")
	}
}

func TestServingRevisionCannotBeDeletedUntilTrafficMoves(t *testing.T) {
	c := start(t)
	bad := runfake.RevisionName(checkout, runfake.CheckoutCompromised)
	ctx := context.Background()
	_, err := c.revisions.DeleteRevision(ctx, &runpb.DeleteRevisionRequest{Name: bad})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("delete serving revision: err = %v, want FailedPrecondition", err)
	}
	moved, err := update(c, getService(t, c, checkout), false, runfake.ToRevision(runfake.CheckoutGood, 100))
	if err != nil {
		t.Fatal(err)
	}
	if moved.GetGeneration() != 2 {
		t.Errorf("generation after update = %d, want 2", moved.GetGeneration())
	}
	op, err := c.revisions.DeleteRevision(ctx, &runpb.DeleteRevisionRequest{Name: bad})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := op.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if gone.GetDeleteTime() == nil {
		t.Error("deleted revision has no delete time")
	}
	if _, ok := c.fake.Revision(bad); ok {
		t.Error("revision still stored after delete")
	}
	want := []string{"DeleteRevision", "GetService", "UpdateService", "GetOperation", "DeleteRevision", "GetOperation"}
	if diff := cmp.Diff(want, c.fake.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestListRevisionsPages(t *testing.T) {
	c := start(t)
	it := c.revisions.ListRevisions(context.Background(), &runpb.ListRevisionsRequest{Parent: checkout, PageSize: 1})
	var got []string
	for {
		rev, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rev.GetName())
	}
	want := []string{runfake.RevisionName(checkout, runfake.CheckoutGood),
		runfake.RevisionName(checkout, runfake.CheckoutFailed), runfake.RevisionName(checkout, runfake.CheckoutCompromised)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}
	if n := len(c.fake.Requests("ListRevisions")); n != 3 {
		t.Errorf("ListRevisions calls = %d, want 3 pages", n)
	}
}

func TestCancelExecution(t *testing.T) {
	c := start(t)
	c.fake.SetClock(func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) })
	ctx := context.Background()
	name := runfake.ExecutionName(export, runfake.ExportRunningNew)
	op, err := c.executions.CancelExecution(ctx, &runpb.CancelExecutionRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	e, err := op.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.GetCompletionTime() == nil || e.GetRunningCount() != 0 || e.GetCancelledCount() != 2 {
		t.Errorf("cancelled execution = %v", e)
	}
	_, err = c.executions.CancelExecution(ctx, &runpb.CancelExecutionRequest{Name: name})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("cancel completed execution: err = %v, want FailedPrecondition", err)
	}
	if other, _ := c.fake.Execution(runfake.ExecutionName(export, runfake.ExportRunningOld)); other.GetCompletionTime() != nil {
		t.Error("cancel touched another execution")
	}
}

func TestInjectedFaults(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	c.fake.FailNext("GetService", codes.PermissionDenied, 1)
	if _, err := c.services.GetService(ctx, &runpb.GetServiceRequest{Name: checkout}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("injected fault: err = %v", err)
	}
	getService(t, c, checkout) // the fault is used up
	c.fake.FailNextOperation("UpdateService", codes.FailedPrecondition, "revision not ready", 1)
	_, err := update(c, getService(t, c, checkout), false, runfake.ToRevision(runfake.CheckoutGood, 100))
	if status.Code(err) != codes.FailedPrecondition || status.Convert(err).Message() != "revision not ready" {
		t.Errorf("failed operation: err = %v", err)
	}
	if st := getService(t, c, checkout).GetTrafficStatuses(); st[0].GetRevision() != runfake.CheckoutCompromised {
		t.Errorf("failed operation changed traffic: %v", st)
	}
	reqs := c.fake.Requests("UpdateService")
	if len(reqs) != 1 {
		t.Fatalf("UpdateService requests = %d, want 1", len(reqs))
	}
	reqs[0].(*runpb.UpdateServiceRequest).Service.Etag = "changed"
	if again := c.fake.Requests("UpdateService")[0].(*runpb.UpdateServiceRequest); again.GetService().GetEtag() == "changed" {
		t.Error("Requests returned the recorded message, not a copy")
	}
}
