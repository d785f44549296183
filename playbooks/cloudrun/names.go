package cloudrun

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

// Naming rules. Every coordinate comes from the finding, which is
// attacker-controlled, so each is checked against the rule of its kind
// before it is put into a resource name, a log line or a message: a value
// with a slash, a dot or a newline never reaches Cloud Run.
//
//   - project: a project ID (6 to 30 lowercase letters, digits and
//     hyphens, starting with a letter, not ending with a hyphen) or a
//     project number. Domain-scoped IDs (example.com:p) are refused.
//   - region: a Cloud Run region such as europe-west1.
//   - service: at most 49 characters; job, revision, execution: at most
//     63; all lowercase letters, digits and hyphens, starting with a
//     letter and not ending with a hyphen.
var (
	projectIDPattern     = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	projectNumberPattern = regexp.MustCompile(`^[0-9]{1,20}$`)
	regionPattern        = regexp.MustCompile(`^[a-z]{2,}(-[a-z]+)+[0-9]{1,2}$`)
	servicePattern       = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$`)
	resourcePattern      = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// maxShown is how much of a refused value a message repeats.
const maxShown = 40

func validProject(p string) bool {
	return projectIDPattern.MatchString(p) || projectNumberPattern.MatchString(p)
}

// checkName returns an EInvalid error when v is missing or breaks rule.
// what names the value for the user ("Cloud Run service").
func checkName(what, v string, ok func(string) bool) error {
	if v == "" {
		return bot.Errorf(bot.EInvalid, "the finding names no %s, so sccbot cannot act on it", what)
	}
	if !ok(v) {
		return bot.WrapError(bot.EInvalid, fmt.Sprintf(
			"the finding's %s %s is not a valid Cloud Run name, so sccbot will not act on it", what, shown(v)),
			fmt.Errorf("invalid %s %q", what, v))
	}
	return nil
}

// shown quotes a refused value for a message: cut short, with anything
// outside printable ASCII replaced, so it cannot format or spoof text.
func shown(v string) string {
	var b strings.Builder
	n := 0
	for _, r := range v {
		if n++; n > maxShown {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r > 0x7e || r == '`' || r == '<' || r == '>' || r == '&' || r == '*' || r == '_' || r == '~' {
			r = '?'
		}
		b.WriteRune(r)
	}
	return "\"" + b.String() + "\""
}

// location is a project and region, validated.
type location struct {
	project string
	region  string
}

func (l location) String() string { return "projects/" + l.project + "/locations/" + l.region }

// where is how messages place a resource: "(europe-west1, project demo-web)".
func (l location) where() string { return "(" + l.region + ", project " + l.project + ")" }

func locationOf(t bot.Target) (location, error) {
	if err := checkName("project", t.Project, validProject); err != nil {
		return location{}, err
	}
	if err := checkName("region", t.Location, regionPattern.MatchString); err != nil {
		return location{}, err
	}
	return location{project: t.Project, region: t.Location}, nil
}

// serviceRef is a validated Cloud Run service and, when the finding names
// one, the revision it points at.
type serviceRef struct {
	location
	service  string
	revision string // short name; "" when the finding names none
}

func (s serviceRef) String() string                { return s.location.String() + "/services/" + s.service }
func (s serviceRef) revisionName(id string) string { return s.String() + "/revisions/" + id }

// serviceOf reads the service and revision of a finding's target. A
// revision given as a full name must belong to the same service.
func serviceOf(t bot.Target) (serviceRef, error) {
	loc, err := locationOf(t)
	if err != nil {
		return serviceRef{}, err
	}
	if err := checkName("Cloud Run service", t.Service, servicePattern.MatchString); err != nil {
		return serviceRef{}, err
	}
	ref := serviceRef{location: loc, service: t.Service}
	if t.Revision == "" {
		return ref, nil
	}
	ref.revision, err = shortName(t.Revision, ref.String()+"/revisions/", "revision")
	return ref, err
}

// jobRef is a validated Cloud Run job and, when the finding names one,
// the execution it points at.
type jobRef struct {
	location
	job       string
	execution string // short name; "" when the finding names none
}

func (j jobRef) String() string                 { return j.location.String() + "/jobs/" + j.job }
func (j jobRef) executionName(id string) string { return j.String() + "/executions/" + id }

// jobOf reads the job and execution of a finding's target. When the
// target has a full execution name but no job, the job comes from it.
func jobOf(t bot.Target) (jobRef, error) {
	if t.Job == "" && strings.HasPrefix(t.Execution, "projects/") {
		t = withJobFromExecution(t)
	}
	loc, err := locationOf(t)
	if err != nil {
		return jobRef{}, err
	}
	if err := checkName("Cloud Run job", t.Job, resourcePattern.MatchString); err != nil {
		return jobRef{}, err
	}
	ref := jobRef{location: loc, job: t.Job}
	if t.Execution == "" {
		return ref, nil
	}
	ref.execution, err = shortName(t.Execution, ref.String()+"/executions/", "execution")
	return ref, err
}

// withJobFromExecution fills the project, region and job of a target from
// its full execution name projects/P/locations/R/jobs/J/executions/E.
// Only empty fields are filled; shortName later checks that all agree.
func withJobFromExecution(t bot.Target) bot.Target {
	segs := strings.Split(t.Execution, "/")
	if len(segs) != 8 || segs[2] != "locations" || segs[4] != "jobs" || segs[6] != "executions" {
		return t
	}
	t.Project = cmpOr(t.Project, segs[1])
	t.Location = cmpOr(t.Location, segs[3])
	t.Job = segs[5]
	return t
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// shortName accepts a short id or a full name under prefix and returns
// the validated short id.
func shortName(v, prefix, what string) (string, error) {
	id := v
	if strings.Contains(v, "/") {
		rest, ok := strings.CutPrefix(v, prefix)
		if !ok {
			return "", bot.WrapError(bot.EInvalid, fmt.Sprintf(
				"the finding's %s %s does not belong to the workload it names, so sccbot will not act on it",
				what, shown(v)), fmt.Errorf("%s %q is not under %s", what, v, prefix))
		}
		id = rest
	}
	return id, checkName(what, id, resourcePattern.MatchString)
}
