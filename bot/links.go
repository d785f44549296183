package bot

import (
	"net/url"
	"regexp"
	"strings"
)

// Links to consoles and research sites. Every part taken from a finding is
// escaped for the URL position it lands in, so a hostile pod or finding name
// cannot change where a link points.

const consoleBase = "https://console.cloud.google.com"

var sha256Pattern = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// ValidSHA256 reports whether s looks like a hex SHA-256 digest.
func ValidSHA256(s string) bool { return sha256Pattern.MatchString(s) }

// FindingURL opens the finding in the Security Command Center console.
func FindingURL(f Finding) string {
	if f.Name == "" {
		return ""
	}
	q := url.Values{}
	switch {
	case f.Resource.Organization != "":
		q.Set("organizationId", f.Resource.Organization)
	case f.Project() != "":
		q.Set("project", f.Project())
	}
	u := consoleBase + "/security/command-center/findingsv2;name=" + url.QueryEscape(f.Name)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// VirusTotalURL opens the file report for a SHA-256 digest, or returns ""
// when sha is not a digest (it is never put into a URL unchecked).
func VirusTotalURL(sha string) string {
	if !ValidSHA256(sha) {
		return ""
	}
	return "https://www.virustotal.com/gui/file/" + strings.ToLower(sha)
}

// WorkloadURL opens the affected workload in the console: the GKE pod (or
// cluster), the Cloud Run service revisions or job executions. It returns ""
// when the target is not precise enough.
func WorkloadURL(t Target) string {
	switch t.Product {
	case ProductGKE:
		return gkeURL(t)
	case ProductCloudRun:
		return cloudRunURL(t)
	}
	return ""
}

func gkeURL(t Target) string {
	if t.Location == "" || t.Cluster == "" {
		return ""
	}
	if t.Namespace != "" && t.Pod != "" {
		return consoleURL(t.Project, "kubernetes", "pod", t.Location, t.Cluster, t.Namespace, t.Pod, "details")
	}
	return consoleURL(t.Project, "kubernetes", "clusters", "details", t.Location, t.Cluster, "details")
}

func cloudRunURL(t Target) string {
	switch {
	case t.Location == "":
		return ""
	case t.Service != "":
		return consoleURL(t.Project, "run", "detail", t.Location, t.Service, "revisions")
	case t.Job != "":
		return consoleURL(t.Project, "run", "jobs", "details", t.Location, t.Job, "executions")
	}
	return ""
}

// consoleURL joins path segments, escaping each, and adds the project.
func consoleURL(project string, segments ...string) string {
	var b strings.Builder
	b.WriteString(consoleBase)
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if project != "" {
		b.WriteString("?project=")
		b.WriteString(url.QueryEscape(project))
	}
	return b.String()
}

// AttackURL is the attack.mitre.org page of a technique or tactic id such as
// T1027.004 or TA0005, or "" for anything else.
func AttackURL(id string) string {
	id = strings.ToUpper(strings.TrimSpace(id))
	switch {
	case attackTechnique.MatchString(id):
		return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(id, ".", "/") + "/"
	case attackTactic.MatchString(id):
		return "https://attack.mitre.org/tactics/" + id + "/"
	}
	return ""
}

var (
	attackTechnique = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	attackTactic    = regexp.MustCompile(`^TA\d{4}$`)
)
