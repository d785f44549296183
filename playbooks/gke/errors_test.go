package gke

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sccbot/sccbot/bot"
)

// Forbidden on each call an action makes becomes EPermission naming the
// verb, the resource, the namespace and cluster, and what to grant.
func TestForbidden(t *testing.T) {
	tests := []struct {
		action, method, path string
		parts                []string
	}{
		{bot.ActionIsolatePod, http.MethodPatch, podPath, []string{
			"may not patch pods in namespace payments of cluster prod-cluster",
			"grant it roles/container.developer on project demo-prod",
			"get and patch on pods, get and create on networkpolicies"}},
		{bot.ActionIsolatePod, http.MethodPost, policiesPath, []string{"may not create networkpolicies in namespace payments"}},
		{bot.ActionDeletePod, http.MethodGet, podPath, []string{"may not get pods", "get and delete on pods"}},
		{bot.ActionDeletePod, http.MethodDelete, podPath, []string{"may not delete pods in namespace payments of cluster prod-cluster"}},
		{bot.ActionCordonNode, http.MethodPatch, nodePath, []string{
			"may not patch nodes in cluster prod-cluster",
			"ClusterRole with get and patch on nodes", "container.nodes.update on project demo-prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.action+" "+tt.method, func(t *testing.T) {
			e := newEnv(t, Options{})
			before := snapshot(e.kube)
			e.kube.FailNext(tt.method, tt.path, http.StatusForbidden, 1)
			err := e.executeErr(t, seedFinding(), tt.action)
			wantCode(t, err, bot.EPermission, tt.parts...)
			if !strings.Contains(err.Error(), "is forbidden: User") {
				t.Errorf("the API server's own message is not kept for the log: %v", err)
			}
			if tt.method != http.MethodPost && len(snapshot(e.kube).Policies) != len(before.Policies) {
				t.Error("state changed after a refused call")
			}
		})
	}
}

func TestClusterErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env, f *bot.Finding)
		code  string
		parts []string
	}{
		{"unknown cluster", func(_ *env, f *bot.Finding) { f.Target.Cluster = "gone-cluster" },
			bot.ENotFound, []string{"GKE cluster gone-cluster does not exist in project demo-prod, location us-central1"}},
		{"permission denied", func(e *env, _ *bot.Finding) { e.cm.FailNext("GetCluster", codes.PermissionDenied, 1) },
			bot.EPermission, []string{"grant its service account roles/container.clusterViewer on project demo-prod"}},
		// The container client retries Unavailable by itself, within the
		// call's timeout; what reaches the bot is the timeout.
		{"container API unavailable", func(e *env, _ *bot.Finding) {
			e.clusters.opts.Timeout = 50 * time.Millisecond
			e.cm.SetLatency("GetCluster", time.Minute)
		}, bot.EUnavailable, []string{"the GKE API did not answer about cluster prod-cluster within 50ms"}},
		{"unauthenticated", func(e *env, _ *bot.Finding) { e.cm.FailNext("GetCluster", codes.Unauthenticated, 1) },
			bot.EUnauthorized, []string{"Workload Identity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			f := seedFinding()
			tt.setup(e, &f)
			err := e.executeErr(t, f, bot.ActionDeletePod)
			wantCode(t, err, tt.code, tt.parts...)
			if calls := e.kube.Calls(); len(calls) != 0 {
				t.Errorf("the Kubernetes API was called: %v", requests(t, calls))
			}
		})
	}
}

// A failing or unreachable Kubernetes API is EUnavailable, and a mutation
// that timed out says it may or may not have happened.
func TestKubeUnavailable(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env)
		parts []string
	}{
		{"503", func(e *env) { e.kube.FailNext(http.MethodPatch, nodePath, http.StatusServiceUnavailable, 1) },
			[]string{"cluster prod-cluster failed; the change may or may not have been made"}},
		{"500", func(e *env) { e.kube.FailNext("", "/", http.StatusInternalServerError, 1) },
			[]string{"cluster prod-cluster failed"}},
		{"timeout", func(e *env) { e.kube.SetLatency(time.Minute) },
			[]string{"did not answer within 50ms"}},
		{"closed", func(e *env) { e.kube.Close() },
			[]string{"could not be reached"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{Timeout: 50 * time.Millisecond})
			tt.setup(e)
			err := e.executeErr(t, seedFinding(), bot.ActionCordonNode)
			wantCode(t, err, bot.EUnavailable, tt.parts...)
		})
	}
}

func TestWrongToken(t *testing.T) {
	e := newEnv(t, Options{})
	e.clusters.tokens = staticToken("ya29.someone-else")
	err := e.executeErr(t, seedFinding(), bot.ActionCordonNode)
	wantCode(t, err, bot.EUnauthorized, "cluster prod-cluster rejected sccbot's credentials")
}

// The caller's own context ending is not a cluster fault: it comes back
// as the context's error, whether it ends before GetCluster or, with the
// cluster cached, before the Kubernetes call.
func TestCallerCancelled(t *testing.T) {
	e := newEnv(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, stage := range []string{"container API", "Kubernetes API"} {
		_, err := e.resp.Execute(ctx, seedFinding(), bot.ActionCordonNode, false)
		var be *bot.Error
		if !errors.Is(err, context.Canceled) || errors.As(err, &be) {
			t.Errorf("%s: Execute after cancel = %v, want the context's error, not a *bot.Error", stage, err)
		}
		e.execute(t, bot.ActionCordonNode, true) // caches the cluster for the second round
	}
}

// Hostile or missing coordinates are refused before anything is called.
func TestRefusedTargets(t *testing.T) {
	tests := []struct {
		name   string
		action string
		edit   func(t *bot.Target)
		parts  []string
	}{
		{"no pod", bot.ActionIsolatePod, func(t *bot.Target) { t.Pod = "" }, []string{"names no pod"}},
		{"no namespace or pod", bot.ActionDeletePod, func(t *bot.Target) { t.Namespace, t.Pod = "", "" },
			[]string{"names no namespace and pod: sccbot needs it to delete the pod"}},
		{"no node", bot.ActionCordonNode, func(t *bot.Target) { t.Node = "" }, []string{"names no node"}},
		{"no cluster", bot.ActionCordonNode, func(t *bot.Target) { t.Cluster = "" }, []string{"names no cluster"}},
		{"cloud run", bot.ActionDeletePod, func(t *bot.Target) { t.Product = bot.ProductCloudRun }, []string{"Cloud Run, not GKE"}},
		{"path in pod", bot.ActionDeletePod, func(t *bot.Target) { t.Pod = "../../nodes/x" }, []string{`pod "../../nodes/x" is not a valid name`}},
		{"slash in pod", bot.ActionIsolatePod, func(t *bot.Target) { t.Pod = "a/b" }, []string{"pod"}},
		{"query in pod", bot.ActionDeletePod, func(t *bot.Target) { t.Pod = "x?dryRun=All" }, []string{"pod"}},
		{"upper case", bot.ActionDeletePod, func(t *bot.Target) { t.Pod = "Checkout" }, []string{"pod"}},
		{"namespace", bot.ActionIsolatePod, func(t *bot.Target) { t.Namespace = "kube-system/.." }, []string{"namespace"}},
		{"dotted namespace", bot.ActionIsolatePod, func(t *bot.Target) { t.Namespace = "a.b" }, []string{"namespace"}},
		{"node", bot.ActionCordonNode, func(t *bot.Target) { t.Node = "n\x00ode" }, []string{"node"}},
		{"space", bot.ActionCordonNode, func(t *bot.Target) { t.Node = "node 1" }, []string{"node"}},
		{"long", bot.ActionCordonNode, func(t *bot.Target) { t.Node = strings.Repeat("a", 300) }, []string{"…"}},
		{"project", bot.ActionCordonNode, func(t *bot.Target) { t.Project = "demo-prod/../other" }, []string{"project"}},
		{"cluster", bot.ActionCordonNode, func(t *bot.Target) { t.Cluster = "prod/cluster" }, []string{"cluster"}},
		{"location", bot.ActionCordonNode, func(t *bot.Target) { t.Location = "us-central1/../x" }, []string{"location"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			f := seedFinding()
			tt.edit(&f.Target)
			err := e.executeErr(t, f, tt.action)
			wantCode(t, err, bot.EInvalid, tt.parts...)
			if _, perr := e.resp.Preview(f, tt.action); bot.ErrorCode(perr) != bot.EInvalid {
				t.Errorf("Preview = %v, want EInvalid", perr)
			}
			if calls, reqs := e.kube.Calls(), e.cm.Requests("GetCluster"); len(calls) != 0 || len(reqs) != 0 {
				t.Errorf("called: %d Kubernetes requests, %d GetCluster", len(calls), len(reqs))
			}
		})
	}
}

// TestCallDeadlineWins: when the per-call deadline passes, whatever the
// transport returned instead of an answer (an empty response racing the
// cancellation, a reset stream) is a timeout; a failure status the API
// server sent stands.
func TestCallDeadlineWins(t *testing.T) {
	x := &run{r: &Responder{opts: Options{Timeout: 5 * time.Millisecond}}}
	op := kubeOp{verb: "patch", resource: "nodes", name: "n1", cluster: "prod-cluster"}
	late := func(err error) func(ctx context.Context) error {
		return func(ctx context.Context) error { <-ctx.Done(); return err }
	}
	for _, tt := range []struct {
		name string
		err  error
		code string
		part string
	}{
		{"empty response", errors.New("0-length response with status code: 200"), bot.EUnavailable, "did not answer within 5ms"},
		{"reset stream", errors.New("stream error: stream ID 3; CANCEL"), bot.EUnavailable, "did not answer within 5ms"},
		{"not found sent", apierrors.NewNotFound(schema.GroupResource{Resource: "nodes"}, "n1"), bot.ENotFound, "not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := x.fail(context.Background(), op, x.call(context.Background(), late(tt.err)))
			var be *bot.Error
			if !errors.As(err, &be) {
				t.Fatalf("fail = %v, want a *bot.Error", err)
			}
			wantCode(t, be, tt.code, tt.part)
		})
	}
}
