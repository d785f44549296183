package cloudrun_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
)

// Names in a finding are attacker-controlled: a hostile one is refused
// before any call, by Execute and by Preview alike, and the message
// repeats it only quoted, cut short and stripped of anything that could
// format or spoof text.
func TestHostileNamesAreRefusedWithoutACall(t *testing.T) {
	svc := func(edit func(*bot.Target)) bot.Finding {
		f := serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised)
		edit(&f.Target)
		return f
	}
	job := func(edit func(*bot.Target)) bot.Finding {
		f := jobFinding(runfake.ExportRunningNew)
		edit(&f.Target)
		return f
	}
	rollback, cancel := bot.ActionCloudRunRollback, bot.ActionCloudRunCancelExecution
	tests := []struct {
		name    string
		f       bot.Finding
		action  string
		message string
	}{
		{"path traversal service", svc(func(t *bot.Target) { t.Service = "../../etc/passwd" }), rollback,
			`the finding's Cloud Run service "../../etc/passwd" is not a valid Cloud Run name, so sccbot will not act on it`},
		{"service with a slash", svc(func(t *bot.Target) { t.Service = "checkout-api/revisions/x" }), rollback, ""},
		{"upper case", svc(func(t *bot.Target) { t.Service = "Checkout-API" }), rollback, ""},
		{"newline", svc(func(t *bot.Target) { t.Service = "checkout-api\n*approved*" }), rollback,
			`the finding's Cloud Run service "checkout-api??approved?" is not a valid Cloud Run name, so sccbot will not act on it`},
		{"too long", svc(func(t *bot.Target) { t.Service = strings.Repeat("a", 50) }), rollback, ""},
		{"homoglyph", svc(func(t *bot.Target) { t.Service = "сheckout-api" }), rollback, ""},
		{"trailing hyphen", svc(func(t *bot.Target) { t.Service = "checkout-api-" }), rollback, ""},
		{"missing service", svc(func(t *bot.Target) { t.Service = "" }), rollback,
			"the finding names no Cloud Run service, so sccbot cannot act on it"},
		{"project with a path", svc(func(t *bot.Target) { t.Project = "demo-web/locations/us-east1" }), rollback, ""},
		{"missing project", svc(func(t *bot.Target) { t.Project = "" }), rollback,
			"the finding names no project, so sccbot cannot act on it"},
		{"region with a path", svc(func(t *bot.Target) { t.Location = "europe-west1/services/other" }), rollback, ""},
		{"revision traversal", svc(func(t *bot.Target) { t.Revision = "checkout-api-00042-xuz/../../x" }), rollback, ""},
		{"revision of another project", svc(func(t *bot.Target) {
			t.Revision = "projects/other/locations/europe-west1/services/checkout-api/revisions/checkout-api-00042-xuz"
		}), rollback, `the finding's revision "projects/other/locations/europe-west1/se…" does not belong to the ` +
			`workload it names, so sccbot will not act on it`},
		{"mention", svc(func(t *bot.Target) { t.Revision = "<!channel>" }), rollback,
			`the finding's revision "?!channel?" is not a valid Cloud Run name, so sccbot will not act on it`},
		{"job with a space", job(func(t *bot.Target) { t.Job = "nightly export" }), cancel, ""},
		{"execution of another job", job(func(t *bot.Target) {
			t.Execution = "projects/demo-web/locations/europe-west1/jobs/other/executions/other-x1"
		}), cancel, ""},
		{"execution query", job(func(t *bot.Target) { t.Execution = "x?y" }), cancel, ""},
		{"missing job", job(func(t *bot.Target) { t.Job, t.Execution = "", "" }), cancel,
			"the finding names no Cloud Run job, so sccbot cannot act on it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			for _, dry := range []bool{false, true} {
				_, err := e.r.Execute(context.Background(), tt.f, tt.action, dry)
				checkRefusal(t, err, tt.message)
			}
			_, err := e.r.Preview(tt.f, tt.action)
			checkRefusal(t, err, tt.message)
			calls(t, e.fake)
		})
	}
}

func checkRefusal(t *testing.T, err error, message string) {
	t.Helper()
	if bot.ErrorCode(err) != bot.EInvalid {
		t.Fatalf("err = %v, want invalid", err)
	}
	msg := bot.ErrorMessage(err)
	if message != "" && msg != message {
		t.Errorf("message = %q\nwant      %q", msg, message)
	}
	if strings.ContainsAny(msg, "\n<>`&") {
		t.Errorf("message %q repeats hostile characters", msg)
	}
}

func TestPreview(t *testing.T) {
	e := setup(t)
	tests := []struct {
		name   string
		f      bot.Finding
		action string
		want   []string
	}{
		{"named revision", serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised), bot.ActionCloudRunRollback,
			[]string{"service checkout-api (europe-west1, project demo-web): move 100% of traffic to the last ready " +
				"revision before checkout-api-00042-xuz, then delete that revision"}},
		{"no revision", serviceFinding(runfake.ResizerService, ""), bot.ActionCloudRunRollback, []string{
			"service image-resizer (europe-west1, project demo-web): move 100% of traffic to the last ready revision " +
				"before the compromised one, then delete the compromised revision",
			"the finding names no revision: sccbot will take the revision that receives all traffic, or else the " +
				"latest ready one, as compromised, and say which in the result"}},
		{"named execution", jobFinding(runfake.ExportRunningNew), bot.ActionCloudRunCancelExecution,
			[]string{"job nightly-export (europe-west1, project demo-web): cancel execution nightly-export-7xk2p"}},
		{"job only", jobFinding(""), bot.ActionCloudRunCancelExecution,
			[]string{"job nightly-export (europe-west1, project demo-web): cancel every running execution (the finding names none)"}},
	}
	for _, tt := range tests {
		got, err := e.r.Preview(tt.f, tt.action)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	calls(t, e.fake)
}

func TestActionsAndRefusals(t *testing.T) {
	e := setup(t)
	want := []string{bot.ActionCloudRunRollback, bot.ActionCloudRunCancelExecution}
	if diff := cmp.Diff(want, e.r.Actions()); diff != "" {
		t.Errorf("Actions (-want +got):\n%s", diff)
	}
	f := serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised)
	_, err := e.r.Execute(context.Background(), f, bot.ActionIsolatePod, false)
	wantError(t, err, bot.EInvalid, `the Cloud Run responder does not carry out "isolate?pod"`)
	f.Target.Product = bot.ProductGKE
	_, err = e.r.Preview(f, bot.ActionCloudRunRollback)
	wantError(t, err, bot.EInvalid, "this finding is about GKE, not Cloud Run: cloudrun_rollback does not apply")
	calls(t, e.fake)
}
