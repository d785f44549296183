package playbooks

import (
	"net/url"
	"strings"
	"time"
)

const consoleBase = "https://console.cloud.google.com"

// ExplorerURL opens filter in the Logs Explorer of project for the window
// start to end, in the format of the console's own "Copy link". The filter
// must not hold timestamp restrictions: the window is in the URL. Zero
// times leave the window to the console's default.
func ExplorerURL(project, filter string, start, end time.Time) string {
	var b strings.Builder
	b.WriteString(consoleBase + "/logs/query;query=")
	b.WriteString(encodeURIComponent(filter))
	if !start.IsZero() && !end.IsZero() {
		b.WriteString(";timeRange=")
		b.WriteString(encodeURIComponent(start.UTC().Format(time.RFC3339) + "/" + end.UTC().Format(time.RFC3339)))
	}
	if project != "" {
		b.WriteString("?project=" + encodeURIComponent(project))
	}
	return b.String()
}

// encodeURIComponent escapes s as JavaScript's function of that name does:
// everything but letters, digits and -_.!~*'() is percent-encoded, byte by
// byte. url.QueryEscape differs in turning spaces into "+", which the
// console does not decode inside its ;key=value segments.
func encodeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// consoleURL joins path segments, escaping each as one segment, and adds
// the project.
func consoleURL(project string, segments ...string) string {
	var b strings.Builder
	b.WriteString(consoleBase)
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if project != "" {
		b.WriteString("?project=" + url.QueryEscape(project))
	}
	return b.String()
}

// clusterURL opens the GKE cluster's details page.
func clusterURL(v values) string {
	if v["location"] == "" || v["cluster"] == "" {
		return ""
	}
	return consoleURL(v["project"], "kubernetes", "clusters", "details", v["location"], v["cluster"], "details")
}

// nodeURL opens the GKE node's page in the cluster.
func nodeURL(v values) string {
	if v["location"] == "" || v["cluster"] == "" || v["node"] == "" {
		return ""
	}
	return consoleURL(v["project"], "kubernetes", "node", v["location"], v["cluster"], v["node"], "details")
}
