package gkefake

import (
	"context"
	"encoding/base64"
	"testing"

	container "cloud.google.com/go/container/apiv1"
	"cloud.google.com/go/container/apiv1/containerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The real container client against the fake: the seed cluster points at
// the Kubernetes fake, by endpoint and CA.
func TestGetCluster(t *testing.T) {
	k := NewKubeAPI(DefaultToken)
	t.Cleanup(k.Close)
	cm := NewClusterManager(k)
	if err := cm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cm.Close)
	Seed(k, cm)
	ctx := context.Background()
	cc, err := container.NewClusterManagerClient(ctx, cm.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })

	name := ClusterName(SeedProject, SeedLocation, SeedCluster)
	cl, err := cc.GetCluster(ctx, &containerpb.GetClusterRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := base64.StdEncoding.DecodeString(cl.GetMasterAuth().GetClusterCaCertificate())
	if err != nil || string(ca) != string(k.CAPEM()) || cl.GetEndpoint() != k.Host() || cl.GetStatus() != containerpb.Cluster_RUNNING {
		t.Errorf("cluster = endpoint %q, status %s, CA matches %v", cl.GetEndpoint(), cl.GetStatus(), string(ca) == string(k.CAPEM()))
	}
	// The deprecated fields name the same cluster.
	//nolint:staticcheck // SA1019: the legacy form is what this test sends
	legacy := &containerpb.GetClusterRequest{ProjectId: SeedProject, Zone: SeedLocation, ClusterId: SeedCluster}
	if _, err := cc.GetCluster(ctx, legacy); err != nil {
		t.Errorf("GetCluster by project, zone and cluster: %v", err)
	}
	_, err = cc.GetCluster(ctx, &containerpb.GetClusterRequest{Name: ClusterName(SeedProject, SeedLocation, "nope")})
	if status.Code(err) != codes.NotFound {
		t.Errorf("unknown cluster = %v, want NotFound", err)
	}
	cm.FailNext("GetCluster", codes.PermissionDenied, 1)
	if _, err := cc.GetCluster(ctx, &containerpb.GetClusterRequest{Name: name}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("injected fault = %v", err)
	}
	if n := len(cm.Requests("GetCluster")); n != 4 {
		t.Errorf("%d requests recorded, want 4", n)
	}
}
