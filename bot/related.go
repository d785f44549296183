package bot

// RelatedFindings are the findings around one finding: same resource, a
// window of time around its event.
type RelatedFindings struct {
	// Findings are newest first; the finding itself is not among them.
	Findings []Finding
	// Scope says in words what was searched ("cluster prod-cluster, ±24h").
	Scope string
	// Filter is the exact filter sent to SCC, for the log.
	Filter string
	// Truncated is set when more findings matched than were fetched.
	Truncated bool
	// Narrowed counts findings the API returned that were dropped because
	// they concern another pod, container or image.
	Narrowed int
	// Why says, by finding name, why each finding was kept: "pod", "image",
	// "revision", "execution" (the same one as the finding's) or
	// "resource" (the same cluster, service or job).
	Why map[string]string
}
