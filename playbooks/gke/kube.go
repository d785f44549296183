package gke

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// userAgent is what sccbot calls itself in the clusters' audit logs.
const userAgent = "sccbot"

// newCodecs knows only the two API groups the responder uses. client-go's
// generated typed clients import kubernetes/scheme, which registers every
// API group (and their apply configurations): 30 s more cold build and
// 22 MB more binary, for three resources (see the package documentation).
func newCodecs() serializer.CodecFactory {
	s := runtime.NewScheme()
	// AddToScheme fails only on conflicting registrations, which a fresh
	// scheme with two distinct groups cannot have.
	if err := corev1.AddToScheme(s); err != nil {
		panic(fmt.Sprintf("gke: register core/v1: %v", err))
	}
	if err := networkingv1.AddToScheme(s); err != nil {
		panic(fmt.Sprintf("gke: register networking/v1: %v", err))
	}
	return serializer.NewCodecFactory(s)
}

// kubeAPI is the handful of Kubernetes API calls the actions make, on
// REST clients for core/v1 and networking.k8s.io/v1. client-go's request
// builder checks and escapes every name it puts in a path.
type kubeAPI struct {
	core rest.Interface
	net  rest.Interface
	// cfg builds the exec streams, which need their own transports.
	cfg *rest.Config
}

// newKubeAPI builds both clients on one HTTP client. JSON is forced (the
// typed clients would ask for protobuf): request bodies then read the
// same in the fake's records, an auditing proxy and a debugger.
func newKubeAPI(cfg *rest.Config, codecs serializer.CodecFactory, log *slog.Logger) (*kubeAPI, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.ContentType = runtime.ContentTypeJSON
	cfg.AcceptContentTypes = runtime.ContentTypeJSON
	cfg.NegotiatedSerializer = codecs.WithoutConversion()
	if cfg.UserAgent == "" {
		cfg.UserAgent = userAgent
	}
	cfg.WarningHandlerWithContext = warningLogger{log}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes http client for %s: %w", cfg.Host, err)
	}
	core, err := restClient(cfg, hc, "/api", corev1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	nc, err := restClient(cfg, hc, "/apis", networkingv1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	return &kubeAPI{core: core, net: nc, cfg: cfg}, nil
}

func restClient(cfg *rest.Config, hc *http.Client, apiPath string, gv schema.GroupVersion) (*rest.RESTClient, error) {
	c := rest.CopyConfig(cfg)
	c.APIPath = apiPath
	c.GroupVersion = &gv
	rc, err := rest.RESTClientForConfigAndClient(c, hc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", gv, err)
	}
	return rc, nil
}

// warningLogger logs the API server's Warning headers (deprecations,
// admission warnings) instead of client-go's default of printing them.
type warningLogger struct{ log *slog.Logger }

func (w warningLogger) HandleWarningHeaderWithContext(ctx context.Context, code int, agent, text string) {
	w.log.WarnContext(ctx, "kubernetes api warning", "code", code, "agent", agent, "warning", text)
}

// dryRun adds dryRun=All to a mutating request when asked.
func dryRun(r *rest.Request, dry bool) *rest.Request {
	if dry {
		return r.Param("dryRun", metav1.DryRunAll)
	}
	return r
}

func (k *kubeAPI) getPod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	p := &corev1.Pod{}
	err := k.core.Get().Namespace(ns).Resource("pods").Name(name).Do(ctx).Into(p)
	return p, err
}

func (k *kubeAPI) patchPod(ctx context.Context, ns, name string, patch []byte, dry bool) error {
	r := k.core.Patch(types.MergePatchType).Namespace(ns).Resource("pods").Name(name).Body(patch)
	return dryRun(r, dry).Do(ctx).Error()
}

// deletePod sends its options in the body, as client-go's typed client
// does: the dry run and the UID precondition travel there.
func (k *kubeAPI) deletePod(ctx context.Context, ns, name string, opts metav1.DeleteOptions) error {
	return k.core.Delete().Namespace(ns).Resource("pods").Name(name).Body(&opts).Do(ctx).Error()
}

func (k *kubeAPI) getNode(ctx context.Context, name string) (*corev1.Node, error) {
	n := &corev1.Node{}
	err := k.core.Get().Resource("nodes").Name(name).Do(ctx).Into(n)
	return n, err
}

func (k *kubeAPI) patchNode(ctx context.Context, name string, patch []byte, dry bool) error {
	r := k.core.Patch(types.StrategicMergePatchType).Resource("nodes").Name(name).Body(patch)
	return dryRun(r, dry).Do(ctx).Error()
}

func (k *kubeAPI) createPolicy(ctx context.Context, np *networkingv1.NetworkPolicy, dry bool) error {
	r := k.net.Post().Namespace(np.Namespace).Resource("networkpolicies").Body(np)
	return dryRun(r, dry).Do(ctx).Error()
}

func (k *kubeAPI) getPolicy(ctx context.Context, ns, name string) (*networkingv1.NetworkPolicy, error) {
	np := &networkingv1.NetworkPolicy{}
	err := k.net.Get().Namespace(ns).Resource("networkpolicies").Name(name).Do(ctx).Into(np)
	return np, err
}
