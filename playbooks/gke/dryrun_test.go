package gke

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
)

// state is everything the fake Kubernetes API holds.
type state struct {
	Pods     []corev1.Pod
	Nodes    []corev1.Node
	Policies []networkingv1.NetworkPolicy
}

func snapshot(k *gkefake.KubeAPI) state {
	return state{Pods: k.Pods(), Nodes: k.Nodes(), Policies: k.NetworkPolicies()}
}

// Dry run: every mutating call is sent with dryRun=All (DELETE carries it
// in its DeleteOptions body, as client-go sends it), the reads happen as
// usual, nothing changes, and the result says so.
func TestDryRun(t *testing.T) {
	tests := []struct {
		action string
		want   []string
	}{
		{bot.ActionIsolatePod, []string{"GET " + podPath, "PATCH " + podPath + "?dryRun=All", "POST " + policiesPath + "?dryRun=All"}},
		{bot.ActionDeletePod, []string{"GET " + podPath, "DELETE " + podPath}},
		{bot.ActionCordonNode, []string{"GET " + nodePath, "PATCH " + nodePath + "?dryRun=All"}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			e := newEnv(t, Options{})
			before := snapshot(e.kube)
			res := e.execute(t, tt.action, true)

			calls := wantRequests(t, e.kube, tt.want...)
			for _, c := range calls {
				if c.Method != http.MethodGet && !sentDryRun(t, c) {
					t.Errorf("%s %s was sent without dryRun=All", c.Method, c.Path)
				}
			}
			if diff := cmp.Diff(before, snapshot(e.kube), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("state changed by a dry run (-before +after):\n%s", diff)
			}
			if !res.DryRun || !strings.HasPrefix(res.Summary, "Dry run: ") || !strings.HasSuffix(res.Summary, "nothing was changed") {
				t.Errorf("result = %+v, want a dry run saying nothing was changed", res)
			}
			contains(t, "details", res.Details, "Would ")
		})
	}
}

func sentDryRun(t *testing.T, c gkefake.Call) bool {
	if c.Param("dryRun") == metav1.DryRunAll {
		return true
	}
	if c.Method != http.MethodDelete {
		return false
	}
	var opts metav1.DeleteOptions
	decode(t, c.Body, &opts)
	return cmp.Equal(opts.DryRun, []string{metav1.DryRunAll})
}

// A dry run on a workload already in the target state says so.
func TestDryRunAlready(t *testing.T) {
	e := newEnv(t, Options{})
	e.execute(t, bot.ActionCordonNode, false)
	res := e.execute(t, bot.ActionCordonNode, true)
	if !strings.HasPrefix(res.Summary, "Dry run: Node "+gkefake.SeedNode+" was already cordoned") {
		t.Errorf("summary = %q", res.Summary)
	}
}

func TestPreview(t *testing.T) {
	r := New(nil, Options{})
	where := "in cluster prod-cluster (us-central1, project demo-prod)"
	tests := []struct {
		action string
		first  string
	}{
		{bot.ActionIsolatePod, "Pod payments/" + gkefake.SeedPod + " " + where + ": add the label sccbot.io/quarantine=" +
			seedID + " and the deny-all NetworkPolicy " + policyName + " (ingress and egress); the pod keeps running for forensics"},
		{bot.ActionDeletePod, "Pod payments/" + gkefake.SeedPod + " " + where + ": delete it; its controller"},
		{bot.ActionCordonNode, "Node " + gkefake.SeedNode + " " + where + ": cordon it"},
	}
	for _, tt := range tests {
		lines, err := r.Preview(seedFinding(), tt.action)
		if err != nil {
			t.Fatalf("Preview(%s): %v", tt.action, err)
		}
		if !strings.HasPrefix(lines[0], tt.first) {
			t.Errorf("Preview(%s)[0] = %q, want prefix %q", tt.action, lines[0], tt.first)
		}
	}
}

func TestActions(t *testing.T) {
	want := []string{bot.ActionIsolatePod, bot.ActionDeletePod, bot.ActionCordonNode}
	if diff := cmp.Diff(want, New(nil, Options{}).Actions()); diff != "" {
		t.Error(diff)
	}
	_, err := New(nil, Options{}).Execute(context.Background(), seedFinding(), bot.ActionMute, false)
	if bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("Execute(mute) = %v, want EInvalid", err)
	}
}
