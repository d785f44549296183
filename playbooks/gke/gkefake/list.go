package gkefake

import (
	"context"
	"sort"
	"strings"

	"cloud.google.com/go/container/apiv1/containerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ListClusters lists the clusters of projects/P/locations/L, where L "-"
// means every location, as in the container API.
func (c *ClusterManager) ListClusters(_ context.Context, req *containerpb.ListClustersRequest) (*containerpb.ListClustersResponse, error) {
	parts := strings.Split(req.GetParent(), "/")
	if len(parts) != 4 || parts[0] != "projects" || parts[2] != "locations" || parts[1] == "" || parts[3] == "" {
		return nil, status.Errorf(codes.InvalidArgument, "parent must be projects/{project}/locations/{location}, got %q", req.GetParent())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for name := range c.clusters {
		p := strings.Split(name, "/")
		if p[1] == parts[1] && (parts[3] == "-" || p[3] == parts[3]) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	resp := &containerpb.ListClustersResponse{}
	for _, n := range names {
		resp.Clusters = append(resp.Clusters, c.clusters[n])
	}
	return resp, nil
}
