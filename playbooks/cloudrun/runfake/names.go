package runfake

import "strings"

// ServiceName is projects/P/locations/R/services/S.
func ServiceName(project, location, service string) string {
	return "projects/" + project + "/locations/" + location + "/services/" + service
}

// RevisionName is the full name of revision id of a service given by its
// full name.
func RevisionName(service, id string) string { return service + "/revisions/" + id }

// JobName is projects/P/locations/R/jobs/J.
func JobName(project, location, job string) string {
	return "projects/" + project + "/locations/" + location + "/jobs/" + job
}

// ExecutionName is the full name of execution id of a job given by its
// full name.
func ExecutionName(job, id string) string { return job + "/executions/" + id }

// parent returns name without its last two segments (the collection and
// the id): the service of a revision, the job of an execution.
func parent(name string) string {
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return ""
	}
	j := strings.LastIndex(name[:i], "/")
	if j < 0 {
		return ""
	}
	return name[:j]
}

// short is the last segment of a name.
func short(name string) string { return name[strings.LastIndex(name, "/")+1:] }

// locationOf is the projects/P/locations/R prefix of a name, where the
// fake files its operations, or "" for a name not of that shape.
func locationOf(name string) string {
	segs := strings.SplitN(name, "/", 5)
	if len(segs) < 4 || segs[0] != "projects" || segs[2] != "locations" || segs[1] == "" || segs[3] == "" {
		return ""
	}
	return strings.Join(segs[:4], "/")
}

// validName checks projects/P/locations/R/<collection>/X[/<sub>/Y] with
// non-empty segments, where collections lists the expected collection
// names in order.
func validName(name string, collections ...string) bool {
	segs := strings.Split(name, "/")
	want := append([]string{"projects", "locations"}, collections...)
	if len(segs) != 2*len(want) {
		return false
	}
	for i, c := range want {
		if segs[2*i] != c || segs[2*i+1] == "" {
			return false
		}
	}
	return true
}
