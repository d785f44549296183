// Package pubsubiam runs pstest, the Pub/Sub fake, together with the
// google.iam.v1.IAMPolicy service that the real Pub/Sub endpoint serves next
// to it: the Pub/Sub client's TestIamPermissions on a subscription goes
// there, and pstest has no such service. Like the real service it answers
// NotFound for a subscription that does not exist, and otherwise the subset
// of the asked permissions that is granted (every one, unless Deny took it
// away).
package pubsubiam

import (
	"context"
	"slices"
	"strings"
	"sync"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// IAM is the fake IAMPolicy service of a pstest server.
type IAM struct {
	iampb.UnimplementedIAMPolicyServer
	ps *pstest.Server

	mu     sync.Mutex
	denied map[string][]string // resource → permissions not granted
}

// NewServer starts pstest with the IAM service on the same address.
func NewServer() (*pstest.Server, *IAM) {
	iam := &IAM{denied: map[string][]string{}}
	iam.ps = pstest.NewServerWithCallback(0, func(g *grpc.Server) { iampb.RegisterIAMPolicyServer(g, iam) })
	return iam.ps, iam
}

// Deny takes permissions on resource (a subscription or topic name) away.
func (i *IAM) Deny(resource string, permissions ...string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.denied[resource] = append(i.denied[resource], permissions...)
}

// TestIamPermissions answers like Pub/Sub: NotFound for a missing
// subscription or topic, else the granted subset of the permissions.
func (i *IAM) TestIamPermissions(ctx context.Context, req *iampb.TestIamPermissionsRequest) (*iampb.TestIamPermissionsResponse, error) {
	if err := i.exists(ctx, req.GetResource()); err != nil {
		return nil, err
	}
	i.mu.Lock()
	denied := i.denied[req.GetResource()]
	i.mu.Unlock()
	var granted []string
	for _, p := range req.GetPermissions() {
		if !slices.Contains(denied, p) {
			granted = append(granted, p)
		}
	}
	return &iampb.TestIamPermissionsResponse{Permissions: granted}, nil
}

func (i *IAM) exists(ctx context.Context, resource string) error {
	switch {
	case strings.Contains(resource, "/subscriptions/"):
		_, err := i.ps.GServer.GetSubscription(ctx, &pubsubpb.GetSubscriptionRequest{Subscription: resource})
		return err
	case strings.Contains(resource, "/topics/"):
		_, err := i.ps.GServer.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: resource})
		return err
	}
	return status.Errorf(codes.InvalidArgument, "resource %q is not a Pub/Sub subscription or topic", resource)
}
