package gke

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/grpcerr"
)

// IAM roles named in permission errors. RoleClusterViewer is the
// narrowest predefined role with container.clusters.get (GetCluster);
// RoleDeveloper grants the Kubernetes API objects inside clusters (pods,
// network policies).
const (
	RoleClusterViewer = "roles/container.clusterViewer"
	RoleDeveloper     = "roles/container.developer"
)

// kubeOp describes one Kubernetes API call for messages and logs.
type kubeOp struct {
	verb      string // get, patch, delete, create
	resource  string // pods, nodes, networkpolicies
	namespace string // "" for cluster-scoped resources
	name      string
	cluster   string
	project   string
	// rbac is what an RBAC role must allow for the whole action, e.g.
	// "get and patch on pods, get and create on networkpolicies".
	rbac string
}

// object names what the call was about: "pods payments/x".
func (op kubeOp) object() string {
	if op.namespace == "" {
		return op.resource + " " + op.name
	}
	return op.resource + " " + op.namespace + "/" + op.name
}

func (op kubeOp) mutating() bool { return op.verb != "get" }

// grant says what to grant so that sccbot may make the call.
func (op kubeOp) grant() string {
	if op.namespace == "" {
		return fmt.Sprintf("grant it a Kubernetes RBAC ClusterRole with %s, or an IAM role with container.%s.get "+
			"and container.%s.update on project %s", op.rbac, op.resource, op.resource, op.project)
	}
	return fmt.Sprintf("grant it %s on project %s, or a Kubernetes RBAC Role in namespace %s with %s",
		RoleDeveloper, op.project, op.namespace, op.rbac)
}

// translateKube turns a Kubernetes API error into a *bot.Error whose
// message tells a responder what to do. The error stays wrapped for logs.
func translateKube(err error, op kubeOp, timeout time.Duration) error {
	wrapped := fmt.Errorf("%s %s in cluster %s: %w", op.verb, op.object(), op.cluster, err)
	switch {
	case apierrors.IsForbidden(err):
		where := "in cluster " + op.cluster
		if op.namespace != "" {
			where = fmt.Sprintf("in namespace %s of cluster %s", op.namespace, op.cluster)
		}
		return bot.WrapError(bot.EPermission, fmt.Sprintf("sccbot's service account may not %s %s %s: %s",
			op.verb, op.resource, where, op.grant()), wrapped)
	case apierrors.IsUnauthorized(err):
		return bot.WrapError(bot.EUnauthorized, fmt.Sprintf("cluster %s rejected sccbot's credentials: check the "+
			"service account sccbot runs as (or the user of its KUBECONFIG)", op.cluster), wrapped)
	case apierrors.IsNotFound(err):
		return bot.WrapError(bot.ENotFound, fmt.Sprintf("%s not found in cluster %s", op.object(), op.cluster), wrapped)
	case apierrors.IsConflict(err), apierrors.IsAlreadyExists(err):
		return bot.WrapError(bot.EConflict, fmt.Sprintf("%s changed in cluster %s while sccbot worked on it; "+
			"run the action again", op.object(), op.cluster), wrapped)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err), apierrors.IsUnsupportedMediaType(err):
		return bot.WrapError(bot.EInvalid, fmt.Sprintf("cluster %s rejected the request to %s %s; "+
			"the details are in sccbot's log", op.cluster, op.verb, op.object()), wrapped)
	case apierrors.IsTooManyRequests(err):
		return bot.WrapError(bot.ERateLimited, fmt.Sprintf("the Kubernetes API of cluster %s is throttling sccbot; "+
			"try again in a minute", op.cluster), wrapped)
	}
	return translateTransport(err, wrapped, op, timeout)
}

// translateTransport classifies what is left: certificates, timeouts,
// unreachable or failing servers.
func translateTransport(err, wrapped error, op kubeOp, timeout time.Duration) error {
	maybe := ""
	if op.mutating() {
		maybe = "; the change may or may not have been made: the action is safe to run again"
	}
	switch {
	case certificateError(err):
		return bot.WrapError(bot.EUnavailable, fmt.Sprintf("sccbot could not verify the certificate of cluster %s's "+
			"Kubernetes API (the cluster CA may have rotated); try again in a few minutes", op.cluster), wrapped)
	case errors.Is(err, context.DeadlineExceeded), apierrors.IsTimeout(err), apierrors.IsServerTimeout(err):
		return bot.WrapError(bot.EUnavailable, fmt.Sprintf("the Kubernetes API of cluster %s did not answer "+
			"within %s%s", op.cluster, timeout, maybe), wrapped)
	case unreachable(err):
		return bot.WrapError(bot.EUnavailable, fmt.Sprintf("the Kubernetes API of cluster %s could not be reached%s; "+
			"try again in a few minutes", op.cluster, maybe), wrapped)
	case apierrors.IsServiceUnavailable(err), apierrors.IsInternalError(err), apierrors.IsUnexpectedServerError(err):
		return bot.WrapError(bot.EUnavailable, fmt.Sprintf("the Kubernetes API of cluster %s failed%s; "+
			"try again in a few minutes", op.cluster, maybe), wrapped)
	}
	return bot.WrapError(bot.EInternal, fmt.Sprintf("sccbot could not %s %s in cluster %s; the details are in "+
		"sccbot's log", op.verb, op.object(), op.cluster), wrapped)
}

// certificateError reports a TLS verification failure.
func certificateError(err error) bool {
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	return errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host)
}

// unreachable reports a failure to connect or a connection that broke:
// client-go returns those as *url.Error.
func unreachable(err error) bool {
	var uerr *url.Error
	var nerr net.Error
	return errors.As(err, &uerr) || errors.As(err, &nerr)
}

// translateContainer turns a container API (GetCluster) error into a
// *bot.Error. A call that ran out of time is EUnavailable rather than
// EDeadline: sccbot asked about the cluster before acting on it, so
// nothing was attempted and nothing may have half happened.
func translateContainer(err error, c clusterRef, timeout time.Duration) error {
	wrapped := fmt.Errorf("get cluster %s: %w", c.name(), err)
	e := grpcerr.Translate(err, wrapped, grpcerr.Wording{
		Permission: fmt.Sprintf("sccbot may not read GKE cluster %s in project %s: grant "+
			"its service account %s on project %s (Google gives this answer for a cluster that does not exist, too)",
			c.cluster, c.project, RoleClusterViewer, c.project),
		NotFound: fmt.Sprintf("GKE cluster %s does not exist in project %s, location %s: "+
			"it may have been deleted", c.cluster, c.project, c.location),
		Unauthenticated: grpcerr.CredentialsRejected,
		Invalid: fmt.Sprintf("the GKE API rejected the name of cluster %s as invalid; "+
			"the details are in sccbot's log", c.cluster),
		RateLimited: "GKE API quota exhausted; try again in a minute",
		Unavailable: fmt.Sprintf("the GKE API is unavailable: sccbot could not read "+
			"cluster %s; try again in a few minutes", c.cluster),
		Deadline: fmt.Sprintf("the GKE API did not answer about cluster %s within %s; "+
			"try again in a few minutes", c.cluster, timeout),
		Other: fmt.Sprintf("sccbot could not read GKE cluster %s (%s); the details are "+
			"in sccbot's log", c.cluster, grpcerr.Code(err)),
	})
	if e.Code == bot.EDeadline {
		e.Code = bot.EUnavailable
	}
	return e
}
