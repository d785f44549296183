package playbooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sccbot/sccbot/bot"
)

// Problem is one thing wrong with a playbook file: the file, the field
// ("queries.gke[1].filter"), the 1-based line (0 when unknown) and what is
// wrong.
type Problem struct {
	File    string
	Field   string
	Line    int
	Message string
}

// String formats the problem as "file:line: field: message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found; LoadDir returns it as its error.
type Problems []Problem

// Error prints one problem a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sorted() Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
	return ps
}

// source is one playbook file's bytes.
type source struct {
	file     string
	data     []byte
	embedded bool
}

// parsed is a file that decoded and validated.
type parsed struct {
	file     string
	embedded bool
	spec     *fileSpec
	dec      *decoder
	playbook *Playbook
}

// parseAll decodes and validates every source; files with problems are
// left out of the result.
func parseAll(srcs []source, known func(string) bool) ([]*parsed, Problems) {
	var out []*parsed
	var problems Problems
	for _, s := range srcs {
		p, ps := parseFile(s, known)
		problems = append(problems, ps...)
		if p != nil {
			out = append(out, p)
		}
	}
	return out, problems
}

func parseFile(s source, known func(string) bool) (*parsed, Problems) {
	spec, d := parseSpec(s.data)
	if spec != nil {
		(&validator{d: d, spec: spec, known: known}).validate()
	}
	if len(d.problems) > 0 {
		return nil, withFile(d.problems, s.file)
	}
	p := &parsed{file: s.file, embedded: s.embedded, spec: spec, dec: d}
	p.playbook = compile(spec, s.file)
	p.playbook.embedded = s.embedded
	return p, nil
}

func withFile(ps []Problem, file string) Problems {
	out := make(Problems, len(ps))
	for i, p := range ps {
		p.File = file
		out[i] = p
	}
	return out
}

// readDir reads the operator's playbook files.
func readDir(dir string) ([]source, Problems) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, Problems{{File: dir, Message: "cannot read the playbook directory: " + unwrapPathError(err)}}
	}
	var out []source
	var problems Problems
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		name := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(name)
		if err != nil {
			problems = append(problems, Problem{File: name, Message: "cannot read: " + unwrapPathError(err)})
			continue
		}
		out = append(out, source{file: name, data: data})
	}
	return out, problems
}

func unwrapPathError(err error) string {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// crossCheck finds names that two playbooks claim: a category or alias,
// a module name, or the generic slot.
func crossCheck(files []*parsed) Problems {
	var problems Problems
	names := map[string]claim{}
	modules := map[string]claim{}
	var generic *parsed
	for _, f := range files {
		if f.spec.Generic {
			if generic != nil {
				problems = append(problems, f.problem("generic", "another generic playbook is in "+generic.file))
			}
			generic = f
			continue
		}
		problems = append(problems, f.claimNames(names)...)
		problems = append(problems, f.claimModules(modules)...)
	}
	if generic == nil {
		problems = append(problems, Problem{File: "playbooks", Message: "no generic playbook (generic: true)"})
	}
	return problems
}

// claim records which file and field first used a name.
type claim struct {
	file  *parsed
	field string
}

func (f *parsed) claimNames(names map[string]claim) Problems {
	var problems Problems
	fields := []string{"category"}
	for i := range f.spec.Aliases {
		fields = append(fields, index("aliases", i))
	}
	for i, n := range append([]string{f.spec.Category}, f.spec.Aliases...) {
		problems = append(problems, f.claim(names, normalize(n), fields[i], strconv.Quote(n))...)
	}
	return problems
}

func (f *parsed) claimModules(modules map[string]claim) Problems {
	var problems Problems
	for i, m := range f.spec.Modules {
		problems = append(problems, f.claim(modules, moduleKey(m), index("modules", i), m)...)
	}
	return problems
}

func (f *parsed) claim(m map[string]claim, key, field, shown string) Problems {
	prev, taken := m[key]
	switch {
	case !taken:
		m[key] = claim{file: f, field: field}
		return nil
	case prev.file == f:
		return Problems{f.problem(field, fmt.Sprintf("%s repeats %s", shown, prev.field))}
	}
	return Problems{f.problem(field, fmt.Sprintf("%s is already used by %s (%s)", shown, prev.file.file, prev.field))}
}

func (f *parsed) problem(field, msg string) Problem {
	return Problem{File: f.file, Field: field, Line: f.dec.lineOf(field), Message: msg}
}

// compile turns a valid spec into a Playbook.
func compile(s *fileSpec, file string) *Playbook {
	p := &Playbook{
		Category: strings.TrimSpace(s.Category), Generic: s.Generic,
		Aliases: s.Aliases, Modules: s.Modules, Sources: s.Sources,
		Summary: strings.TrimSpace(s.Summary), Techniques: s.Techniques, File: file,
		Docs:      map[bot.Product]Doc{},
		queries:   map[bot.Product][]query{},
		responses: map[bot.Product][]Response{},
		steps:     s.Steps,
	}
	for _, pr := range s.Products {
		p.Products = append(p.Products, bot.Product(pr))
	}
	for _, r := range s.Review {
		p.Review = append(p.Review, compileReview(r))
	}
	for pr, qs := range s.Queries {
		for _, q := range qs {
			p.queries[bot.Product(pr)] = append(p.queries[bot.Product(pr)], compileQuery(q))
		}
	}
	for pr, rs := range s.Responses {
		for _, r := range rs {
			p.responses[bot.Product(pr)] = append(p.responses[bot.Product(pr)],
				Response{Action: r.Action, Suggested: r.Suggested, Label: ActionLabel(r.Action)})
		}
	}
	for pr, d := range s.Docs {
		p.Docs[bot.Product(pr)] = Doc(d)
	}
	return p
}

func compileReview(r reviewSpec) ReviewItem {
	item := ReviewItem{Label: strings.TrimSpace(r.Label), Value: r.Value, JSON: r.JSON, Why: strings.TrimSpace(r.Why), Optional: r.Optional}
	for _, pr := range r.Products {
		item.Products = append(item.Products, bot.Product(pr))
	}
	return item
}

func compileQuery(q querySpec) query {
	src := normalizeFilter(q.Filter)
	t, _ := parseTemplate(src) // validated already
	needs := append([]string{"project"}, t.needs()...)
	return query{src: src, title: strings.TrimSpace(q.Title), when: q.When, needs: dedupe(needs), tmpl: t}
}

func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// extraDocuments reports whether data holds more than one YAML document;
// only the first would be read, so the rest would be silently ignored.
func extraDocuments(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if dec.Decode(&n) != nil {
		return false
	}
	return !errors.Is(dec.Decode(&n), io.EOF)
}
