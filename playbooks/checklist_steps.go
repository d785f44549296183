package playbooks

import (
	"slices"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

func (c *checklist) review() {
	head := bot.R(c.heading("Review the finding"), bot.T(" (Summary and JSON tabs)\n"))
	var lines []bot.Rich
	for _, item := range c.p.Review {
		if len(item.Products) > 0 && !slices.Contains(item.Products, c.product) ||
			item.Optional && c.v[item.Value] == "" {
			continue
		}
		lines = append(lines, c.reviewLine(item))
	}
	c.add(sections(head, lines)...)
	if steps := c.p.Steps(c.product); len(steps) > 0 {
		lines = nil
		for _, s := range steps {
			lines = append(lines, bullet(bot.T(s)))
		}
		c.add(sections(bot.R(bot.B("Then check"), bot.T("\n")), lines)...)
	}
}

func (c *checklist) reviewLine(item ReviewItem) bot.Rich {
	spans := []bot.Span{bot.B(item.Label)}
	switch v := c.v[item.Value]; {
	case item.Value == "":
	case v == "":
		spans = append(spans, bot.T(": "), bot.I("not in the finding"))
	default:
		spans = append(spans, bot.T(": "), bot.M(shown(v)))
	}
	spans = append(spans, bot.T(" — "+item.Why))
	if item.JSON != "" {
		spans = append(spans, bot.T(" ("), bot.M(item.JSON), bot.T(")"))
	}
	return bullet(spans...)
}

func (c *checklist) related() {
	scope := "resource"
	switch c.product {
	case bot.ProductGKE:
		scope = "cluster"
		if c.v["pod"] != "" {
			scope = "container, pod or node"
		}
	case bot.ProductCloudRun:
		scope = "service or job"
	}
	c.add(bot.Section{Text: bot.R(c.heading("Related findings"), bot.T(" Press "), bot.B("Related findings"),
		bot.T(" on the card: it lists other findings on the same "+scope+" around the same time. "+
			"Several together point to a real compromise rather than a build or debugging habit."))})
}

func (c *checklist) console() {
	var links []bot.Rich
	link := func(text, url string) {
		if url != "" {
			links = append(links, bullet(bot.Link(text, url)))
		}
	}
	link("The finding in Security Command Center", bot.FindingURL(c.f))
	t := c.f.Target
	t.Product, t.Project, t.Location = c.product, c.v["project"], c.v["location"]
	switch c.product {
	case bot.ProductGKE:
		link("The cluster: note its owner and metadata", clusterURL(c.v))
		link("The node: service account, scopes, other pods on it", nodeURL(c.v))
		if c.v["pod"] != "" {
			link("The pod: its owner, controller and securityContext", bot.WorkloadURL(t))
		}
	case bot.ProductCloudRun:
		what := "The service's revisions: image, service account, traffic"
		if c.v["service"] == "" {
			what = "The job's executions: image, service account, schedule"
		}
		link(what, bot.WorkloadURL(t))
	}
	c.add(sections(bot.R(c.heading("Console pages"), bot.T("\n")), links)...)
}

func (c *checklist) logs() {
	qs, missing := c.p.Queries(c.f, c.start, c.end, 0)
	window := ""
	if !c.start.IsZero() && !c.end.IsZero() {
		// In the zone the caller gave the times in, named.
		window = " (" + c.start.Format("2006-01-02 15:04:05") + " to " + c.end.In(c.start.Location()).Format("2006-01-02 15:04:05 MST") + ")"
	}
	c.add(bot.Section{Text: bot.R(c.heading("Logs"), bot.T(" Press "), bot.B("Logs"),
		bot.T(" to run these for the finding's time window"+window+", or open one in the Logs Explorer."))})
	for i, q := range qs {
		if i == maxQueriesShown {
			missing = append(missing, strings.Join(titles(qs[i:]), ", ")+": run by the Logs button, not shown here")
			break
		}
		link := bot.Link("Logs Explorer", ExplorerURL(q.Project, q.Filter, c.start, c.end))
		if len(link.URL) > maxLinkLen {
			link = bot.I("too long to link: paste the filter below into the Logs Explorer")
		}
		c.add(bot.Section{Text: bot.R(bot.B(q.Title), bot.T(" · "), link)}, bot.Code{Text: q.Filter})
	}
	if len(missing) > 0 {
		c.add(bot.Context{Elements: []bot.Rich{bot.R(bot.I("Not run: " + strings.Join(missing, "; ") + "."))}})
	}
}

func titles(qs []bot.LogQuery) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Title
	}
	return out
}

func (c *checklist) container() {
	switch {
	case c.product == bot.ProductGKE && c.v["pod"] == "" && c.v["binary"] == "":
		// A control-plane finding (an RBAC change): no container to enter.
	case c.product == bot.ProductGKE:
		c.commands(gkeCommands(c.v), c.heading("Investigate the running container"),
			" In Cloud Shell, while the container still runs: get credentials, copy the binary out as evidence "+
				"before anything is deleted, then open a shell (the container needs /bin/sh).")
	case c.product == bot.ProductCloudRun:
		qs, _ := c.p.Queries(c.f, c.start, c.end, 0)
		var backup *bot.LogQuery
		if len(qs) > 0 {
			backup = &qs[0]
		}
		c.commands(cloudRunCommands(c.v, backup), c.heading("Inspect the workload"),
			" Cloud Run has no kubectl cp: describe the revision (its image digest is the evidence), "+
				"list the revisions to find the last good one, and back up the logs.")
	}
}

func (c *checklist) commands(cs commandSet, heading bot.Span, intro string) {
	c.add(bot.Section{Text: bot.R(heading, bot.T(intro))})
	if len(cs.lines) > 0 {
		c.add(bot.Code{Text: strings.Join(cs.lines, "\n")})
	}
	notes := cs.notes
	if c.product == bot.ProductGKE {
		notes = append(notes, kubernetesNameNotes(c.v)...)
	}
	if len(notes) > 0 {
		c.add(bot.Context{Elements: []bot.Rich{bot.R(bot.I(strings.Join(notes, " ")))}})
	}
}

func (c *checklist) virusTotal() {
	var links []bot.Rich
	for _, h := range c.hashes() {
		links = append(links, bullet(bot.Link(h.sha, bot.VirusTotalURL(h.sha)), bot.T(" "), bot.M(shown(h.file))))
	}
	head := bot.R(c.heading("VirusTotal"), bot.T(" Verdicts and related indicators for the file hashes:\n"))
	if len(links) == 0 {
		head[1] = bot.T(" The finding carries no SHA-256 to look up.")
	}
	c.add(sections(head, links)...)
}

type hash struct{ sha, file string }

// hashes are the distinct valid SHA-256 digests of the finding, process
// binaries first.
func (c *checklist) hashes() []hash {
	var out []hash
	addHash := func(sha, file string) {
		sha = strings.ToLower(sha)
		if bot.ValidSHA256(sha) && len(out) < maxHashes && !slices.ContainsFunc(out, func(h hash) bool { return h.sha == sha }) {
			out = append(out, hash{sha: sha, file: file})
		}
	}
	for _, p := range c.f.Processes {
		addHash(p.SHA256, p.Binary)
	}
	for _, h := range c.f.FileHashes {
		addHash(h, "a file named by the finding")
	}
	return out
}

func (c *checklist) attack() {
	spans := []bot.Span{c.heading("ATT&CK"), bot.T(" Press "), bot.B("ATT&CK"), bot.T(" for descriptions and mitigations.")}
	var own []string
	for _, t := range c.f.AllTechniques() {
		own = append(own, first(t.ID, t.Enum))
	}
	if len(own) > 0 {
		spans = append(append(spans, bot.T("\nFrom the finding: ")), techniqueSpans(own)...)
	}
	var extra []string
	for _, id := range c.p.Techniques {
		if !slices.Contains(own, id) {
			extra = append(extra, id)
		}
	}
	if len(extra) > 0 {
		spans = append(append(spans, bot.T("\nFrom the playbook: ")), techniqueSpans(extra)...)
	}
	c.add(bot.Section{Text: spans})
}

func techniqueSpans(ids []string) []bot.Span {
	var out []bot.Span
	for i, id := range ids {
		if i > 0 {
			out = append(out, bot.T(", "))
		}
		if u := bot.AttackURL(id); u != "" {
			out = append(out, bot.Link(id, u))
		} else {
			out = append(out, bot.M(visible(id)))
		}
	}
	return out
}

func (c *checklist) respond() {
	head := bot.R(c.heading("Respond"), bot.T(" Unless harm is ongoing, confirm with the owner first. The buttons below request these:\n"))
	var lines []bot.Rich
	for _, r := range c.p.ResponsesFor(c.f) {
		if r.Suggested {
			lines = append(lines, bullet(bot.B("Suggested:"), bot.T(" "+r.Label)))
		} else {
			lines = append(lines, bullet(bot.T(r.Label)))
		}
	}
	if v := c.v["contacts"]; v != "" {
		lines = append(lines, bot.R(bot.T("Contacts named by the finding: "), bot.M(shown(v))))
	}
	c.add(sections(head, lines)...)
}

func (c *checklist) docs() {
	d, ok := c.p.Doc(c.product)
	if !ok {
		c.add(bot.Context{Elements: []bot.Rich{bot.R(bot.Link("Google's threat findings index", ThreatFindingsIndex))}})
		return
	}
	r := bot.R(bot.Link("Google's guidance for this finding", d.URL))
	if !d.Verified {
		r = append(r, bot.T(" (if that page is gone, the "), bot.Link("threat findings index", ThreatFindingsIndex), bot.T(" lists it)"))
	}
	c.add(bot.Context{Elements: []bot.Rich{r}})
}
