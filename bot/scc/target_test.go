package scc

import (
	"testing"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sccbot/sccbot/bot"
)

func TestParseResourceName(t *testing.T) {
	tests := []struct {
		name string
		want resourcePath
	}{
		{"//container.googleapis.com/projects/p/locations/us-central1/clusters/c",
			resourcePath{host: "container.googleapis.com", project: "p", location: "us-central1", cluster: "c"}},
		{"//container.googleapis.com/projects/p/zones/us-central1-a/clusters/c/k8s/namespaces/ns/pods/pod",
			resourcePath{host: "container.googleapis.com", project: "p", location: "us-central1-a", cluster: "c",
				namespace: "ns", pod: "pod"}},
		{"//run.googleapis.com/projects/p/locations/r/services/s/revisions/v",
			resourcePath{host: "run.googleapis.com", project: "p", location: "r", service: "s", revision: "v"}},
		{"//run.googleapis.com/projects/p/locations/r/jobs/j/executions/e",
			resourcePath{host: "run.googleapis.com", project: "p", location: "r", job: "j", execution: "e"}},
		{"//cloudresourcemanager.googleapis.com/projects/123", resourcePath{host: "cloudresourcemanager.googleapis.com", project: "123"}},
		{"projects/123/sources/4/findings/5", resourcePath{project: "123"}},
		{"", resourcePath{}},
		{"//", resourcePath{}},
		{"//h/projects", resourcePath{host: "h"}},
		{"//h/projects//locations/l", resourcePath{host: "h", location: "l"}},
		{"junk/without/collections", resourcePath{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parseResourceName(tt.name), cmp.AllowUnexported(resourcePath{})); diff != "" {
			t.Errorf("parseResourceName(%q) (-want +got):\n%s", tt.name, diff)
		}
	}
}

func props(kv ...string) map[string]*structpb.Value {
	m := map[string]*structpb.Value{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = structpb.NewStringValue(kv[i+1])
	}
	return m
}

func labels(kv ...string) []*securitycenterpb.Label {
	var out []*securitycenterpb.Label
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, &securitycenterpb.Label{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func gcp(projectID string) *securitycenterpb.Resource {
	return &securitycenterpb.Resource{CloudProviderMetadata: &securitycenterpb.Resource_GcpMetadata{
		GcpMetadata: &securitycenterpb.GcpMetadata{ProjectDisplayName: projectID}}}
}

// TestTarget covers the structured fields first and each fallback.
func TestTarget(t *testing.T) {
	tests := []struct {
		name string
		f    *securitycenterpb.Finding
		r    *securitycenterpb.Resource
		want bot.Target
	}{{
		name: "GKE from source properties only",
		f: &securitycenterpb.Finding{ParentDisplayName: "Container Threat Detection",
			SourceProperties: props("Pod_Namespace", "ns", "Pod_Name", "pod", "Container_Name", "c",
				"VM_Instance_Name", "node")},
		r:    gcp("p"),
		want: bot.Target{Product: bot.ProductGKE, Project: "p", Namespace: "ns", Pod: "pod", Node: "node", Container: "c"},
	}, {
		name: "GKE structured fields win over source properties",
		f: &securitycenterpb.Finding{
			ResourceName:     "//container.googleapis.com/projects/p/zones/z/clusters/c",
			SourceProperties: props("Pod_Namespace", "old", "Pod_Name", "old", "VM_Instance_Name", "old"),
			Kubernetes: &securitycenterpb.Kubernetes{
				Pods:  []*securitycenterpb.Kubernetes_Pod{{Ns: "ns", Name: "pod", Containers: []*securitycenterpb.Container{{Name: "pc"}}}},
				Nodes: []*securitycenterpb.Kubernetes_Node{{Name: "n1"}},
			},
			Containers: []*securitycenterpb.Container{{Name: "fc"}},
		},
		want: bot.Target{Product: bot.ProductGKE, Project: "p", Location: "z", Cluster: "c",
			Namespace: "ns", Pod: "pod", Node: "n1", Container: "pc"},
	}, {
		name: "GKE by resource type, node from node pool, container from finding",
		f: &securitycenterpb.Finding{
			Kubernetes: &securitycenterpb.Kubernetes{NodePools: []*securitycenterpb.Kubernetes_NodePool{
				{Name: "pool", Nodes: []*securitycenterpb.Kubernetes_Node{{Name: ""}, {Name: "n2"}}}}},
			Containers: []*securitycenterpb.Container{{Name: "fc"}},
		},
		r:    &securitycenterpb.Resource{Type: "container.googleapis.com/Cluster", Location: "europe-west4"},
		want: bot.Target{Product: bot.ProductGKE, Location: "europe-west4", Node: "n2", Container: "fc"},
	}, {
		name: "GKE by kubernetes block alone",
		f:    &securitycenterpb.Finding{Kubernetes: &securitycenterpb.Kubernetes{}},
		want: bot.Target{Product: bot.ProductGKE},
	}, {
		name: "Cloud Run revision from the resource name",
		f:    &securitycenterpb.Finding{ResourceName: "//run.googleapis.com/projects/p/locations/r/services/s/revisions/s-001"},
		r:    gcp("project-id"),
		want: bot.Target{Product: bot.ProductCloudRun, Project: "project-id", Location: "r", Service: "s", Revision: "s-001"},
	}, {
		name: "Cloud Run revision from container labels, not the execution environment",
		f: &securitycenterpb.Finding{ResourceName: "//run.googleapis.com/projects/p/locations/r/services/s",
			Containers: []*securitycenterpb.Container{{Name: "app", Labels: labels(
				"run.googleapis.com/execution-environment", "gen2", "serving.knative.dev/revision", "s-002",
				"serving.knative.dev/revisionUid", "uid")}}},
		want: bot.Target{Product: bot.ProductCloudRun, Project: "p", Location: "r", Service: "s", Revision: "s-002", Container: "app"},
	}, {
		name: "Cloud Run by source, job and execution from source properties",
		f: &securitycenterpb.Finding{ParentDisplayName: "Cloud Run Threat Detection",
			SourceProperties: props("job_name", "nightly", "Execution_Name", "nightly-x7", "revision_count", "3")},
		r:    &securitycenterpb.Resource{Location: "us-east1"},
		want: bot.Target{Product: bot.ProductCloudRun, Location: "us-east1", Job: "nightly", Execution: "nightly-x7"},
	}, {
		name: "Cloud Run by resource type, preferring the closer key",
		f: &securitycenterpb.Finding{SourceProperties: props("Revision_Name", "b", "Previous_Revision_Info", "a",
			"Service_Name", "svc")},
		r:    &securitycenterpb.Resource{Type: "run.googleapis.com/Service"},
		want: bot.Target{Product: bot.ProductCloudRun, Service: "svc", Revision: "b"},
	}, {
		name: "other product",
		f: &securitycenterpb.Finding{ResourceName: "//compute.googleapis.com/projects/p/zones/z/instances/vm",
			Containers: []*securitycenterpb.Container{{Name: "c"}}},
		r:    &securitycenterpb.Resource{Type: "google.compute.Instance"},
		want: bot.Target{Product: bot.ProductOther, Project: "p", Location: "z", Container: "c"},
	}, {
		name: "a Dataproc cluster is not GKE",
		f:    &securitycenterpb.Finding{},
		r:    &securitycenterpb.Resource{Type: "google.dataproc.Cluster"},
		want: bot.Target{Product: bot.ProductOther},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := FromProto(tt.f, tt.r)
			if diff := cmp.Diff(tt.want, f.Target); diff != "" {
				t.Errorf("target (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContainersFallback(t *testing.T) {
	f := FromProto(&securitycenterpb.Finding{
		SourceProperties: props("Container_Name", "c", "Container_Image_Uri", "gcr.io/p/i@sha256:ab"),
	}, nil)
	if diff := cmp.Diff([]bot.Container{{Name: "c", ImageURI: "gcr.io/p/i@sha256:ab"}}, f.Containers); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := f.Image(); got != "gcr.io/p/i@sha256:ab" {
		t.Errorf("Image() = %q", got)
	}
}
