package scc

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/api/iterator"

	"github.com/sccbot/sccbot/bot"
)

// Hosts of the full resource names the related-findings scope understands.
const (
	gkeHost = "//container.googleapis.com/"
	runHost = "//run.googleapis.com/"
)

// Match says why Related kept a finding.
type Match string

// Matches, closest first.
const (
	// MatchPod: GKE, the same namespace and pod.
	MatchPod Match = "pod"
	// MatchImage: GKE, another pod running a container image (URI or
	// image ID) of the finding's.
	MatchImage Match = "image"
	// MatchRevision: Cloud Run, the same revision of the service.
	MatchRevision Match = "revision"
	// MatchExecution: Cloud Run, the same execution of the job.
	MatchExecution Match = "execution"
	// MatchResource: the same cluster, service, job or resource and
	// nothing closer is known: the finding named no pod, image, revision
	// or execution to compare, or the other finding is on another
	// revision or execution.
	MatchResource Match = "resource"
)

// Related is what Client.Related found.
//
// Scope and Findings hold finding text (pod names, image URIs), which is
// attacker-controlled: escape them where they are shown.
type Related struct {
	// Findings are the related findings, newest first, without the
	// finding itself.
	Findings []bot.Finding
	// Matches says, by finding name, why each of Findings was kept.
	Matches map[string]Match
	// Scope describes what was searched, e.g. "cluster prod-cluster, pod
	// payments/checkout-7d9f8b6c5-x2x9q or image …, ±24h".
	Scope string
	// Parent and Filter are exactly what ListFindings was sent, for logs.
	Parent string
	Filter string
	// Truncated is set when the window held more findings than the
	// MaxRelated that were read: older related findings may be missing.
	Truncated bool
	// Narrowed counts findings on the same GKE cluster that were dropped
	// because they share neither the pod nor an image with the finding.
	Narrowed int
}

// relatedScope is where related findings are looked for.
type relatedScope struct {
	// restriction is the filter clause on resource_name.
	restriction string
	// on reports whether a result's resource name is inside the scope; it
	// makes a substring restriction exact.
	on func(resourceName string) bool
	// match decides whether a finding in the scope is kept, and why.
	match func(g bot.Finding) (Match, bool)
	// describe is the scope for people, without the window.
	describe string
}

// RelatedFindings is Related in the domain's terms.
func (c *Client) RelatedFindings(ctx context.Context, f bot.Finding, window time.Duration) (bot.RelatedFindings, error) {
	rel, err := c.Related(ctx, f, window)
	if err != nil {
		return bot.RelatedFindings{}, err
	}
	why := make(map[string]string, len(rel.Matches))
	for name, m := range rel.Matches {
		why[name] = string(m)
	}
	return bot.RelatedFindings{Findings: rel.Findings, Scope: rel.Scope, Filter: rel.Filter,
		Truncated: rel.Truncated, Narrowed: rel.Narrowed, Why: why}, nil
}

// Related lists the findings of all sources under the finding's
// organization, folder or project that concern the same resource within
// window on either side of its event time (DefaultRelatedWindow when
// window is not positive), newest first:
//
//   - GKE: the same cluster and its sub-resources, narrowed client side to
//     the same pod or a shared container image, because the filter cannot
//     address pods; when the finding names neither, the whole cluster.
//   - Cloud Run: the same service with all its revisions, or the same job
//     with all its executions; findings on the finding's own revision or
//     execution are marked, not preferred, so the order stays by time.
//   - Other products: the same resource name exactly.
//
// Findings of any state and mute are listed: resolved and muted ones are
// history a responder wants to see. At most MaxRelated other findings are
// read (before narrowing); Truncated says more existed. A resource name
// with line breaks cannot be matched, because quoting drops them: such a
// finding finds nothing rather than something else.
func (c *Client) Related(ctx context.Context, f bot.Finding, window time.Duration) (Related, error) {
	if window <= 0 {
		window = DefaultRelatedWindow
	}
	parent, err := relatedParent(f)
	if err != nil {
		return Related{}, err
	}
	sc, err := scopeOf(f)
	if err != nil {
		return Related{}, err
	}
	center := c.centerOf(f)
	rel := Related{
		Parent: parent.String(),
		Filter: sc.restriction + " AND event_time >= " + quoteTime(center.Add(-window)) +
			" AND event_time <= " + quoteTime(center.Add(window)),
		Scope: sc.describe + ", ±" + formatWindow(window),
	}
	found, truncated, err := c.listRelated(ctx, parent, rel.Filter, f.Name, sc.on)
	if err != nil {
		return Related{}, err
	}
	rel.Truncated = truncated
	rel.Findings, rel.Matches, rel.Narrowed = narrow(found, sc.match)
	return rel, nil
}

// relatedParent lists across all sources (source "-") in the finding's
// location, from its name or else its parent.
func relatedParent(f bot.Finding) (sourceName, error) {
	src, ok := parseSourceName(f.Parent)
	if n, nok := parseFindingName(f.Name); nok {
		src, ok = n.source, true
	}
	if !ok {
		return sourceName{}, bot.WrapError(bot.EInvalid,
			"sccbot has no valid SCC name for this finding, so it cannot look for related findings",
			fmt.Errorf("related findings: parse name %q and parent %q", f.Name, f.Parent))
	}
	src.source = "-"
	return src, nil
}

// centerOf is the finding's event time, else its create time, else now.
func (c *Client) centerOf(f bot.Finding) time.Time {
	for _, t := range []time.Time{f.EventTime, f.CreateTime} {
		if !t.IsZero() {
			return t
		}
	}
	return c.opts.Now()
}

func quoteTime(t time.Time) string { return bot.QuoteFilter(t.UTC().Format(time.RFC3339Nano)) }

// formatWindow prints 24h rather than Duration's 24h0m0s.
func formatWindow(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// listRelated reads pages of results, newest first, skipping the finding
// itself and results outside the scope, until max other findings are read.
// Each page is one retried call, so a failure resumes at the failed page.
func (c *Client) listRelated(ctx context.Context, parent sourceName, filter, self string,
	on func(string) bool) ([]bot.Finding, bool, error) {
	req := &securitycenterpb.ListFindingsRequest{Parent: parent.String(), Filter: filter, OrderBy: "event_time desc"}
	op := operation{what: "list related findings", verb: "read findings", role: RoleFindingsViewer,
		scope: parent.scope, target: parent.String(),
		notFound: fmt.Sprintf("SCC has no findings under %s: check that Security Command Center is active there "+
			"and uses location %q", parent.scope, parent.location)}
	var out []bot.Finding
	token := ""
	for {
		page, next, err := c.page(ctx, op, req, token)
		if err != nil {
			return nil, false, err
		}
		for _, res := range page {
			if sameFinding(res.GetFinding().GetName(), self) || !on(res.GetFinding().GetResourceName()) {
				continue
			}
			if len(out) == c.opts.MaxRelated {
				return out, true, nil
			}
			out = append(out, FromListResult(res))
		}
		if next == "" {
			return out, false, nil
		}
		token = next
	}
}

// page fetches one page of results at token.
func (c *Client) page(ctx context.Context, op operation, req *securitycenterpb.ListFindingsRequest,
	token string) ([]*securitycenterpb.ListFindingsResponse_ListFindingsResult, string, error) {
	var page []*securitycenterpb.ListFindingsResponse_ListFindingsResult
	var next string
	err := c.call(ctx, op, func(ctx context.Context) error {
		page = page[:0]
		var err error
		next, err = iterator.NewPager(c.sc.ListFindings(ctx, req), c.pageSize, token).NextPage(&page)
		return err
	})
	return page, next, err
}

// narrow keeps the findings match accepts, newest first, and counts the
// others. The API already orders by event time; sorting again keeps the
// promise if a page boundary ever reorders.
func narrow(found []bot.Finding, match func(bot.Finding) (Match, bool)) ([]bot.Finding, map[string]Match, int) {
	kept := make([]bot.Finding, 0, len(found))
	why := make(map[string]Match, len(found))
	for _, g := range found {
		m, ok := match(g)
		if !ok {
			continue
		}
		kept = append(kept, g)
		why[g.Name] = m
	}
	slices.SortStableFunc(kept, func(a, b bot.Finding) int { return b.EventTime.Compare(a.EventTime) })
	return kept, why, len(found) - len(kept)
}

// scopeOf picks the scope by product. A GKE or Cloud Run finding whose
// cluster, service or job cannot be found is scoped to its exact resource.
func scopeOf(f bot.Finding) (relatedScope, error) {
	switch f.Target.Product {
	case bot.ProductGKE:
		if cluster, ok := clusterName(f); ok {
			return gkeScope(f, cluster), nil
		}
	case bot.ProductCloudRun:
		if base, kind, ok := runBase(f); ok {
			return runScope(f, base, kind), nil
		}
	}
	return resourceScope(f)
}

// resourceScope is the exact resource name.
func resourceScope(f bot.Finding) (relatedScope, error) {
	name := f.Resource.Name
	if name == "" {
		return relatedScope{}, bot.WrapError(bot.EInvalid,
			"this finding names no resource, so sccbot cannot look for related findings",
			fmt.Errorf("related findings of %s: no resource name", f.Name))
	}
	return relatedScope{
		restriction: "resource_name = " + bot.QuoteFilter(name),
		on:          func(string) bool { return true },
		match:       func(bot.Finding) (Match, bool) { return MatchResource, true },
		describe:    "resource " + name,
	}, nil
}

// underResource restricts to base and every resource named below it:
// "=" for base itself, and ":" (substring) on base + "/" for revisions,
// executions and Kubernetes objects. The slash keeps service "api" from
// matching "api-canary"; the on check makes the substring a prefix.
func underResource(base string) (string, func(string) bool) {
	restriction := "(resource_name = " + bot.QuoteFilter(base) + " OR resource_name : " + bot.QuoteFilter(base+"/") + ")"
	on := func(name string) bool { return name == base || strings.HasPrefix(name, base+"/") }
	return restriction, on
}

// cutAfter returns name up to and including the ID that follows the first
// /collection/ in it: cutAfter(".../services/s/revisions/r", "services")
// is ".../services/s".
func cutAfter(name, collection string) (string, bool) {
	marker := "/" + collection + "/"
	i := strings.Index(name, marker)
	if i < 0 {
		return "", false
	}
	start := i + len(marker)
	end := strings.IndexByte(name[start:], '/')
	if end < 0 {
		end = len(name) - start
	}
	if end == 0 {
		return "", false
	}
	return name[:start+end], true
}

// clusterName is the cluster's full resource name: the finding's resource
// name cut after clusters/{c}, which keeps its own spelling (project ID or
// number, locations or zones), else rebuilt from the target.
func clusterName(f bot.Finding) (string, bool) {
	if strings.HasPrefix(f.Resource.Name, gkeHost) {
		if name, ok := cutAfter(f.Resource.Name, "clusters"); ok {
			return name, true
		}
	}
	t := f.Target
	if t.Project == "" || t.Location == "" || t.Cluster == "" {
		return "", false
	}
	return gkeHost + "projects/" + t.Project + "/locations/" + t.Location + "/clusters/" + t.Cluster, true
}

// podKey identifies a pod; pod names are unique within a namespace.
type podKey struct{ namespace, pod string }

// gkeScope narrows the cluster to the finding's pod or images. A finding
// that names neither keeps the whole cluster.
func gkeScope(f bot.Finding, cluster string) relatedScope {
	restriction, on := underResource(cluster)
	pod := podKey{f.Target.Namespace, f.Target.Pod}
	uris, ids := imagesOf(f.Containers)
	var parts []string
	if pod.pod != "" {
		parts = append(parts, "pod "+pod.namespace+"/"+pod.pod)
	}
	if img := first(f.Image(), firstImageID(f.Containers)); img != "" {
		parts = append(parts, "image "+img)
	}
	describe := "cluster " + path.Base(cluster)
	if len(parts) > 0 {
		describe += ", " + strings.Join(parts, " or ")
	}
	match := func(g bot.Finding) (Match, bool) {
		switch {
		case pod.pod != "" && (podKey{g.Target.Namespace, g.Target.Pod}) == pod:
			return MatchPod, true
		case sharesImage(g.Containers, uris, ids):
			return MatchImage, true
		case len(parts) == 0:
			return MatchResource, true
		}
		return "", false
	}
	return relatedScope{restriction: restriction, on: on, match: match, describe: describe}
}

// imagesOf returns the image URIs and image IDs of containers. They are
// compared separately: a URI by tag and one by digest name the same image
// only if SCC also reports the same image ID.
func imagesOf(cs []bot.Container) (uris, ids map[string]bool) {
	uris, ids = map[string]bool{}, map[string]bool{}
	for _, c := range cs {
		if c.ImageURI != "" {
			uris[c.ImageURI] = true
		}
		if c.ImageID != "" {
			ids[c.ImageID] = true
		}
	}
	return uris, ids
}

func sharesImage(cs []bot.Container, uris, ids map[string]bool) bool {
	for _, c := range cs {
		if uris[c.ImageURI] && c.ImageURI != "" || ids[c.ImageID] && c.ImageID != "" {
			return true
		}
	}
	return false
}

func firstImageID(cs []bot.Container) string {
	for _, c := range cs {
		if c.ImageID != "" {
			return c.ImageID
		}
	}
	return ""
}

// runBase is the service's or job's full resource name: the finding's
// resource name without /revisions/… or /executions/…, else rebuilt from
// the target. kind is "service" or "job".
func runBase(f bot.Finding) (base, kind string, ok bool) {
	if strings.HasPrefix(f.Resource.Name, runHost) {
		if base, ok := cutAfter(f.Resource.Name, "services"); ok {
			return base, "service", true
		}
		if base, ok := cutAfter(f.Resource.Name, "jobs"); ok {
			return base, "job", true
		}
	}
	t := f.Target
	if t.Project == "" || t.Location == "" {
		return "", "", false
	}
	prefix := runHost + "projects/" + t.Project + "/locations/" + t.Location
	switch {
	case t.Service != "":
		return prefix + "/services/" + t.Service, "service", true
	case t.Job != "":
		return prefix + "/jobs/" + t.Job, "job", true
	}
	return "", "", false
}

// runScope keeps every finding on the service or job and marks those on
// the finding's own revision or execution.
func runScope(f bot.Finding, base, kind string) relatedScope {
	restriction, on := underResource(base)
	rev, exec := f.Target.Revision, f.Target.Execution
	describe := "Cloud Run " + kind + " " + path.Base(base)
	switch {
	case kind == "service" && rev != "":
		describe += " (all revisions; revision " + rev + " marked)"
	case kind == "service":
		describe += " (all revisions)"
	case exec != "":
		describe += " (all executions; execution " + exec + " marked)"
	default:
		describe += " (all executions)"
	}
	match := func(g bot.Finding) (Match, bool) {
		switch {
		case rev != "" && g.Target.Revision == rev:
			return MatchRevision, true
		case exec != "" && g.Target.Execution == exec:
			return MatchExecution, true
		}
		return MatchResource, true
	}
	return relatedScope{restriction: restriction, on: on, match: match, describe: describe}
}
