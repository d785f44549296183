package scc

import (
	"strings"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"

	"github.com/sccbot/sccbot/bot"
)

// Source display names of the detectors the bot automates.
const (
	sourceContainerTD = "Container Threat Detection"
	sourceCloudRunTD  = "Cloud Run Threat Detection"
)

// resourcePath holds the collection IDs found in a full resource name such
// as //container.googleapis.com/projects/p/locations/l/clusters/c or
// //run.googleapis.com/projects/p/locations/r/services/s/revisions/v.
type resourcePath struct {
	host      string
	project   string
	location  string
	cluster   string
	namespace string
	pod       string
	node      string
	service   string
	job       string
	revision  string
	execution string
}

// parseResourceName never fails: unknown segments are skipped, and the first
// value of each collection wins, so odd names yield what they can.
func parseResourceName(name string) resourcePath {
	var p resourcePath
	rest := name
	if after, ok := strings.CutPrefix(name, "//"); ok {
		p.host, rest, _ = strings.Cut(after, "/")
	}
	for rest != "" {
		var key string
		key, rest, _ = strings.Cut(rest, "/")
		slot := p.slot(key)
		if slot == nil {
			continue
		}
		var val string
		val, rest, _ = strings.Cut(rest, "/")
		if *slot == "" {
			*slot = val
		}
	}
	return p
}

func (p *resourcePath) slot(collection string) *string {
	switch collection {
	case "projects":
		return &p.project
	case "locations", "zones", "regions":
		return &p.location
	case "clusters":
		return &p.cluster
	case "namespaces":
		return &p.namespace
	case "pods":
		return &p.pod
	case "nodes":
		return &p.node
	case "services":
		return &p.service
	case "jobs":
		return &p.job
	case "revisions":
		return &p.revision
	case "executions":
		return &p.execution
	}
	return nil
}

// productOf decides from the most specific evidence first: the resource
// name, then the detector, then the resource type, then the kubernetes block.
func productOf(f *securitycenterpb.Finding, resName, resType string) bot.Product {
	source := f.GetParentDisplayName()
	switch {
	case strings.HasPrefix(resName, "//container.googleapis.com/"):
		return bot.ProductGKE
	case strings.HasPrefix(resName, "//run.googleapis.com/"):
		return bot.ProductCloudRun
	case strings.EqualFold(source, sourceContainerTD):
		return bot.ProductGKE
	case strings.EqualFold(source, sourceCloudRunTD):
		return bot.ProductCloudRun
	case isCloudRunType(resType):
		return bot.ProductCloudRun
	case isGKEType(resType):
		return bot.ProductGKE
	case f.GetKubernetes() != nil:
		return bot.ProductGKE
	}
	return bot.ProductOther
}

func isCloudRunType(t string) bool {
	t = strings.ToLower(t)
	return strings.Contains(t, "run.googleapis.com") || strings.HasPrefix(t, "google.cloud.run.") ||
		strings.HasPrefix(t, "google.run.")
}

// isGKEType matches google.container.Cluster, container.googleapis.com/Cluster
// and k8s types. A bare "Cluster" is not enough: Dataproc and AlloyDB have
// clusters too.
func isGKEType(t string) bool {
	t = strings.ToLower(t)
	return strings.Contains(t, "container") || strings.Contains(t, "k8s") || strings.Contains(t, "kubernetes")
}

func targetOf(f *securitycenterpb.Finding, r *securitycenterpb.Resource, out *bot.Finding) bot.Target {
	name := first(f.GetResourceName(), r.GetName())
	p := parseResourceName(name)
	t := bot.Target{
		Product:  productOf(f, name, r.GetType()),
		Project:  first(out.Resource.Project, p.project),
		Location: first(p.location, r.GetLocation()),
	}
	switch t.Product {
	case bot.ProductGKE:
		gkeTarget(f, p, &t)
	case bot.ProductCloudRun:
		cloudRunTarget(f, p, &t)
	default:
		t.Container = containerName(f.GetContainers())
	}
	return t
}

// gkeTarget reads the structured kubernetes block first and falls back to
// the legacy Container Threat Detection source properties.
func gkeTarget(f *securitycenterpb.Finding, p resourcePath, t *bot.Target) {
	var pod *securitycenterpb.Kubernetes_Pod
	if pods := f.GetKubernetes().GetPods(); len(pods) > 0 {
		pod = pods[0]
	}
	t.Cluster = p.cluster
	t.Namespace = first(pod.GetNs(), p.namespace, stringProp(f, "Pod_Namespace"))
	t.Pod = first(pod.GetName(), p.pod, stringProp(f, "Pod_Name"))
	t.Node = first(nodeOf(f.GetKubernetes()), p.node, stringProp(f, "VM_Instance_Name"))
	t.Container = first(containerName(pod.GetContainers()), containerName(f.GetContainers()),
		stringProp(f, "Container_Name"))
}

func nodeOf(k *securitycenterpb.Kubernetes) string {
	for _, n := range k.GetNodes() {
		if n.GetName() != "" {
			return n.GetName()
		}
	}
	for _, np := range k.GetNodePools() {
		for _, n := range np.GetNodes() {
			if n.GetName() != "" {
				return n.GetName()
			}
		}
	}
	return ""
}

func containerName(cs []*securitycenterpb.Container) string {
	for _, c := range cs {
		if c.GetName() != "" {
			return c.GetName()
		}
	}
	return ""
}

// cloudRunTarget reads the service or job, and the revision or execution
// when the resource name goes that deep. Otherwise it looks for them in
// source properties and container labels, whose keys are not documented.
func cloudRunTarget(f *securitycenterpb.Finding, p resourcePath, t *bot.Target) {
	t.Service = first(p.service, exactProp(f, "Service_Name", "serving.knative.dev/service",
		"run.googleapis.com/service"))
	t.Job = first(p.job, exactProp(f, "Job_Name", "run.googleapis.com/job"))
	t.Revision = first(p.revision, liberalProp(f, "revision"))
	t.Execution = first(p.execution, liberalProp(f, "execution"))
	t.Container = containerName(f.GetContainers())
}
