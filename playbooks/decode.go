package playbooks

import (
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fileSpec is one playbook file as written. The decoder below fills it
// strictly: every key must be one of these, every value of the right shape.
type fileSpec struct {
	Category   string                    `yaml:"category"`
	Generic    bool                      `yaml:"generic"`
	Aliases    []string                  `yaml:"aliases"`
	Modules    []string                  `yaml:"modules"`
	Sources    []string                  `yaml:"sources"`
	Products   []string                  `yaml:"products"`
	Summary    string                    `yaml:"summary"`
	Review     []reviewSpec              `yaml:"review"`
	Queries    map[string][]querySpec    `yaml:"queries"`
	Techniques []string                  `yaml:"techniques"`
	Responses  map[string][]responseSpec `yaml:"responses"`
	Docs       map[string]docSpec        `yaml:"docs"`
	Steps      map[string][]string       `yaml:"steps"`
}

type reviewSpec struct {
	Label    string   `yaml:"label"`
	Value    string   `yaml:"value"`
	JSON     string   `yaml:"json"`
	Why      string   `yaml:"why"`
	Optional bool     `yaml:"optional"`
	Products []string `yaml:"products"`
}

type querySpec struct {
	Title  string `yaml:"title"`
	When   string `yaml:"when"`
	Filter string `yaml:"filter"`
}

type responseSpec struct {
	Action    string `yaml:"action"`
	Suggested bool   `yaml:"suggested"`
}

type docSpec struct {
	URL      string `yaml:"url"`
	Verified bool   `yaml:"verified"`
}

// decoder fills a fileSpec from a YAML node tree. yaml.v3's KnownFields
// stops at the first unknown key and reports no path; walking the tree here
// reports every problem with its path and line, and remembers the line of
// every path so that validation, which works on Go values, can point at the
// right place too.
type decoder struct {
	lines    map[string]int
	flagged  map[string]bool
	problems []Problem
}

func (d *decoder) errorf(line int, path, msg string) {
	d.flagged[path] = true
	d.problems = append(d.problems, Problem{Field: path, Line: line, Message: msg})
}

// decode stores n into v, which must be addressable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = n.Line
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty key leaves the zero value; validation decides
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "expected a mapping, found "+kindName(n))
		return
	}
	fields := fieldsByTag(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := joinKey(path, k.Value)
		idx, ok := fields[k.Value]
		switch {
		case !ok:
			d.errorf(k.Line, p, "unknown key")
		case seen[k.Value]:
			d.errorf(k.Line, p, "key given twice")
		default:
			seen[k.Value] = true
			d.lines[p] = k.Line
			d.decode(val, v.Field(idx), p)
		}
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, path, "expected a list, found "+kindName(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, out.Index(i), path+"["+strconv.Itoa(i)+"]")
	}
	v.Set(out)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "expected a mapping, found "+kindName(n))
		return
	}
	out := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := joinKey(path, k.Value)
		if out.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.errorf(k.Line, p, "key given twice")
			continue
		}
		d.lines[p] = k.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, p)
		out.SetMapIndex(reflect.ValueOf(k.Value), elem)
	}
	v.Set(out)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n.Line, path, "expected a single value, found "+kindName(n))
		return
	}
	if v.Kind() == reflect.Bool {
		b, err := strconv.ParseBool(n.Value)
		if n.Tag != "!!bool" || err != nil {
			d.errorf(n.Line, path, "expected true or false, found "+strconv.Quote(n.Value))
			return
		}
		v.SetBool(b)
		return
	}
	v.SetString(n.Value)
}

func fieldsByTag(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		m[name] = i
	}
	return m
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// joinKey appends a mapping key to a path; keys that are not plain words
// are quoted so that a path stays unambiguous.
func joinKey(path, key string) string {
	if !isWord(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// lineOf returns the line of path, or of its nearest ancestor in the file
// when the key itself is missing.
func (d *decoder) lineOf(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if line, ok := d.lines[p]; ok {
			return line
		}
	}
	return 0
}

// parentPath strips the last element of a path: "a.b[2]" → "a.b".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// parseSpec decodes one playbook file. It reports YAML syntax errors and
// shape errors; the rules about values are in validate.go.
func parseSpec(data []byte) (*fileSpec, *decoder) {
	d := &decoder{lines: map[string]int{}, flagged: map[string]bool{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d.errorf(yamlErrorLine(err), "", "invalid YAML: "+yamlErrorText(err))
		return nil, d
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errorf(0, "", "the file is empty")
		return nil, d
	}
	if extraDocuments(data) {
		d.errorf(0, "", "more than one YAML document: put one playbook in each file")
		return nil, d
	}
	spec := &fileSpec{}
	d.decode(doc.Content[0], reflect.ValueOf(spec).Elem(), "")
	return spec, d
}

// yamlErrorLine pulls the line out of yaml.v3's "yaml: line N: ..." text.
func yamlErrorLine(err error) int {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(s, "line ")
	if !ok {
		return 0
	}
	num, _, _ := strings.Cut(rest, ":")
	n, _ := strconv.Atoi(num)
	return n
}

func yamlErrorText(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(s, "line "); ok {
		if _, msg, ok := strings.Cut(rest, ": "); ok {
			return msg
		}
	}
	return s
}
