package sccfake

import (
	"strings"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
)

// sourcePath is a parsed source name: {scope}/sources/{source}[/locations/{location}],
// where scope is organizations/O, folders/F or projects/P.
type sourcePath struct {
	scope    string
	source   string
	location string
}

// parseSource parses a ListFindings parent. The location defaults to global,
// as in the real API.
func parseSource(name string) (sourcePath, bool) {
	segs := strings.Split(name, "/")
	if len(segs) != 4 && len(segs) != 6 {
		return sourcePath{}, false
	}
	switch segs[0] {
	case "organizations", "folders", "projects":
	default:
		return sourcePath{}, false
	}
	if segs[1] == "" || segs[2] != "sources" || segs[3] == "" {
		return sourcePath{}, false
	}
	p := sourcePath{scope: segs[0] + "/" + segs[1], source: segs[3], location: "global"}
	if len(segs) == 6 {
		if segs[4] != "locations" || segs[5] == "" {
			return sourcePath{}, false
		}
		p.location = segs[5]
	}
	return p, true
}

// parseFinding splits a finding name into its source path and finding ID.
func parseFinding(name string) (sourcePath, string, bool) {
	i := strings.LastIndex(name, "/findings/")
	if i < 0 {
		return sourcePath{}, "", false
	}
	id := name[i+len("/findings/"):]
	src, ok := parseSource(name[:i])
	if !ok || id == "" || strings.Contains(id, "/") {
		return sourcePath{}, "", false
	}
	return src, id, true
}

// normalizeName spells a finding name with its location, so that the
// location-less v1 form finds the same finding.
func normalizeName(name string) string {
	src, id, ok := parseFinding(name)
	if !ok {
		return name
	}
	return src.scope + "/sources/" + src.source + "/locations/" + src.location + "/findings/" + id
}

// matches reports whether a finding belongs under the ListFindings parent.
// A project parent also matches findings stored at the organization whose
// resource is in that project, as the real API lists them.
func (p sourcePath) matches(e *entry) bool {
	src, _, ok := parseFinding(e.f.GetName())
	if !ok {
		return false
	}
	if p.source != "-" && p.source != src.source {
		return false
	}
	if p.location != src.location {
		return false
	}
	if p.scope == src.scope {
		return true
	}
	if canon, _, ok := parseFinding(e.f.GetCanonicalName()); ok && canon.scope == p.scope {
		return true
	}
	return p.inProject(e.r)
}

func (p sourcePath) inProject(r *securitycenterpb.Resource) bool {
	id, ok := strings.CutPrefix(p.scope, "projects/")
	if !ok {
		return false
	}
	md := r.GetGcpMetadata()
	return md.GetProjectDisplayName() == id ||
		md.GetProject() == "//cloudresourcemanager.googleapis.com/projects/"+id
}
