package owners

import (
	"log/slog"
	"regexp"
	"time"

	essentialcontacts "cloud.google.com/go/essentialcontacts/apiv1"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
)

// Owner sources, as bot.Owner.Source spells them.
const (
	SourceFindingContacts   = "finding contacts"
	SourceEssentialContacts = "essential contacts"
	SourceIAMOwner          = "IAM owner"
)

// Defaults.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultAttempts  = 3
	DefaultMaxOwners = 10
	firstBackoff     = 500 * time.Millisecond
	maxBackoff       = 5 * time.Second
)

// Options configures a Finder. Every field is optional.
type Options struct {
	Logger *slog.Logger
	// Limits bound each attempt of each lookup and how often a lookup is
	// made when Google is unavailable or too slow; defaults DefaultTimeout,
	// DefaultAttempts, DefaultBackoff and retry.Sleep.
	retry.Limits
	// MaxOwners caps how many owners one lookup returns; default
	// DefaultMaxOwners. A page to dozens of people is a broadcast, not a
	// page.
	MaxOwners int
}

// DefaultBackoff waits 500 ms after the first failure and doubles each
// time, up to 5 s: the lookup runs while a responder waits in Slack.
func DefaultBackoff(attempt int) time.Duration {
	return retry.Exponential(firstBackoff, maxBackoff)(attempt)
}

// Finder finds a finding's project owners.
type Finder struct {
	contacts *essentialcontacts.Client
	projects *resourcemanager.ProjectsClient
	opts     Options
	log      *slog.Logger
}

// New returns a Finder that uses the given clients. Either may be nil: its
// source is then skipped with a note (for deployments that leave one API
// disabled).
func New(contacts *essentialcontacts.Client, projects *resourcemanager.ProjectsClient, opts Options) *Finder {
	opts.Limits = opts.Limits.Or(retry.Limits{
		Timeout: DefaultTimeout, Attempts: DefaultAttempts, Backoff: DefaultBackoff, Sleep: retry.Sleep,
	})
	if opts.MaxOwners <= 0 {
		opts.MaxOwners = DefaultMaxOwners
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Finder{contacts: contacts, projects: projects, opts: opts, log: log}
}

// Result is who to page and what a responder should know about how they
// were found.
type Result struct {
	// Owners come from one source, in its order, without duplicates.
	Owners []bot.Owner
	// Notes are user-safe sentences: sources that were empty or failed
	// (with the role to grant), entries skipped, the cap reached.
	Notes []string
}

// project is the project a finding is in, as the APIs are called with it.
type project struct {
	// name is projects/NUMBER when the number is known, else projects/ID:
	// the number survives a project being renamed or recreated.
	name string
	// label names it for people: the ID when known.
	label string
}

var (
	projectNumber = regexp.MustCompile(`^[0-9]{1,20}$`)
	// projectID also accepts the legacy domain-scoped form example.com:p.
	projectID = regexp.MustCompile(`^([a-z0-9][-a-z0-9.]{0,61}[a-z0-9]:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$`)
)

// projectOf returns the finding's project, or false when it names none
// that the APIs would accept.
func projectOf(f bot.Finding) (project, bool) {
	id := f.Project()
	if !projectID.MatchString(id) {
		id = ""
	}
	number := f.Resource.ProjectNumber
	switch {
	case projectNumber.MatchString(number) && id != "":
		return project{name: "projects/" + number, label: id}, true
	case projectNumber.MatchString(number):
		return project{name: "projects/" + number, label: number}, true
	case id != "":
		return project{name: "projects/" + id, label: id}, true
	}
	return project{}, false
}
