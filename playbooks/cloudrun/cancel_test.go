package cloudrun_test

import (
	"context"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
)

func TestCancelNamedExecution(t *testing.T) {
	e := setup(t)
	f := jobFinding(runfake.ExportRunningNew)
	res, err := e.r.Execute(context.Background(), f, bot.ActionCloudRunCancelExecution, false)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "GetExecution", "CancelExecution", "GetOperation")
	name := runfake.ExecutionName(export, runfake.ExportRunningNew)
	req := request[*runpb.CancelExecutionRequest](t, e.fake, "CancelExecution")
	if req.GetName() != name || req.GetValidateOnly() {
		t.Errorf("CancelExecution request = %v, want %s", req, name)
	}
	if got, _ := e.fake.Execution(name); got.GetCompletionTime() == nil || got.GetCancelledCount() != 2 {
		t.Errorf("execution after cancel = %v, want cancelled", got)
	}
	if other, _ := e.fake.Execution(runfake.ExecutionName(export, runfake.ExportRunningOld)); other.GetCompletionTime() != nil {
		t.Error("another execution was cancelled too")
	}
	want := bot.ActionResult{
		Summary: "Job nightly-export: execution nightly-export-7xk2p cancelled",
		Details: []string{"Execution nightly-export-7xk2p: running since 2026-11-20 11:30 UTC, 2 task(s) running",
			"Cancelled execution nightly-export-7xk2p"},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}

	e.fake.ResetCalls()
	res, err = e.r.Execute(context.Background(), f, bot.ActionCloudRunCancelExecution, false)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "GetExecution")
	if want := "Job nightly-export: execution nightly-export-7xk2p already finished (cancelled); nothing to cancel"; res.Summary != want {
		t.Errorf("second run summary = %q, want %q", res.Summary, want)
	}
}

func TestCancelFullExecutionName(t *testing.T) {
	e := setup(t)
	f := jobFinding(runfake.ExecutionName(export, runfake.ExportRunningOld))
	f.Target.Job = ""
	if _, err := e.r.Execute(context.Background(), f, bot.ActionCloudRunCancelExecution, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.fake.Execution(runfake.ExecutionName(export, runfake.ExportRunningOld)); got.GetCompletionTime() == nil {
		t.Error("execution named in full not cancelled")
	}
}

func TestCancelCompletedExecutionSucceeds(t *testing.T) {
	e := setup(t)
	res, err := e.r.Execute(context.Background(), jobFinding(runfake.ExportCompleted), bot.ActionCloudRunCancelExecution, false)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "GetExecution")
	if want := "Job nightly-export: execution nightly-export-b3c8h already finished (succeeded); nothing to cancel"; res.Summary != want {
		t.Errorf("summary = %q, want %q", res.Summary, want)
	}
}

// A job-only finding: both running executions are cancelled, one after
// the other, and the completed one is left alone.
func TestCancelRunningExecutionsOfJob(t *testing.T) {
	e := setup(t)
	completed := runfake.ExecutionName(export, runfake.ExportCompleted)
	before, _ := e.fake.Execution(completed)
	res, err := e.r.Execute(context.Background(), jobFinding(""), bot.ActionCloudRunCancelExecution, false)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "ListExecutions", "CancelExecution", "GetOperation", "CancelExecution", "GetOperation")
	var names []string
	for _, m := range e.fake.Requests("CancelExecution") {
		names = append(names, m.(*runpb.CancelExecutionRequest).GetName())
	}
	want := []string{runfake.ExecutionName(export, runfake.ExportRunningNew), runfake.ExecutionName(export, runfake.ExportRunningOld)}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("cancelled (-want +got):\n%s", diff)
	}
	for _, name := range want {
		if got, _ := e.fake.Execution(name); got.GetCompletionTime() == nil {
			t.Errorf("%s still running", name)
		}
	}
	after, _ := e.fake.Execution(completed)
	if diff := cmp.Diff(before, after, protocmp.Transform()); diff != "" {
		t.Errorf("completed execution touched (-before +after):\n%s", diff)
	}
	wantSummary := "Job nightly-export: 2 running execution(s) cancelled: nightly-export-7xk2p, nightly-export-q9m4d"
	if res.Summary != wantSummary {
		t.Errorf("summary = %q, want %q", res.Summary, wantSummary)
	}
	if last := res.Details[len(res.Details)-1]; last != "1 finished execution(s) left as they are" {
		t.Errorf("last detail = %q", last)
	}

	e.fake.ResetCalls()
	res, err = e.r.Execute(context.Background(), jobFinding(""), bot.ActionCloudRunCancelExecution, false)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "ListExecutions")
	if want := "Job nightly-export: no running executions; nothing to cancel"; res.Summary != want {
		t.Errorf("second run summary = %q, want %q", res.Summary, want)
	}
}

func TestCancelDryRun(t *testing.T) {
	e := setup(t)
	before := snap(e.fake)
	res, err := e.r.Execute(context.Background(), jobFinding(""), bot.ActionCloudRunCancelExecution, true)
	if err != nil {
		t.Fatal(err)
	}
	calls(t, e.fake, "ListExecutions", "CancelExecution", "GetOperation", "CancelExecution", "GetOperation")
	for _, m := range e.fake.Requests("CancelExecution") {
		if !m.(*runpb.CancelExecutionRequest).GetValidateOnly() {
			t.Errorf("CancelExecution without validate_only in a dry run: %v", m)
		}
	}
	unchanged(t, before, e.fake)
	want := "Dry run: job nightly-export: 2 running execution(s) would be cancelled: nightly-export-7xk2p, " +
		"nightly-export-q9m4d; Cloud Run validated the requests; nothing was changed"
	if !res.DryRun || res.Summary != want {
		t.Errorf("result = %+v, want summary %q", res, want)
	}
}

func TestCancelReportsWhatWasDoneBeforeAFailure(t *testing.T) {
	e := setup(t)
	e.fake.FailAfter("CancelExecution", 1, codes.PermissionDenied, 1)
	_, err := e.r.Execute(context.Background(), jobFinding(""), bot.ActionCloudRunCancelExecution, false)
	wantError(t, err, bot.EPermission, "sccbot may not cancel execution nightly-export-q9m4d of Cloud Run job "+
		"nightly-export in project demo-web: grant its service account roles/run.developer there "+
		"(sccbot had already cancelled nightly-export-7xk2p)")
}
