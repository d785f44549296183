package bot

import (
	"path"
	"strings"
	"time"
)

// Group is a burst of similar findings shown on one card: the first
// finding's card, kept current with the count, the first and latest event
// and the distinct pods and binaries, while the others are listed in its
// thread.
type Group struct {
	ID  string
	Key string
	// Representative is the finding whose card is the group's card.
	Representative string
	Card           MessageRef
	// OpenedAt is when the card was posted; the group closes (and a new
	// card starts the next one) after the route's repeat interval.
	OpenedAt time.Time
	First    time.Time
	Last     time.Time
	Count    int
	Worst    Severity
	// Pods and Binaries are distinct values, at most MaxGroupValues each;
	// MorePods and MoreBinaries count the distinct ones beyond that.
	Pods         []string
	MorePods     int
	Binaries     []string
	MoreBinaries int
	Closed       bool
}

// MaxGroupValues bounds the distinct pods and binaries a group remembers.
const MaxGroupValues = 20

// Silence stops findings that match all its matchers from being posted
// until it expires or is removed. Silenced findings are still stored and
// counted.
type Silence struct {
	ID        string
	Matchers  []Matcher
	Reason    string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	RemovedBy string
	RemovedAt time.Time
}

// Active reports whether the silence applies at t.
func (s Silence) Active(t time.Time) bool {
	return s.RemovedAt.IsZero() && t.Before(s.ExpiresAt)
}

// Matches reports whether f matches every matcher. A silence without
// matchers matches nothing: it could otherwise hide every finding.
func (s Silence) Matches(f Finding) bool {
	if len(s.Matchers) == 0 {
		return false
	}
	for _, m := range s.Matchers {
		if !m.Matches(f) {
			return false
		}
	}
	return true
}

// Matcher is one condition of a silence: a finding field and the value it
// must have.
type Matcher struct {
	Field string
	Value string
}

// Matcher fields.
const (
	MatchCategory  = "category"
	MatchProject   = "project"
	MatchSeverity  = "severity"
	MatchProduct   = "product"
	MatchCluster   = "cluster"
	MatchService   = "service"
	MatchJob       = "job"
	MatchNamespace = "namespace"
	MatchPod       = "pod"
	MatchImage     = "image"
)

// Matches reports whether f has the matcher's value. Categories compare
// case-insensitively with whitespace folded; projects, namespaces and pods
// may be path.Match globs; severity matches that level or above.
func (m Matcher) Matches(f Finding) bool {
	switch m.Field {
	case MatchCategory:
		return foldSpace(f.Category) == foldSpace(m.Value)
	case MatchSeverity:
		sev, ok := ParseSeverity(m.Value)
		return ok && f.Severity >= sev
	case MatchProduct:
		return string(f.Target.Product) == m.Value
	case MatchImage:
		return f.Image() == m.Value
	case MatchProject:
		return glob(m.Value, f.Project())
	case MatchCluster:
		return f.Target.Cluster == m.Value
	case MatchService:
		return f.Target.Service == m.Value
	case MatchJob:
		return f.Target.Job == m.Value
	case MatchNamespace:
		return glob(m.Value, f.Target.Namespace)
	case MatchPod:
		return glob(m.Value, f.Target.Pod)
	}
	return false
}

func foldSpace(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func glob(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// SimilarMatchers are the matchers "silence similar" proposes for f: its
// category and workload (cluster or service or job) and image.
func SimilarMatchers(f Finding) []Matcher {
	ms := []Matcher{{Field: MatchCategory, Value: f.Category}}
	switch {
	case f.Target.Cluster != "":
		ms = append(ms, Matcher{Field: MatchCluster, Value: f.Target.Cluster})
	case f.Target.Service != "":
		ms = append(ms, Matcher{Field: MatchService, Value: f.Target.Service})
	case f.Target.Job != "":
		ms = append(ms, Matcher{Field: MatchJob, Value: f.Target.Job})
	case f.Project() != "":
		ms = append(ms, Matcher{Field: MatchProject, Value: f.Project()})
	}
	if img := f.Image(); img != "" {
		ms = append(ms, Matcher{Field: MatchImage, Value: img})
	}
	return ms
}
