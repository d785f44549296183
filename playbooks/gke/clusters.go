package gke

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	container "cloud.google.com/go/container/apiv1"
	"cloud.google.com/go/container/apiv1/containerpb"
	"github.com/googleapis/gax-go/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"k8s.io/client-go/rest"

	"github.com/sccbot/sccbot/bot"
)

// Clusters gives the Kubernetes API access to a finding's cluster.
type Clusters interface {
	// Config returns a REST config for t's cluster (t.Project,
	// t.Location, t.Cluster) that the caller may modify. Errors are
	// *bot.Error.
	Config(ctx context.Context, t bot.Target) (*rest.Config, error)
}

// forgetter is a Clusters that caches, and can be told that a cached
// config stopped working (a rotated CA, a moved endpoint).
type forgetter interface {
	Forget(t bot.Target)
}

// CloudPlatformScope is the OAuth scope of the token sccbot presents to
// GKE, as gke-gcloud-auth-plugin does.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// ContainerClusters defaults.
const (
	DefaultGetClusterTimeout = 20 * time.Second
	DefaultClusterTTL        = 10 * time.Minute
	maxCachedClusters        = 64
)

// DefaultTokenSource is Application Default Credentials (Workload
// Identity on GKE) with the cloud-platform scope: production's token
// source for NewContainerClusters. GKE accepts Google access tokens as bearer
// tokens and authorizes them with IAM and RBAC.
func DefaultTokenSource(ctx context.Context) (oauth2.TokenSource, error) {
	ts, err := google.DefaultTokenSource(ctx, CloudPlatformScope)
	if err != nil {
		return nil, fmt.Errorf("find Google credentials for GKE: %w", err)
	}
	return ts, nil
}

// ContainerClustersOptions configures ContainerClusters. Every field is optional.
type ContainerClustersOptions struct {
	// Timeout bounds each GetCluster call; default DefaultGetClusterTimeout.
	Timeout time.Duration
	// TTL is how long a cluster's endpoint and CA are reused; default
	// DefaultClusterTTL.
	TTL time.Duration
	// Now is the clock of the cache; default time.Now.
	Now func() time.Time
	// UserAgent is sent to the Kubernetes API; default "sccbot".
	UserAgent string
}

// clusterGetter is the one container API call ContainerClusters makes.
type clusterGetter interface {
	GetCluster(ctx context.Context, req *containerpb.GetClusterRequest, opts ...gax.CallOption) (*containerpb.Cluster, error)
}

// ContainerClusters builds REST configs from the container API: the cluster's
// endpoint and CA from GetCluster, and a Google access token as bearer
// token. It caches each cluster's endpoint and CA for a TTL; tokens come
// fresh from the token source on every request.
type ContainerClusters struct {
	cm     clusterGetter
	tokens oauth2.TokenSource
	opts   ContainerClustersOptions

	mu    sync.Mutex
	cache map[clusterRef]cachedCluster
}

type cachedCluster struct {
	endpoint string
	ca       []byte
	fetched  time.Time
}

// clusterRef is a cluster's coordinates.
type clusterRef struct{ project, location, cluster string }

// name is the container API's name of the cluster.
func (c clusterRef) name() string {
	return "projects/" + c.project + "/locations/" + c.location + "/clusters/" + c.cluster
}

func refOf(t bot.Target) clusterRef { return clusterRef{t.Project, t.Location, t.Cluster} }

// NewContainerClusters returns Clusters backed by the container API client c
// and the token source tokens (DefaultTokenSource in production).
func NewContainerClusters(c *container.ClusterManagerClient, tokens oauth2.TokenSource, opts ContainerClustersOptions) *ContainerClusters {
	return newContainerClusters(c, tokens, opts)
}

func newContainerClusters(c clusterGetter, tokens oauth2.TokenSource, opts ContainerClustersOptions) *ContainerClusters {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultGetClusterTimeout
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultClusterTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.UserAgent == "" {
		opts.UserAgent = userAgent
	}
	return &ContainerClusters{cm: c, tokens: oauth2.ReuseTokenSource(nil, tokens), opts: opts,
		cache: map[clusterRef]cachedCluster{}}
}

// Config implements Clusters.
func (g *ContainerClusters) Config(ctx context.Context, t bot.Target) (*rest.Config, error) {
	ref := refOf(t)
	if _, err := g.tokens.Token(); err != nil {
		return nil, bot.WrapError(bot.EUnauthorized, "sccbot could not get a Google access token for GKE: check "+
			"the service account it runs as (Workload Identity or Application Default Credentials)",
			fmt.Errorf("token for cluster %s: %w", ref.name(), err))
	}
	c, ok := g.cached(ref)
	if !ok {
		var err error
		if c, err = g.fetch(ctx, ref); err != nil {
			return nil, err
		}
		g.store(ref, c)
	}
	return g.restConfig(c), nil
}

// Forget drops t's cluster from the cache, so that the next Config asks
// the container API again.
func (g *ContainerClusters) Forget(t bot.Target) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.cache, refOf(t))
}

func (g *ContainerClusters) cached(ref clusterRef) (cachedCluster, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.cache[ref]
	if !ok || g.opts.Now().Sub(c.fetched) >= g.opts.TTL {
		return cachedCluster{}, false
	}
	return c, true
}

// store caches c, first dropping expired entries and, if still full, an
// arbitrary one: the cache only saves a GetCluster call.
func (g *ContainerClusters) store(ref clusterRef, c cachedCluster) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.opts.Now()
	for k, v := range g.cache {
		if now.Sub(v.fetched) >= g.opts.TTL || len(g.cache) >= maxCachedClusters {
			delete(g.cache, k)
		}
	}
	g.cache[ref] = c
}

// fetch reads the cluster's endpoint and CA with GetCluster.
func (g *ContainerClusters) fetch(ctx context.Context, ref clusterRef) (cachedCluster, error) {
	cctx, cancel := context.WithTimeout(ctx, g.opts.Timeout)
	defer cancel()
	cl, err := g.cm.GetCluster(cctx, &containerpb.GetClusterRequest{Name: ref.name()})
	if err != nil {
		if ctx.Err() != nil {
			return cachedCluster{}, fmt.Errorf("get cluster %s: %w", ref.name(), ctx.Err())
		}
		return cachedCluster{}, translateContainer(err, ref, g.opts.Timeout)
	}
	if cl.GetEndpoint() == "" {
		return cachedCluster{}, bot.Errorf(bot.EUnavailable, "GKE cluster %s has no control plane endpoint yet "+
			"(status %s); try again when it is running", ref.cluster, cl.GetStatus())
	}
	ca, err := base64.StdEncoding.DecodeString(cl.GetMasterAuth().GetClusterCaCertificate())
	if err == nil && len(ca) == 0 {
		err = errors.New("empty masterAuth.clusterCaCertificate")
	}
	if err != nil {
		return cachedCluster{}, bot.WrapError(bot.EInternal, fmt.Sprintf("the GKE API returned no usable CA "+
			"certificate for cluster %s", ref.cluster), fmt.Errorf("decode CA of %s: %w", ref.name(), err))
	}
	return cachedCluster{endpoint: cl.GetEndpoint(), ca: ca, fetched: g.opts.Now()}, nil
}

// restConfig verifies the API server against the cluster CA and sends a
// Google access token with every request.
func (g *ContainerClusters) restConfig(c cachedCluster) *rest.Config {
	tokens := g.tokens
	return &rest.Config{
		Host:            "https://" + c.endpoint,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca},
		UserAgent:       g.opts.UserAgent,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
			return &oauth2.Transport{Source: tokens, Base: rt}
		},
	}
}
