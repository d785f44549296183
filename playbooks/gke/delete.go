package gke

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sccbot/sccbot/bot"
)

// RBAC needs of the actions, for permission errors.
const (
	rbacDelete = "get and delete on pods"
	rbacCordon = "get and patch on nodes"
)

// deletePod deletes the pod it read, with the pod's own grace period. The
// UID precondition makes sure that a pod recreated under the same name (a
// StatefulSet's) in between is not the one deleted. A pod that is gone
// already, or was replaced, is success: the action is idempotent.
func (x *run) deletePod(ctx context.Context) (bot.ActionResult, error) {
	pod, err := x.readPod(ctx, rbacDelete)
	if err != nil {
		return bot.ActionResult{}, err
	}
	if pod == nil {
		return x.podGone(), nil
	}
	uid := pod.UID
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
	if x.dry {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	err = x.call(ctx, func(ctx context.Context) error { return x.k.deletePod(ctx, x.t.Namespace, x.t.Pod, opts) })
	switch {
	case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		return x.podGone(), nil
	case err != nil:
		return bot.ActionResult{}, x.fail(ctx, x.op("delete", "pods", x.t.Namespace, x.t.Pod, rbacDelete), err)
	}
	return bot.ActionResult{
		Summary: x.summary(x.did("Pod "+x.podName()+" deleted", "pod "+x.podName()+" would be deleted") +
			" in cluster " + x.t.Cluster),
		Details: []string{
			x.did("Deleted", "Would delete") + fmt.Sprintf(" pod %s (grace period: the pod's own, %s)", x.podName(), grace(pod)),
			x.replacement(pod),
		},
	}, nil
}

func (x *run) podName() string { return x.t.Namespace + "/" + x.t.Pod }

// podGone is the result for a pod that no longer exists.
func (x *run) podGone() bot.ActionResult {
	return bot.ActionResult{
		Summary: x.summary(fmt.Sprintf("Pod %s was already gone from cluster %s", x.podName(), x.t.Cluster)),
		Details: []string{fmt.Sprintf("Pod %s no longer exists (it was deleted or replaced): nothing to delete", x.podName())},
	}
}

// replacement says whether a controller will start a fresh pod.
func (x *run) replacement(pod *corev1.Pod) string {
	owner := metav1.GetControllerOf(pod)
	if owner == nil {
		return "The pod has no controller (no ownerReference): it will NOT come back; redeploy it if it is needed"
	}
	return fmt.Sprintf("The pod is owned by %s %s: it starts a fresh pod from its template", owner.Kind, owner.Name)
}

func grace(p *corev1.Pod) string {
	if s := p.Spec.TerminationGracePeriodSeconds; s != nil {
		return fmt.Sprintf("%ds", *s)
	}
	return fmt.Sprintf("%ds by default", corev1.DefaultTerminationGracePeriodSeconds)
}
