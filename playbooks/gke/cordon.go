package gke

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/sccbot/sccbot/bot"
)

// cordon marks the node unschedulable with the strategic-merge patch
// kubectl cordon sends. A node that is unschedulable already is success.
func (x *run) cordon(ctx context.Context) (bot.ActionResult, error) {
	var node *corev1.Node
	err := x.call(ctx, func(ctx context.Context) (err error) {
		node, err = x.k.getNode(ctx, x.t.Node)
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		return bot.ActionResult{}, bot.WrapError(bot.ENotFound, fmt.Sprintf("node %s no longer exists in cluster %s: "+
			"there is nothing to cordon (GKE may have replaced it)", x.t.Node, x.t.Cluster), err)
	case err != nil:
		return bot.ActionResult{}, x.fail(ctx, x.op("get", "nodes", "", x.t.Node, rbacCordon), err)
	}
	note := "Pods already on the node keep running (cordon does not drain it); drain it after forensics to move them"
	if node.Spec.Unschedulable {
		return bot.ActionResult{
			Summary: x.summary(fmt.Sprintf("Node %s was already cordoned in cluster %s", x.t.Node, x.t.Cluster)),
			Details: []string{fmt.Sprintf("Node %s was already unschedulable", x.t.Node), note},
		}, nil
	}
	err = x.call(ctx, func(ctx context.Context) error {
		return x.k.patchNode(ctx, x.t.Node, []byte(`{"spec":{"unschedulable":true}}`), x.dry)
	})
	if err != nil {
		return bot.ActionResult{}, x.fail(ctx, x.op("patch", "nodes", "", x.t.Node, rbacCordon), err)
	}
	return bot.ActionResult{
		Summary: x.summary(x.did("Node "+x.t.Node+" cordoned", "node "+x.t.Node+" would be cordoned") +
			" in cluster " + x.t.Cluster),
		Details: []string{x.did("Marked", "Would mark") + " node " + x.t.Node + " unschedulable: no new pods are scheduled there", note},
	}, nil
}
