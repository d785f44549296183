package gke

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
)

func TestIsolatePod(t *testing.T) {
	e := newEnv(t, Options{})
	res := e.execute(t, bot.ActionIsolatePod, false)

	calls := wantRequests(t, e.kube, "GET "+podPath, "PATCH "+podPath, "POST "+policiesPath)
	patch := calls[1]
	if patch.ContentType != "application/merge-patch+json" {
		t.Errorf("patch content type = %q", patch.ContentType)
	}
	if want := `{"metadata":{"labels":{"sccbot.io/quarantine":"` + seedID + `"}}}`; patch.Body != want {
		t.Errorf("patch body = %s, want %s", patch.Body, want)
	}
	var sent networkingv1.NetworkPolicy
	decode(t, calls[2].Body, &sent)
	if diff := cmp.Diff(wantPolicy().Spec, sent.Spec); diff != "" {
		t.Errorf("policy spec sent (-want +got):\n%s", diff)
	}

	pod, ok := e.kube.Pod(gkefake.SeedNamespace, gkefake.SeedPod)
	if !ok || pod.Labels[QuarantineLabel] != seedID || pod.Labels["app"] != "checkout" {
		t.Errorf("pod after isolation: exists %v, labels %v", ok, pod.Labels)
	}
	np, ok := e.kube.NetworkPolicy(gkefake.SeedNamespace, policyName)
	if !ok {
		t.Fatalf("no NetworkPolicy %s; have %v", policyName, e.kube.NetworkPolicies())
	}
	if diff := cmp.Diff(wantPolicy().Spec, np.Spec); diff != "" {
		t.Errorf("stored policy (-want +got):\n%s", diff)
	}
	if np.Annotations[FindingAnnotation] != gkefake.SeedFindingName {
		t.Errorf("policy annotations = %v", np.Annotations)
	}
	if res.DryRun || res.Summary != "Pod payments/"+gkefake.SeedPod+" isolated in cluster prod-cluster" {
		t.Errorf("result = %+v", res)
	}
	contains(t, "details", res.Details, "Dataplane V2")
	contains(t, "details", res.Details, "keeps running for forensics")
}

func wantPolicy() networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{QuarantineLabel: seedID}},
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
	}}
}

func TestIsolatePodTwice(t *testing.T) {
	e := newEnv(t, Options{})
	e.execute(t, bot.ActionIsolatePod, false)
	e.kube.ResetCalls()

	res := e.execute(t, bot.ActionIsolatePod, false)
	// The label is there: no second patch. The create meets 409 and the
	// existing policy is read back and checked.
	wantRequests(t, e.kube, "GET "+podPath, "POST "+policiesPath, "GET "+policyPath)
	if n := len(e.kube.NetworkPolicies()); n != 1 {
		t.Errorf("%d network policies after two runs, want 1", n)
	}
	if !strings.Contains(res.Summary, "already isolated") {
		t.Errorf("summary = %q, want it to say already", res.Summary)
	}
}

// An earlier finding's label is kept, so that its policy still selects
// the pod; the policy a second finding would create selects that value.
func TestIsolateKeepsEarlierLabel(t *testing.T) {
	e := newEnv(t, Options{})
	pod := gkefake.SeedPodObject()
	pod.Labels[QuarantineLabel] = "earlier"
	e.kube.AddPod(pod)

	res := e.execute(t, bot.ActionIsolatePod, false)
	wantRequests(t, e.kube, "GET "+podPath, "POST "+policiesPath)
	np, _ := e.kube.NetworkPolicy(gkefake.SeedNamespace, policyName)
	if got := np.Spec.PodSelector.MatchLabels[QuarantineLabel]; got != "earlier" {
		t.Errorf("policy selects %q, want the pod's existing value", got)
	}
	contains(t, "details", res.Details, "already had the label")
}

// A policy of sccbot's name that someone made permissive is not taken for
// an isolation.
func TestIsolateRefusesForeignPolicy(t *testing.T) {
	e := newEnv(t, Options{})
	allowAll := wantPolicy()
	allowAll.Name, allowAll.Namespace = policyName, gkefake.SeedNamespace
	allowAll.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
	e.kube.AddNetworkPolicy(allowAll)

	err := e.executeErr(t, seedFinding(), bot.ActionIsolatePod)
	wantCode(t, err, bot.EConflict, "does not deny all traffic", policyName)
}

func TestIsolateMissingPod(t *testing.T) {
	e := newEnv(t, Options{})
	f := seedFinding()
	f.Target.Pod = "checkout-7d9f8b6c5-gone1"
	err := e.executeErr(t, f, bot.ActionIsolatePod)
	wantCode(t, err, bot.ENotFound, "no longer exists")
	if n := len(e.kube.NetworkPolicies()); n != 0 {
		t.Errorf("%d policies created for a missing pod", n)
	}
}

func TestDeletePod(t *testing.T) {
	e := newEnv(t, Options{})
	before, _ := e.kube.Pod(gkefake.SeedNamespace, gkefake.SeedPod)
	res := e.execute(t, bot.ActionDeletePod, false)

	calls := wantRequests(t, e.kube, "GET "+podPath, "DELETE "+podPath)
	var opts metav1.DeleteOptions
	decode(t, calls[1].Body, &opts)
	seed := before.UID
	if opts.Preconditions == nil || opts.Preconditions.UID == nil || *opts.Preconditions.UID != seed {
		t.Errorf("delete options = %+v, want the UID precondition %s", opts, seed)
	}
	if len(opts.DryRun) != 0 || opts.GracePeriodSeconds != nil {
		t.Errorf("delete options = %+v, want no dry run and the default grace period", opts)
	}
	if _, ok := e.kube.Pod(gkefake.SeedNamespace, gkefake.SeedPod); ok {
		t.Error("the pod still exists")
	}
	pods := e.kube.Pods()
	if len(pods) != 1 || !strings.HasPrefix(pods[0].Name, gkefake.SeedReplicaSet+"-") {
		t.Errorf("pods after delete = %v, want one fresh replacement", pods)
	}
	if res.Summary != "Pod payments/"+gkefake.SeedPod+" deleted in cluster prod-cluster" {
		t.Errorf("summary = %q", res.Summary)
	}
	contains(t, "details", res.Details, "owned by ReplicaSet "+gkefake.SeedReplicaSet)
}

func TestDeletePodTwice(t *testing.T) {
	e := newEnv(t, Options{})
	e.execute(t, bot.ActionDeletePod, false)
	e.kube.ResetCalls()

	res := e.execute(t, bot.ActionDeletePod, false)
	wantRequests(t, e.kube, "GET "+podPath)
	if !strings.Contains(res.Summary, "already gone") {
		t.Errorf("summary = %q, want it to say already gone", res.Summary)
	}
	if n := len(e.kube.Pods()); n != 1 {
		t.Errorf("%d pods after two deletes, want the one replacement", n)
	}
}

func TestDeleteBarePod(t *testing.T) {
	e := newEnv(t, Options{})
	bare := gkefake.SeedPodObject()
	bare.OwnerReferences = nil
	e.kube.AddPod(bare)

	res := e.execute(t, bot.ActionDeletePod, false)
	if n := len(e.kube.Pods()); n != 0 {
		t.Errorf("%d pods after deleting a bare pod, want 0", n)
	}
	contains(t, "details", res.Details, "will NOT come back")
}

func TestCordonNode(t *testing.T) {
	e := newEnv(t, Options{})
	res := e.execute(t, bot.ActionCordonNode, false)

	calls := wantRequests(t, e.kube, "GET "+nodePath, "PATCH "+nodePath)
	if calls[1].ContentType != "application/strategic-merge-patch+json" || calls[1].Body != `{"spec":{"unschedulable":true}}` {
		t.Errorf("patch = %s %s", calls[1].ContentType, calls[1].Body)
	}
	if n, _ := e.kube.Node(gkefake.SeedNode); !n.Spec.Unschedulable {
		t.Error("node is still schedulable")
	}
	if res.Summary != "Node "+gkefake.SeedNode+" cordoned in cluster prod-cluster" {
		t.Errorf("summary = %q", res.Summary)
	}

	e.kube.ResetCalls()
	res = e.execute(t, bot.ActionCordonNode, false)
	wantRequests(t, e.kube, "GET "+nodePath)
	if !strings.Contains(res.Summary, "already cordoned") {
		t.Errorf("second summary = %q", res.Summary)
	}
}

func TestCordonMissingNode(t *testing.T) {
	e := newEnv(t, Options{})
	f := seedFinding()
	f.Target.Node = "gke-prod-cluster-pool-1-gone"
	err := e.executeErr(t, f, bot.ActionCordonNode)
	wantCode(t, err, bot.ENotFound, "node gke-prod-cluster-pool-1-gone no longer exists")
}
