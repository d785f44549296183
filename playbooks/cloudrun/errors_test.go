package cloudrun_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/cloudrun"
	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
)

const notReady = "Revision 'checkout-api-00040-bex' is not ready and cannot serve traffic."

// Backend failures, through the real client: each becomes a *bot.Error
// whose message says what to do, with the gRPC error still wrapped, and
// a failed step stops the steps after it.
func TestRollbackBackendFailures(t *testing.T) {
	tests := []struct {
		name    string
		fault   func(f *runfake.Server)
		code    string
		message string
		grpc    codes.Code
		calls   []string
	}{
		{"update denied", func(f *runfake.Server) { f.FailNext("UpdateService", codes.PermissionDenied, 1) },
			bot.EPermission, "sccbot may not update Cloud Run service checkout-api in project demo-web: " +
				"grant its service account roles/run.developer there",
			codes.PermissionDenied, []string{"GetService", "ListRevisions", "UpdateService"}},
		{"actAs denied", func(f *runfake.Server) {
			f.FailNextWithMessage("UpdateService", codes.PermissionDenied, "Permission 'iam.serviceaccounts.actAs' "+
				"denied on service account run-checkout-api@demo-web.iam.gserviceaccount.com", 1)
		}, bot.EPermission, "sccbot may not update Cloud Run service checkout-api in project demo-web: it needs " +
			"iam.serviceAccounts.actAs on the service's runtime service account; grant its service account " +
			"roles/iam.serviceAccountUser on that account", codes.PermissionDenied, nil},
		{"read denied", func(f *runfake.Server) { f.FailNext("GetService", codes.PermissionDenied, 1) },
			bot.EPermission, "sccbot may not read Cloud Run service checkout-api in project demo-web: " +
				"grant its service account roles/run.viewer there", codes.PermissionDenied, []string{"GetService"}},
		{"delete denied", func(f *runfake.Server) { f.FailNext("DeleteRevision", codes.PermissionDenied, 1) },
			bot.EPermission, "sccbot may not delete revision checkout-api-00042-xuz of Cloud Run service checkout-api " +
				"in project demo-web: grant its service account roles/run.developer there", codes.PermissionDenied, nil},
		{"delete refused", func(f *runfake.Server) {
			f.FailNextWithMessage("DeleteRevision", codes.FailedPrecondition, "Revision is serving traffic.", 1)
		}, bot.EConflict, "Cloud Run refused to delete revision checkout-api-00042-xuz of Cloud Run service " +
			"checkout-api: Revision is serving traffic.", codes.FailedPrecondition, nil},
		{"etag changed", func(f *runfake.Server) { f.FailNext("UpdateService", codes.Aborted, 1) },
			bot.EConflict, "Cloud Run could not update Cloud Run service checkout-api: it changed while sccbot was " +
				"working on it; run the action again to start from its new state", codes.Aborted, nil},
		{"read unavailable", func(f *runfake.Server) { f.FailNext("GetService", codes.Unavailable, 5) },
			bot.EUnavailable, "Cloud Run API unavailable (3 attempts) when sccbot tried to read Cloud Run service " +
				"checkout-api; try again in a few minutes", codes.Unavailable, []string{"GetService", "GetService", "GetService"}},
		{"update unavailable, not retried", func(f *runfake.Server) { f.FailNext("UpdateService", codes.Unavailable, 5) },
			bot.EUnavailable, "Cloud Run API unavailable (1 attempt) when sccbot tried to update Cloud Run service " +
				"checkout-api; try again in a few minutes", codes.Unavailable,
			[]string{"GetService", "ListRevisions", "UpdateService"}},
		{"service gone", func(f *runfake.Server) { f.FailNext("GetService", codes.NotFound, 1) },
			bot.ENotFound, "Cloud Run service checkout-api does not exist (europe-west1, project demo-web): " +
				"it may have been deleted", codes.NotFound, nil},
		{"credentials", func(f *runfake.Server) { f.FailNext("GetService", codes.Unauthenticated, 1) },
			bot.EUnauthorized, "Google rejected sccbot's credentials: check the service account it runs as " +
				"(Workload Identity or Application Default Credentials)", codes.Unauthenticated, nil},
		{"quota", func(f *runfake.Server) { f.FailNext("ListRevisions", codes.ResourceExhausted, 1) },
			bot.ERateLimited, "Cloud Run API quota exhausted; try again in a minute", codes.ResourceExhausted, nil},
		{"update operation fails", func(f *runfake.Server) {
			f.FailNextOperation("UpdateService", codes.FailedPrecondition, notReady, 1)
		}, bot.EConflict, "Cloud Run accepted the request to update Cloud Run service checkout-api but could not " +
			"finish it (FailedPrecondition): " + notReady, codes.FailedPrecondition,
			[]string{"GetService", "ListRevisions", "UpdateService", "GetOperation"}},
		{"delete operation fails", func(f *runfake.Server) {
			f.FailNextOperation("DeleteRevision", codes.Internal, "internal error while deleting", 1)
		}, bot.EInternal, "Cloud Run accepted the request to delete revision checkout-api-00042-xuz of Cloud Run " +
			"service checkout-api but could not finish it (Internal): internal error while deleting", codes.Internal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			tt.fault(e.fake)
			before := snap(e.fake)
			_, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
				bot.ActionCloudRunRollback, false)
			wantError(t, err, tt.code, tt.message)
			if status.Code(err) != tt.grpc {
				t.Errorf("wrapped gRPC code = %s, want %s (the original must stay wrapped)", status.Code(err), tt.grpc)
			}
			if tt.calls != nil {
				calls(t, e.fake, tt.calls...)
				unchanged(t, before, e.fake)
			}
		})
	}
}

// Transient read failures are retried, and then the action completes.
func TestTransientReadFailuresAreRetried(t *testing.T) {
	for _, method := range []string{"GetService", "ListRevisions", "GetOperation"} {
		t.Run(method, func(t *testing.T) {
			e := setup(t)
			e.fake.FailNext(method, codes.Unavailable, 1)
			if _, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
				bot.ActionCloudRunRollback, false); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"GetService": 1, "ListRevisions": 1, "GetOperation": 2}
			want[method]++
			for m, n := range want {
				if got := len(e.fake.Requests(m)); got != n {
					t.Errorf("%s calls = %d, want %d", m, got, n)
				}
			}
			if n := len(e.fake.Requests("UpdateService")); n != 1 {
				t.Errorf("UpdateService calls = %d, want 1", n)
			}
		})
	}
}

// warm connects the clients with a dry run on another service, so that
// short timeouts measure calls, not dialing.
func warm(t *testing.T, e env) {
	t.Helper()
	if _, err := e.r.Execute(context.Background(), serviceFinding(runfake.ResizerService, runfake.ResizerCompromised),
		bot.ActionCloudRunRollback, true); err != nil {
		t.Fatal(err)
	}
	e.fake.ResetCalls()
}

func TestSlowReadTimesOut(t *testing.T) {
	e := setup(t, func(o *cloudrun.Options) { o.Timeout, o.Attempts = 200*time.Millisecond, 2 })
	warm(t, e)
	e.fake.SetLatency("GetService", time.Minute)
	_, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
		bot.ActionCloudRunRollback, false)
	wantError(t, err, bot.EDeadline, "Cloud Run did not answer within 200ms (2 attempts) when sccbot tried to read "+
		"Cloud Run service checkout-api; running the action again is safe")
	calls(t, e.fake, "GetService", "GetService")
}

// An operation that does not finish in time is reported as such and not
// waited for again.
func TestSlowOperationTimesOut(t *testing.T) {
	e := setup(t, func(o *cloudrun.Options) { o.Timeout = 300 * time.Millisecond })
	warm(t, e)
	e.fake.SetLatency("GetOperation", time.Minute)
	_, err := e.r.Execute(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
		bot.ActionCloudRunRollback, false)
	wantError(t, err, bot.EDeadline, "Cloud Run did not finish the request to update Cloud Run service checkout-api "+
		"within 300ms; it may still finish, and running the action again is safe")
	calls(t, e.fake, "GetService", "ListRevisions", "UpdateService", "GetOperation")
}

func TestCallerCancellationIsNotACloudRunFault(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.r.Execute(ctx, serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
		bot.ActionCloudRunRollback, false)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := len(e.fake.Calls()); n > 1 {
		t.Errorf("%d calls after the caller gave up, want at most 1", n)
	}
}
