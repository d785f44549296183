package playbooks

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// values are a finding's values by placeholder name. Every one of them is
// attacker-controlled text.
type values map[string]string

// reviewOnly are the values a review item may show that no filter names:
// they are either long (args) or useless in a log filter.
var reviewOnly = []string{
	"args", "parent", "sha256", "indicator", "severity", "event_time",
	"contacts", "source", "module", "description", "next_steps",
}

func isReviewValue(name string) bool {
	return isFilterPlaceholder(name) || slices.Contains(reviewOnly, name)
}

// valuesOf collects the values of f. Missing values are absent, not empty
// strings, so that "has a pod" is one lookup.
func valuesOf(f bot.Finding) values {
	t := f.Target
	v := values{}
	set := func(k, val string) {
		if strings.TrimSpace(val) != "" {
			v[k] = val
		}
	}
	set("project", f.Project())
	set("location", first(t.Location, f.Resource.Location))
	for k, val := range map[string]string{
		"cluster": t.Cluster, "namespace": t.Namespace, "pod": t.Pod, "node": t.Node,
		"service": t.Service, "revision": t.Revision, "job": t.Job, "execution": t.Execution,
	} {
		set(k, val)
	}
	set("container", first(t.Container, containerName(f)))
	set("resource", f.Resource.Name)
	set("resource_path", resourcePath(f.Resource.Name))
	set("image", f.Image())
	setProcessValues(f, set)
	setFindingValues(f, set)
	return v
}

func setProcessValues(f bot.Finding, set func(k, v string)) {
	p, ok := f.Process()
	if !ok {
		return
	}
	set("binary", p.Binary)
	set("args", bot.CommandLine(p.Binary, p.Args))
	for _, q := range f.Processes[1:] {
		if p.ParentPID != 0 && q.PID == p.ParentPID {
			set("parent", bot.CommandLine(q.Binary, q.Args))
		}
	}
}

func setFindingValues(f bot.Finding, set func(k, v string)) {
	if f.SHA256() != "" {
		set("sha256", f.SHA256())
	}
	ind := slices.Concat(f.Indicator.URIs, f.Indicator.Domains, f.Indicator.IPs)
	set("indicator", strings.Join(ind, ", "))
	if f.Severity != bot.SeverityUnspecified {
		set("severity", f.Severity.Label())
	}
	if !f.EventTime.IsZero() {
		set("event_time", f.EventTime.UTC().Format(time.RFC3339))
	}
	set("contacts", strings.Join(f.Contacts, ", "))
	set("source", f.Source)
	set("module", f.Module)
	set("description", f.Description)
	set("next_steps", f.NextSteps)
}

func containerName(f bot.Finding) string {
	for _, c := range f.Containers {
		if c.Name != "" {
			return c.Name
		}
	}
	return ""
}

// resourcePath drops the //service.googleapis.com/ prefix of a full
// resource name: audit logs name resources that way.
func resourcePath(name string) string {
	rest, ok := strings.CutPrefix(name, "//")
	if !ok {
		return name
	}
	_, p, _ := strings.Cut(rest, "/")
	return p
}

// productOf is the finding's product, other when the decoder could not
// tell.
func productOf(f bot.Finding) bot.Product {
	switch f.Target.Product {
	case bot.ProductGKE, bot.ProductCloudRun:
		return f.Target.Product
	}
	return bot.ProductOther
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// valueNames are how the checklist names a missing value.
var valueNames = map[string]string{
	"project": "project ID", "location": "location", "cluster": "cluster name",
	"namespace": "namespace", "pod": "pod name", "container": "container name",
	"node": "node name", "service": "Cloud Run service", "revision": "revision",
	"job": "Cloud Run job", "execution": "job execution", "resource": "resource name",
	"resource_path": "resource name", "binary": "binary path", "image": "image",
}

func valueName(k string) string {
	if n, ok := valueNames[k]; ok {
		return n
	}
	return strconv.Quote(k)
}
