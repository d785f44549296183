package gke

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/sccbot/sccbot/bot"
)

// KubeconfigClusters gives Kubernetes API access from kubeconfig files:
// the KUBECONFIG override of the container API.
//
// For a finding's cluster it uses the context whose cluster (or, failing
// that, whose own name) is gke_PROJECT_LOCATION_CLUSTER, the name
// `gcloud container clusters get-credentials` writes. When no context
// matches it falls back to the current context, but only if the files
// name no gke_ cluster at all (a single hand-written or proxy kubeconfig,
// the demo's): a kubeconfig that knows GKE clusters but not this one must
// not send the action to another cluster, so that is ENotFound.
type KubeconfigClusters struct {
	path string
	cfg  *clientcmdapi.Config
}

// NewKubeconfigClusters loads the kubeconfig files in path, a list
// separated as in $KUBECONFIG (":" on Unix), merged the way kubectl
// merges them. A single file must exist.
func NewKubeconfigClusters(path string) (*KubeconfigClusters, error) {
	paths := filepath.SplitList(path)
	if len(paths) == 0 {
		return nil, fmt.Errorf("load kubeconfig: no path given")
	}
	rules := &clientcmd.ClientConfigLoadingRules{Precedence: paths}
	if len(paths) == 1 {
		rules = &clientcmd.ClientConfigLoadingRules{ExplicitPath: paths[0]}
	}
	cfg, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig %s: %w", path, err)
	}
	if len(cfg.Contexts) == 0 {
		return nil, fmt.Errorf("load kubeconfig %s: it defines no context", path)
	}
	return &KubeconfigClusters{path: path, cfg: cfg}, nil
}

// ContextName is the kubeconfig cluster and context name gcloud gives
// a GKE cluster.
func ContextName(project, location, cluster string) string {
	return "gke_" + project + "_" + location + "_" + cluster
}

// Config implements Clusters.
func (k *KubeconfigClusters) Config(_ context.Context, t bot.Target) (*rest.Config, error) {
	name, ok := k.contextFor(ContextName(t.Project, t.Location, t.Cluster))
	if !ok {
		return nil, bot.Errorf(bot.ENotFound, "sccbot's KUBECONFIG has no context for GKE cluster %s "+
			"(project %s, location %s)", t.Cluster, t.Project, t.Location)
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*k.cfg, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, bot.WrapError(bot.EInternal, fmt.Sprintf("sccbot's KUBECONFIG context for cluster %s is not "+
			"usable; the details are in sccbot's log", t.Cluster), fmt.Errorf("kubeconfig %s, context %q: %w", k.path, name, err))
	}
	return cfg, nil
}

// contextFor picks the context to use for the GKE cluster called gke.
func (k *KubeconfigClusters) contextFor(gke string) (string, bool) {
	names := slices.Sorted(maps.Keys(k.cfg.Contexts))
	for _, n := range names {
		if c := k.cfg.Contexts[n]; c != nil && c.Cluster == gke {
			return n, true
		}
	}
	if _, ok := k.cfg.Contexts[gke]; ok {
		return gke, true
	}
	for _, n := range names {
		if c := k.cfg.Contexts[n]; strings.HasPrefix(n, "gke_") || c != nil && strings.HasPrefix(c.Cluster, "gke_") {
			return "", false
		}
	}
	_, ok := k.cfg.Contexts[k.cfg.CurrentContext]
	return k.cfg.CurrentContext, ok
}
