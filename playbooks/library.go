package playbooks

import (
	"embed"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

//go:embed data/*.yaml
var embedded embed.FS

// Library is a set of playbooks indexed for lookup. It is read-only after
// loading and safe for concurrent use.
type Library struct {
	all      []*Playbook
	byName   map[string]*Playbook
	byModule map[string]*Playbook
	generic  *Playbook
}

// Load returns the embedded playbooks.
func Load() (*Library, error) {
	lib, problems := load("", nil)
	if len(problems) > 0 {
		return nil, fmt.Errorf("embedded playbooks: %w", problems)
	}
	return lib, nil
}

// LoadDir returns the embedded playbooks overlaid with the operator's files
// in dir (*.yaml and *.yml, not recursive): a file whose category is an
// embedded playbook's category replaces it, a new category adds one, and a
// generic one replaces the generic playbook. The error lists every problem
// (it is a Problems).
func LoadDir(dir string) (*Library, error) {
	lib, problems := load(dir, nil)
	if len(problems) > 0 {
		return nil, problems
	}
	return lib, nil
}

// Lint checks the playbook files in dir as LoadDir would load them, and
// returns every problem in file and line order. known, when not nil,
// reports whether an ATT&CK technique id exists; technique ids are
// otherwise only checked for their shape. An empty dir checks the embedded
// playbooks alone.
func Lint(dir string, known func(id string) bool) []Problem {
	_, problems := load(dir, known)
	return problems
}

func load(dir string, known func(string) bool) (*Library, Problems) {
	base, problems := parseAll(embeddedSources(), known)
	if dir != "" {
		srcs, readProblems := readDir(dir)
		overlay, more := parseAll(srcs, known)
		problems = append(problems, readProblems...)
		problems = append(problems, more...)
		base = overlayFiles(base, overlay)
	}
	problems = append(problems, crossCheck(base)...)
	if len(problems) > 0 {
		return nil, problems.sorted()
	}
	return newLibrary(base), nil
}

// overlayFiles replaces base files by overlay files of the same category
// (or the generic one) and adds the rest.
func overlayFiles(base, overlay []*parsed) []*parsed {
	out := slices.Clone(base)
	for _, o := range overlay {
		i := slices.IndexFunc(out, func(b *parsed) bool { return b.embedded && sameIdentity(b, o) })
		if i >= 0 {
			out[i] = o
		} else {
			out = append(out, o)
		}
	}
	return out
}

func sameIdentity(a, b *parsed) bool {
	if a.spec.Generic || b.spec.Generic {
		return a.spec.Generic && b.spec.Generic
	}
	return normalize(a.spec.Category) == normalize(b.spec.Category)
}

func newLibrary(files []*parsed) *Library {
	l := &Library{byName: map[string]*Playbook{}, byModule: map[string]*Playbook{}}
	for _, f := range files {
		p := f.playbook
		l.all = append(l.all, p)
		if p.Generic {
			l.generic = p
			continue
		}
		for _, n := range append([]string{p.Category}, p.Aliases...) {
			l.byName[normalize(n)] = p
		}
		for _, m := range p.Modules {
			l.byModule[moduleKey(m)] = p
		}
	}
	slices.SortFunc(l.all, func(a, b *Playbook) int { return strings.Compare(sortKey(a), sortKey(b)) })
	return l
}

func sortKey(p *Playbook) string {
	if p.Generic {
		return "\xff"
	}
	return normalize(p.Category)
}

// Lookup returns the playbook for f, never nil: by category (ignoring case
// and spacing), then alias, then module name (in the category, where some
// tools put it, or in f.Module), then the generic playbook.
func (l *Library) Lookup(f bot.Finding) *Playbook {
	if p, ok := l.byName[normalize(f.Category)]; ok {
		return p
	}
	if p, ok := l.byModule[moduleKey(f.Category)]; ok {
		return p
	}
	if p, ok := l.byModule[moduleKey(f.Module)]; ok {
		return p
	}
	return l.generic
}

// ByCategory returns the playbook whose category or alias is name,
// ignoring case and spacing. The generic playbook has no name.
func (l *Library) ByCategory(name string) (*Playbook, bool) {
	p, ok := l.byName[normalize(name)]
	return p, ok
}

// Generic returns the generic playbook.
func (l *Library) Generic() *Playbook { return l.generic }

// Playbooks returns every playbook, by category, the generic one last.
func (l *Library) Playbooks() []*Playbook { return slices.Clone(l.all) }

// Len is the number of playbooks, the generic one included.
func (l *Library) Len() int { return len(l.all) }

// normalize folds case and runs of white space, the differences seen
// between the spellings of one category.
func normalize(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func moduleKey(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	return strings.ToUpper(s)
}

func embeddedSources() []source {
	entries, _ := embedded.ReadDir("data")
	var out []source
	for _, e := range entries {
		name := path.Join("data", e.Name())
		data, err := embedded.ReadFile(name)
		if err != nil {
			continue // cannot happen: the names come from the same FS
		}
		out = append(out, source{file: name, data: data, embedded: true})
	}
	return out
}
