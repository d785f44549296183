package gkefake

import (
	"context"
	"encoding/base64"
	"sync"
	"time"

	"cloud.google.com/go/container/apiv1/containerpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

// ClusterManager is an in-process fake of the GKE container API
// (google.container.v1.ClusterManager). It serves GetCluster only: every
// cluster it knows points at one KubeAPI, whose host is the endpoint and
// whose certificate is the cluster CA. Create it with NewClusterManager,
// then Start or Serve it; Start, Serve, Addr, ClientOptions and Close are
// grpcfake.Server's.
type ClusterManager struct {
	containerpb.UnimplementedClusterManagerServer

	*grpcfake.Server
	kube   *KubeAPI
	faults *grpcfake.Faults // requests, latency and injected errors

	mu       sync.Mutex
	clusters map[string]*containerpb.Cluster // by projects/P/locations/L/clusters/C
}

// NewClusterManager returns a fake with no clusters whose clusters are
// served by kube.
func NewClusterManager(kube *KubeAPI) *ClusterManager {
	c := &ClusterManager{
		kube:     kube,
		faults:   grpcfake.NewFaults("gkefake"),
		clusters: map[string]*containerpb.Cluster{},
	}
	g := grpc.NewServer(grpc.UnaryInterceptor(c.faults.Interceptor()))
	containerpb.RegisterClusterManagerServer(g, c)
	c.Server = grpcfake.New(g)
	return c
}

// ClusterName is the container API's name of a cluster.
func ClusterName(project, location, name string) string {
	return "projects/" + project + "/locations/" + location + "/clusters/" + name
}

// AddCluster adds a running cluster, served by the fake's KubeAPI, with
// Dataplane V2 (so NetworkPolicies are enforced), and returns a copy.
func (c *ClusterManager) AddCluster(project, location, name string) *containerpb.Cluster {
	full := ClusterName(project, location, name)
	cl := &containerpb.Cluster{
		Name:     name,
		Location: location,
		Endpoint: c.kube.Host(),
		MasterAuth: &containerpb.MasterAuth{
			ClusterCaCertificate: base64.StdEncoding.EncodeToString(c.kube.CAPEM()),
		},
		Status:               containerpb.Cluster_RUNNING,
		CurrentMasterVersion: "1.33.5-gke.1162000",
		SelfLink:             "https://container.googleapis.com/v1/" + full,
		NetworkConfig:        &containerpb.NetworkConfig{DatapathProvider: containerpb.DatapathProvider_ADVANCED_DATAPATH},
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clusters[full] = cl
	return proto.CloneOf(cl)
}

// GetCluster returns a cluster by name, or by the deprecated project,
// zone and cluster fields.
func (c *ClusterManager) GetCluster(_ context.Context, req *containerpb.GetClusterRequest) (*containerpb.Cluster, error) {
	name := req.GetName()
	if name == "" {
		//nolint:staticcheck // SA1019: the fake still answers the legacy form clients may send
		name = ClusterName(req.GetProjectId(), req.GetZone(), req.GetClusterId())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.clusters[name]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Not found: %s.", name)
	}
	return proto.CloneOf(cl), nil
}

// SetLatency delays every later call of method (e.g. "GetCluster") by d,
// or until the caller gives up.
func (c *ClusterManager) SetLatency(method string, d time.Duration) {
	c.faults.SetLatency(method, d)
}

// FailNext makes the next n calls of method fail with code.
func (c *ClusterManager) FailNext(method string, code codes.Code, n int) {
	c.faults.FailNext(method, code, n)
}

// Requests returns copies of the requests received for method, oldest
// first, including those that failed.
func (c *ClusterManager) Requests(method string) []proto.Message {
	return c.faults.Requests(method)
}
