package cloudrun_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
)

var rollbackCalls = []string{"GetService", "ListRevisions", "UpdateService", "GetOperation", "DeleteRevision", "GetOperation"}

// The compiler seed: checkout-api serves 00042-xuz through LATEST;
// 00041-gol never became ready, so traffic goes back to 00040-bex.
func TestRollbackMovesTrafficThenDeletesOnce(t *testing.T) {
	e := setup(t)
	before, _ := e.fake.Service(checkout)
	res, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
		bot.ActionCloudRunRollback, false)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, rollbackCalls...)

	upd := request[*runpb.UpdateServiceRequest](t, e.fake, "UpdateService")
	wantSvc := proto.CloneOf(before)
	wantSvc.Traffic = []*runpb.TrafficTarget{runfake.ToRevision(runfake.CheckoutGood, 100)}
	want := &runpb.UpdateServiceRequest{Service: wantSvc}
	if diff := cmp.Diff(want, upd, protocmp.Transform()); diff != "" {
		t.Errorf("UpdateService request: the whole service as read, etag included, new traffic only (-want +got):\n%s", diff)
	}
	del := request[*runpb.DeleteRevisionRequest](t, e.fake, "DeleteRevision")
	bad := runfake.RevisionName(checkout, runfake.CheckoutCompromised)
	if del.GetName() != bad || del.GetEtag() == "" || del.GetValidateOnly() {
		t.Errorf("DeleteRevision request = %v, want %s with its etag", del, bad)
	}

	if diff := cmp.Diff(wantSvc.Traffic, traffic(t, e.fake, checkout), protocmp.Transform()); diff != "" {
		t.Errorf("traffic after rollback (-want +got):\n%s", diff)
	}
	if _, ok := e.fake.Revision(bad); ok {
		t.Error("compromised revision still exists")
	}
	for _, id := range []string{runfake.CheckoutGood, runfake.CheckoutFailed} {
		if _, ok := e.fake.Revision(runfake.RevisionName(checkout, id)); !ok {
			t.Errorf("revision %s was deleted too", id)
		}
	}
	wantRes := bot.ActionResult{
		Summary: "Service checkout-api: 100% of traffic moved to checkout-api-00040-bex; revision checkout-api-00042-xuz deleted",
		Details: []string{
			"Compromised revision: checkout-api-00042-xuz (named by the finding)",
			"Traffic before: 100% to checkout-api-00042-xuz (latest)",
			"Moved 100% of traffic to checkout-api-00040-bex, the last ready revision created before checkout-api-00042-xuz (2026-11-10 14:22 UTC)",
			"Deleted revision checkout-api-00042-xuz",
			"Traffic is now pinned to checkout-api-00040-bex: new deployments get none until you send traffic to them " +
				"(gcloud run services update-traffic checkout-api --to-latest)",
		},
	}
	if diff := cmp.Diff(wantRes, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestRollbackEtagOfDeletedRevision(t *testing.T) {
	e := setup(t)
	bad, _ := e.fake.Revision(runfake.RevisionName(resizer, runfake.ResizerCompromised))
	if _, err := e.r.Execute(context.Background(), serviceFinding(runfake.ResizerService, runfake.ResizerCompromised),
		bot.ActionCloudRunRollback, false); err != nil {
		t.Fatal(err)
	}
	if got := request[*runpb.DeleteRevisionRequest](t, e.fake, "DeleteRevision").GetEtag(); got != bad.GetEtag() {
		t.Errorf("DeleteRevision etag = %q, want the revision's %q", got, bad.GetEtag())
	}
	want := []*runpb.TrafficTarget{runfake.ToRevision(runfake.ResizerGood, 100)}
	if diff := cmp.Diff(want, traffic(t, e.fake, resizer), protocmp.Transform()); diff != "" {
		t.Errorf("pinned traffic after rollback (-want +got):\n%s", diff)
	}
}

func TestRollbackAgainIsIdempotent(t *testing.T) {
	e := setup(t)
	f := serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised)
	if _, err := e.r.Execute(context.Background(), f, bot.ActionCloudRunRollback, false); err != nil {
		t.Fatal(err)
	}
	after := snap(e.fake)
	e.fake.ResetCalls()
	res, err := e.r.Execute(context.Background(), f, bot.ActionCloudRunRollback, false)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "GetService", "ListRevisions")
	unchanged(t, after, e.fake)
	want := "Service checkout-api: revision checkout-api-00042-xuz no longer exists; nothing to do"
	if res.Summary != want {
		t.Errorf("summary = %q, want %q", res.Summary, want)
	}
}

// A first run that moved the traffic but failed to delete leaves a
// revision that gets no traffic: the second run only deletes it.
func TestRollbackResumesAfterFailedDelete(t *testing.T) {
	e := setup(t)
	f := serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised)
	e.fake.FailNext("DeleteRevision", codes.Unavailable, 1)
	_, err := e.r.Execute(context.Background(), f, bot.ActionCloudRunRollback, false)
	if bot.ErrorCode(err) != bot.EUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if n := len(e.fake.Requests("DeleteRevision")); n != 1 {
		t.Errorf("DeleteRevision sent %d times, want once: mutations are not retried", n)
	}
	e.fake.ResetCalls()
	res, err := e.r.Execute(context.Background(), f, bot.ActionCloudRunRollback, false)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "GetService", "ListRevisions", "DeleteRevision", "GetOperation")
	if !strings.Contains(strings.Join(res.Details, "\n"), "Traffic left as it is") {
		t.Errorf("details = %q, want traffic left alone", res.Details)
	}
}

func TestRollbackWithoutEarlierRevisionChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		revs func(svc string) []*runpb.Revision
	}{
		{"only revision", func(svc string) []*runpb.Revision {
			return []*runpb.Revision{runfake.ReadyRevision(svc, "solo-00001-abc", "img", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))}
		}},
		{"earlier one failed", func(svc string) []*runpb.Revision {
			return []*runpb.Revision{
				runfake.FailedRevision(svc, "solo-00001-old", "img", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)),
				runfake.ReadyRevision(svc, "solo-00002-abc", "img", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)),
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			svc := runfake.ServiceName(runfake.SeedProject, runfake.SeedLocation, "solo")
			mustAdd(t, e.fake, runfake.NewService(svc, "img"), tc.revs(svc)...)
			before, _ := e.fake.Service(svc)
			e.fake.ResetCalls()
			_, err := e.r.Execute(context.Background(), serviceFinding("solo", ""), bot.ActionCloudRunRollback, false)
			bad := idOf(before.GetLatestReadyRevision())
			wantError(t, err, bot.EConflict, "no earlier revision to roll back to; deploy a fixed revision first "+
				"(service solo has no ready revision created before "+bad+"; nothing was changed)")
			calls(t, e.fake, "GetService", "ListRevisions")
			after, _ := e.fake.Service(svc)
			if diff := cmp.Diff(before, after, protocmp.Transform()); diff != "" {
				t.Errorf("service changed:\n%s", diff)
			}
		})
	}
}

func mustAdd(t *testing.T, f *runfake.Server, svc *runpb.Service, revs ...*runpb.Revision) {
	t.Helper()
	if err := f.AddService(svc); err != nil {
		t.Fatal(err)
	}
	for _, r := range revs {
		if err := f.AddRevision(r); err != nil {
			t.Fatal(err)
		}
	}
}

func idOf(name string) string { return name[strings.LastIndex(name, "/")+1:] }

func TestRollbackDryRunValidatesBothAndChangesNothing(t *testing.T) {
	e := setup(t)
	before := snap(e.fake)
	res, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
		bot.ActionCloudRunRollback, true)
	if err != nil {
		t.Fatal(err)
	}
	// Cloud Run refuses even to validate deleting a revision that still
	// serves: the fake answers FailedPrecondition at once, with no
	// operation to poll, and the dry run says the real run moves traffic
	// first.
	calls(t, e.fake, "GetService", "ListRevisions", "UpdateService", "GetOperation", "DeleteRevision")
	if !request[*runpb.UpdateServiceRequest](t, e.fake, "UpdateService").GetValidateOnly() {
		t.Error("UpdateService without validate_only in a dry run")
	}
	if !request[*runpb.DeleteRevisionRequest](t, e.fake, "DeleteRevision").GetValidateOnly() {
		t.Error("DeleteRevision without validate_only in a dry run")
	}
	unchanged(t, before, e.fake)
	wantRes := bot.ActionResult{
		DryRun: true,
		Summary: "Dry run: service checkout-api would move 100% of traffic to checkout-api-00040-bex and delete " +
			"revision checkout-api-00042-xuz; Cloud Run validated the request; nothing was changed",
		Details: []string{
			"Compromised revision: checkout-api-00042-xuz (named by the finding)",
			"Traffic before: 100% to checkout-api-00042-xuz (latest)",
			"Would move 100% of traffic to checkout-api-00040-bex, the last ready revision created before checkout-api-00042-xuz (2026-11-10 14:22 UTC)",
			"Cloud Run validated the traffic update",
			"Would delete revision checkout-api-00042-xuz: Cloud Run accepts that only once its traffic has moved, " +
				"which the real run does first",
		},
	}
	if diff := cmp.Diff(wantRes, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// When the traffic has already moved, a dry run validates just the delete,
// and Cloud Run accepts it.
func TestRollbackDryRunOfDeleteOnly(t *testing.T) {
	e := setup(t)
	moveTraffic(t, e.fake, checkout, runfake.ToRevision(runfake.CheckoutGood, 100))
	before := snap(e.fake)
	res, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
		bot.ActionCloudRunRollback, true)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "GetService", "ListRevisions", "DeleteRevision", "GetOperation")
	unchanged(t, before, e.fake)
	if !res.DryRun || !strings.HasSuffix(res.Summary, "nothing was changed") {
		t.Errorf("result = %+v, want a dry run that says nothing changed", res)
	}
	if got := res.Details[len(res.Details)-1]; got != "Would delete revision checkout-api-00042-xuz: Cloud Run validated the request" {
		t.Errorf("last detail = %q", got)
	}
}

// moveTraffic sets a seeded service's traffic directly in the fake.
func moveTraffic(t *testing.T, f *runfake.Server, service string, targets ...*runpb.TrafficTarget) {
	t.Helper()
	svc, _ := f.Service(service)
	svc.Traffic = targets
	if err := f.AddService(svc); err != nil {
		t.Fatal(err)
	}
	f.ResetCalls()
}

// If a fixed revision now serves, rolling traffic back to an older one
// would undo the fix: only the delete runs.
func TestRollbackLeavesTrafficOnAFixedRevision(t *testing.T) {
	e := setup(t)
	fixed := runfake.ReadyRevision(checkout, "checkout-api-00043-fix", "fixed", time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC))
	if err := e.fake.AddRevision(fixed); err != nil {
		t.Fatal(err)
	}
	e.fake.ResetCalls()
	res, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
		bot.ActionCloudRunRollback, false)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "GetService", "ListRevisions", "DeleteRevision", "GetOperation")
	want := "Service checkout-api: revision checkout-api-00042-xuz deleted (it received no traffic)"
	if res.Summary != want {
		t.Errorf("summary = %q, want %q", res.Summary, want)
	}
	if got := traffic(t, e.fake, checkout); len(got) != 1 || got[0].GetType() != runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST {
		t.Errorf("traffic = %v, want LATEST untouched", got)
	}
}

// Tags that reach the compromised revision would keep serving it and block
// its deletion; other revisions' tags stay.
func TestRollbackDropsTagsOfTheCompromisedRevisionOnly(t *testing.T) {
	e := setup(t)
	moveTraffic(t, e.fake, checkout, runfake.ToLatest(100),
		tagged(runfake.CheckoutGood, "stable"), tagged(runfake.CheckoutCompromised, "canary"))
	if _, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
		bot.ActionCloudRunRollback, false); err != nil {
		t.Fatal(err)
	}
	want := []*runpb.TrafficTarget{runfake.ToRevision(runfake.CheckoutGood, 100), tagged(runfake.CheckoutGood, "stable")}
	if diff := cmp.Diff(want, traffic(t, e.fake, checkout), protocmp.Transform()); diff != "" {
		t.Errorf("traffic (-want +got):\n%s", diff)
	}
	if _, ok := e.fake.Revision(runfake.RevisionName(checkout, runfake.CheckoutCompromised)); ok {
		t.Error("compromised revision not deleted")
	}
}

func tagged(revision, tag string) *runpb.TrafficTarget {
	t := runfake.ToRevision(revision, 0)
	t.Tag = tag
	return t
}

func TestRollbackChoosesRevisionWhenFindingNamesNone(t *testing.T) {
	e := setup(t)
	res, err := e.r.Execute(context.Background(), serviceFinding(runfake.ResizerService, ""), bot.ActionCloudRunRollback, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "Compromised revision: image-resizer-00007-kmb (the finding names no revision; this one receives 100% of the service's traffic)"
	if res.Details[0] != want {
		t.Errorf("first detail = %q, want %q", res.Details[0], want)
	}
	if _, ok := e.fake.Revision(runfake.RevisionName(resizer, runfake.ResizerCompromised)); ok {
		t.Error("revision serving all traffic not deleted")
	}
}

func TestRollbackLatestReadyWhenTrafficIsSplit(t *testing.T) {
	e := setup(t)
	moveTraffic(t, e.fake, checkout, runfake.ToRevision(runfake.CheckoutGood, 50), runfake.ToLatest(50))
	res, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, ""), bot.ActionCloudRunRollback, true)
	if err != nil {
		t.Fatal(err)
	}
	want := "Compromised revision: checkout-api-00042-xuz (the finding names no revision; this is the service's latest ready revision)"
	if res.Details[0] != want {
		t.Errorf("first detail = %q, want %q", res.Details[0], want)
	}
}
