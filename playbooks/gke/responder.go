package gke

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/sccbot/sccbot/bot"
)

// DefaultCallTimeout bounds each Kubernetes API call.
const DefaultCallTimeout = 20 * time.Second

// Options configures a Responder. Every field is optional.
type Options struct {
	Logger *slog.Logger
	// Timeout bounds each Kubernetes API call; default DefaultCallTimeout.
	Timeout time.Duration
	// DebugImage is the image of the ephemeral container that reads
	// /proc/PID/exe when the binary is gone from disk; "" turns that
	// route off.
	DebugImage string
	// DebugWait bounds the wait for the debug container to run (default
	// 60s); PollEvery is how often the pod is read meanwhile (default 1s).
	DebugWait, PollEvery time.Duration
}

// Responder carries out the GKE response actions: isolate_pod,
// delete_pod and cordon_node. It implements bot.Responder. Every error
// it returns is a *bot.Error whose message a responder can act on, except
// that the caller's own context ending is returned as the context's error.
type Responder struct {
	clusters Clusters
	opts     Options
	log      *slog.Logger
	codecs   serializer.CodecFactory
}

var _ bot.Responder = (*Responder)(nil)

// New returns a Responder that reaches clusters through clusters.
func New(clusters Clusters, opts Options) *Responder {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultCallTimeout
	}
	if opts.DebugWait <= 0 {
		opts.DebugWait = time.Minute
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Responder{clusters: clusters, opts: opts, log: log, codecs: newCodecs()}
}

var actions = []string{bot.ActionIsolatePod, bot.ActionDeletePod, bot.ActionCordonNode}

func handles(action string) bool { return slices.Contains(actions, action) }

// Actions implements bot.Responder.
func (r *Responder) Actions() []string { return slices.Clone(actions) }

// Preview implements bot.Responder: what the action will touch, from the
// finding alone.
func (r *Responder) Preview(f bot.Finding, action string) ([]string, error) {
	t := f.Target
	if err := checkTarget(t, action); err != nil {
		return nil, err
	}
	where := clusterPhrase(t)
	switch action {
	case bot.ActionIsolatePod:
		return []string{
			fmt.Sprintf("Pod %s/%s in %s: add the label %s=%s and the deny-all NetworkPolicy %s (ingress and egress); "+
				"the pod keeps running for forensics", t.Namespace, t.Pod, where, QuarantineLabel, quarantineValue(f), PolicyName(t.Pod)),
			enforcementNote,
		}, nil
	case bot.ActionDeletePod:
		return []string{
			fmt.Sprintf("Pod %s/%s in %s: delete it; its controller (ReplicaSet, StatefulSet, Job…) starts a fresh "+
				"pod, a pod without one does not come back", t.Namespace, t.Pod, where),
			"Whatever is inside the container is lost with it: copy the evidence first, or isolate instead",
		}, nil
	}
	return []string{
		fmt.Sprintf("Node %s in %s: cordon it, so that no new pods are scheduled there; pods already on it keep "+
			"running", t.Node, where),
	}, nil
}

// enforcementNote is said with every isolation: sccbot checks nothing
// about the cluster's network policy support.
const enforcementNote = "NetworkPolicies take effect only where enforcement is on (GKE Dataplane V2, or network " +
	"policy enforcement); other policies that allow traffic to the pod still apply, because policies add up"

// clusterPhrase names a cluster for people: "cluster prod-cluster
// (us-central1, project demo-prod)".
func clusterPhrase(t bot.Target) string {
	return fmt.Sprintf("cluster %s (%s, project %s)", t.Cluster, t.Location, t.Project)
}

// Execute implements bot.Responder.
func (r *Responder) Execute(ctx context.Context, f bot.Finding, action string, dryRun bool) (bot.ActionResult, error) {
	t := f.Target
	if err := checkTarget(t, action); err != nil {
		return bot.ActionResult{}, err
	}
	k, err := r.kubeFor(ctx, t)
	if err != nil {
		return bot.ActionResult{}, err
	}
	run := &run{r: r, k: k, f: f, t: t, dry: dryRun}
	var res bot.ActionResult
	switch action {
	case bot.ActionIsolatePod:
		res, err = run.isolate(ctx)
	case bot.ActionDeletePod:
		res, err = run.deletePod(ctx)
	default:
		res, err = run.cordon(ctx)
	}
	if err != nil {
		r.forgetOnFailure(t, err)
		return bot.ActionResult{}, err
	}
	res.DryRun = dryRun
	r.log.InfoContext(ctx, "gke action done", "action", action, "cluster", t.Cluster, "namespace", t.Namespace,
		"pod", t.Pod, "node", t.Node, "dry_run", dryRun, "summary", res.Summary)
	return res, nil
}

// kubeFor returns the API clients for t's cluster.
func (r *Responder) kubeFor(ctx context.Context, t bot.Target) (*kubeAPI, error) {
	cfg, err := r.clusters.Config(ctx, t)
	if err != nil {
		return nil, err
	}
	k, err := newKubeAPI(cfg, r.codecs, r.log)
	if err != nil {
		return nil, bot.WrapError(bot.EInternal, fmt.Sprintf("sccbot could not set up a client "+
			"for cluster %s; the details are in sccbot's log", t.Cluster), err)
	}
	return k, nil
}

// forgetOnFailure drops a cached cluster config after a certificate,
// credential or connection failure, so that the next attempt asks GKE
// again: the CA may have rotated, the endpoint moved.
func (r *Responder) forgetOnFailure(t bot.Target, err error) {
	f, ok := r.clusters.(forgetter)
	if !ok {
		return
	}
	switch bot.ErrorCode(err) {
	case bot.EUnauthorized, bot.EUnavailable:
		f.Forget(t)
	}
}

// run is one execution of an action.
type run struct {
	r   *Responder
	k   *kubeAPI
	f   bot.Finding
	t   bot.Target
	dry bool
}

// call runs one API call under the per-call timeout. It returns fn's
// error as is, for the caller to handle the statuses it expects
// (NotFound, AlreadyExists), or nil.
func (x *run) call(ctx context.Context, fn func(ctx context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, x.r.opts.Timeout)
	defer cancel()
	err := fn(cctx)
	if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) && !answered(err) {
		// The deadline passed first, whatever the transport made of it (a
		// reset stream, or an empty response racing the cancellation): the
		// API did not answer in time.
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// answered reports whether err is the API server's own answer: a failure
// status it sent, which stands even if the deadline passed meanwhile.
func answered(err error) bool {
	var st apierrors.APIStatus
	return errors.As(err, &st) && st.Status().Code >= 400
}

// fail translates an error the caller did not expect. The caller's own
// context ending is returned as such, so that shutdown is not reported as
// a cluster fault.
func (x *run) fail(ctx context.Context, op kubeOp, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s in cluster %s: %w", op.verb, op.object(), op.cluster, ctx.Err())
	}
	return translateKube(err, op, x.r.opts.Timeout)
}

// op describes a call of this run.
func (x *run) op(verb, resource, namespace, name, rbac string) kubeOp {
	return kubeOp{verb: verb, resource: resource, namespace: namespace, name: name,
		cluster: x.t.Cluster, project: x.t.Project, rbac: rbac}
}

// did words a step for the result: what was done, or what a dry run
// would have done.
func (x *run) did(done, would string) string {
	if x.dry {
		return would
	}
	return done
}

// summary prefixes a dry run's summary.
func (x *run) summary(s string) string {
	if x.dry {
		return "Dry run: " + s + "; nothing was changed"
	}
	return s
}
