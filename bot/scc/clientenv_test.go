package scc

import (
	"path"
	"testing"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

// Helpers shared by the Client tests: a fake with a Client on the real
// apiv2 client, and seed findings edited into related findings.

type clientEnv struct {
	fake   *sccfake.Server
	client *Client
}

func noBackoff(int) time.Duration { return 0 }

// newClientEnv starts a fake and a Client on the real apiv2 client that
// never waits between attempts unless opts says otherwise.
func newClientEnv(t *testing.T, opts ClientOptions) clientEnv {
	t.Helper()
	env := newPollEnv(t)
	if opts.Backoff == nil {
		opts.Backoff = noBackoff
	}
	return clientEnv{fake: env.fake, client: NewClient(env.client, opts)}
}

// edit changes a seed finding and its resource in place.
type edit func(f *securitycenterpb.Finding, r *securitycenterpb.Resource)

// seed returns the seed key with finding ID id, its event time moved by d
// from the seed's own, edited by edits.
func seed(key, id string, d time.Duration, edits ...edit) (*securitycenterpb.Finding, *securitycenterpb.Resource) {
	orig, _ := sccfake.SeedFinding(key)
	f, r := sccfake.SeedVariant(key, id, orig.GetEventTime().AsTime().Add(d))
	for _, e := range edits {
		e(f, r)
	}
	return f, r
}

// self is the seed itself as the bot holds it, stored in the fake too.
func (e clientEnv) self(key string, edits ...edit) bot.Finding {
	f, r := seed(key, "self", 0, edits...)
	e.fake.AddFinding(f, r)
	return FromProto(f, r)
}

func (e clientEnv) add(key, id string, d time.Duration, edits ...edit) {
	e.fake.AddFinding(seed(key, id, d, edits...))
}

func resourceName(name string) edit {
	return func(f *securitycenterpb.Finding, r *securitycenterpb.Resource) {
		f.ResourceName = name
		r.Name = name
	}
}

func pod(ns, name string) edit {
	return func(f *securitycenterpb.Finding, _ *securitycenterpb.Resource) {
		p := f.GetKubernetes().GetPods()[0]
		p.Ns, p.Name = ns, name
	}
}

func image(uri, id string) edit {
	return func(f *securitycenterpb.Finding, _ *securitycenterpb.Resource) {
		for _, c := range append(f.GetContainers(), f.GetKubernetes().GetPods()[0].GetContainers()...) {
			c.Uri, c.ImageId = uri, id
		}
	}
}

// revisionLabel sets or, when rev is empty, removes the container label
// naming the revision.
func revisionLabel(rev string) edit {
	return func(f *securitycenterpb.Finding, _ *securitycenterpb.Resource) {
		c := f.GetContainers()[0]
		var labels []*securitycenterpb.Label
		for _, l := range c.GetLabels() {
			if l.GetName() != "serving.knative.dev/revision" {
				labels = append(labels, l)
			}
		}
		if rev != "" {
			labels = append(labels, &securitycenterpb.Label{Name: "serving.knative.dev/revision", Value: rev})
		}
		c.Labels = labels
	}
}

// jobExecution turns the Cloud Run seed into a finding on a job execution.
func jobExecution(job, exec string) edit {
	return func(f *securitycenterpb.Finding, r *securitycenterpb.Resource) {
		name := "//run.googleapis.com/projects/demo-web/locations/europe-west1/jobs/" + job + "/executions/" + exec
		resourceName(name)(f, r)
		r.Type = "run.googleapis.com/Execution"
		f.GetContainers()[0].Labels = nil
	}
}

// compute turns the GKE seed into an Event Threat Detection finding on a VM.
func compute(f *securitycenterpb.Finding, r *securitycenterpb.Resource) {
	resourceName("//compute.googleapis.com/projects/demo-prod/zones/us-central1-a/instances/bastion-1")(f, r)
	f.ParentDisplayName = "Event Threat Detection"
	f.Kubernetes = nil
	f.SourceProperties = nil
	r.Type = "google.compute.Instance"
}

func ids(fs []bot.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = path.Base(f.Name)
	}
	return out
}

func matchesByID(m map[string]Match) map[string]Match {
	out := make(map[string]Match, len(m))
	for name, why := range m {
		out[path.Base(name)] = why
	}
	return out
}

// lastList returns the last ListFindings request the fake received.
func (e clientEnv) lastList(t *testing.T) *securitycenterpb.ListFindingsRequest {
	t.Helper()
	reqs := e.fake.Requests("ListFindings")
	if len(reqs) == 0 {
		t.Fatal("no ListFindings request")
	}
	return reqs[len(reqs)-1].(*securitycenterpb.ListFindingsRequest)
}

func under(base string) string {
	return `(resource_name = "` + base + `" OR resource_name : "` + base + `/")`
}
