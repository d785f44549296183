package gke

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sccbot/sccbot/bot"
)

// rbacIsolate is what an RBAC role must allow for isolate_pod.
const rbacIsolate = "get and patch on pods, get and create on networkpolicies"

// isolate labels the pod and creates the deny-all NetworkPolicy that
// selects the label. A pod that already carries the label keeps its value
// (an earlier finding's), so that the policy created for it still selects
// it; an existing policy of the same name is checked, not trusted.
func (x *run) isolate(ctx context.Context) (bot.ActionResult, error) {
	pod, err := x.readPod(ctx, rbacIsolate)
	if err != nil {
		return bot.ActionResult{}, err
	}
	if pod == nil {
		return bot.ActionResult{}, bot.Errorf(bot.ENotFound, "pod %s/%s no longer exists in cluster %s: there is "+
			"nothing to isolate (its controller may have replaced it)", x.t.Namespace, x.t.Pod, x.t.Cluster)
	}
	value, labelled := pod.Labels[QuarantineLabel]
	var steps []string
	if labelled {
		steps = append(steps, fmt.Sprintf("Pod %s/%s already had the label %s=%s", x.t.Namespace, x.t.Pod, QuarantineLabel, value))
	} else {
		value = quarantineValue(x.f)
		if err := x.label(ctx, value); err != nil {
			return bot.ActionResult{}, err
		}
		steps = append(steps, x.did("Labelled", "Would label")+fmt.Sprintf(" pod %s/%s with %s=%s",
			x.t.Namespace, x.t.Pod, QuarantineLabel, value))
	}
	created, err := x.ensurePolicy(ctx, value)
	if err != nil {
		return bot.ActionResult{}, err
	}
	name := PolicyName(x.t.Pod)
	if created {
		steps = append(steps, x.did("Created", "Would create")+fmt.Sprintf(" NetworkPolicy %s/%s: it selects "+
			"%s=%s and allows no ingress and no egress", x.t.Namespace, name, QuarantineLabel, value))
	} else {
		steps = append(steps, fmt.Sprintf("NetworkPolicy %s/%s already existed and denies all traffic to the pod",
			x.t.Namespace, name))
	}
	steps = append(steps, "The pod keeps running for forensics: kubectl cp and exec still work", enforcementNote)
	return bot.ActionResult{Summary: x.isolateSummary(labelled && !created), Details: steps}, nil
}

func (x *run) isolateSummary(already bool) string {
	pod := fmt.Sprintf("pod %s/%s", x.t.Namespace, x.t.Pod)
	switch {
	case already:
		return x.summary(capital(pod) + " was already isolated in cluster " + x.t.Cluster)
	case x.dry:
		return x.summary(pod + " would be isolated in cluster " + x.t.Cluster)
	}
	return capital(pod) + " isolated in cluster " + x.t.Cluster
}

func capital(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// readPod reads the finding's pod; a pod that does not exist is nil.
func (x *run) readPod(ctx context.Context, rbac string) (*corev1.Pod, error) {
	var pod *corev1.Pod
	err := x.call(ctx, func(ctx context.Context) (err error) {
		pod, err = x.k.getPod(ctx, x.t.Namespace, x.t.Pod)
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, x.fail(ctx, x.op("get", "pods", x.t.Namespace, x.t.Pod, rbac), err)
	}
	return pod, nil
}

// label adds the quarantine label with a JSON merge patch, which touches
// no other label.
func (x *run) label(ctx context.Context, value string) error {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"labels": map[string]string{QuarantineLabel: value}},
	})
	if err != nil {
		return bot.WrapError(bot.EInternal, "sccbot could not build the label patch", err)
	}
	err = x.call(ctx, func(ctx context.Context) error {
		return x.k.patchPod(ctx, x.t.Namespace, x.t.Pod, patch, x.dry)
	})
	if err != nil {
		return x.fail(ctx, x.op("patch", "pods", x.t.Namespace, x.t.Pod, rbacIsolate), err)
	}
	return nil
}

// ensurePolicy creates the deny-all policy, or checks the one that
// exists: it reports whether it created it.
func (x *run) ensurePolicy(ctx context.Context, value string) (bool, error) {
	np := x.policy(value)
	err := x.call(ctx, func(ctx context.Context) error { return x.k.createPolicy(ctx, np, x.dry) })
	switch {
	case err == nil:
		return true, nil
	case !apierrors.IsAlreadyExists(err):
		return false, x.fail(ctx, x.op("create", "networkpolicies", np.Namespace, np.Name, rbacIsolate), err)
	}
	var existing *networkingv1.NetworkPolicy
	err = x.call(ctx, func(ctx context.Context) (err error) {
		existing, err = x.k.getPolicy(ctx, np.Namespace, np.Name)
		return err
	})
	if err != nil {
		return false, x.fail(ctx, x.op("get", "networkpolicies", np.Namespace, np.Name, rbacIsolate), err)
	}
	if !deniesAll(existing, value) {
		return false, bot.Errorf(bot.EConflict, "NetworkPolicy %s/%s already exists in cluster %s but does not deny "+
			"all traffic to pods labelled %s=%s: someone else created or changed it; inspect it, delete it and run "+
			"the action again", np.Namespace, np.Name, x.t.Cluster, QuarantineLabel, value)
	}
	return false, nil
}

// policy is the deny-all NetworkPolicy: it selects the quarantine label
// and, with both policy types and no rules, allows nothing in or out.
func (x *run) policy(value string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name:        PolicyName(x.t.Pod),
			Namespace:   x.t.Namespace,
			Labels:      map[string]string{"app.kubernetes.io/managed-by": userAgent},
			Annotations: map[string]string{FindingAnnotation: x.f.Name},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{QuarantineLabel: value}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

// deniesAll reports whether np is (still) a deny-all policy for the
// label: an attacker who can write policies in the namespace could have
// created one of that name that allows everything.
func deniesAll(np *networkingv1.NetworkPolicy, value string) bool {
	s := np.Spec
	sel := s.PodSelector
	return maps.Equal(sel.MatchLabels, map[string]string{QuarantineLabel: value}) && len(sel.MatchExpressions) == 0 &&
		slices.Contains(s.PolicyTypes, networkingv1.PolicyTypeIngress) &&
		slices.Contains(s.PolicyTypes, networkingv1.PolicyTypeEgress) &&
		len(s.Ingress) == 0 && len(s.Egress) == 0
}
