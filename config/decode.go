package config

import (
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// extensionPrefix starts top-level keys that sccbot ignores, so that YAML
// anchors shared by several routes have somewhere to live (the convention of
// Compose files). Secrets are still refused there.
const extensionPrefix = "x-"

// decoder fills a Config from a YAML node tree, reporting every unknown key
// and every value of the wrong type with its path and line. yaml.v3's own
// strict mode (KnownFields) stops at the first unknown key and does not say
// where it is in the tree, so the walk is done here, against the structs'
// yaml tags.
type decoder struct{ r *report }

// decode stores n into v, which must be addressable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && looksLikeToken(n.Value) {
		d.r.at(n.Line, path, "%s", secretValueMessage(n.Value))
		return
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := u.UnmarshalYAML(n); err != nil {
			d.r.at(n.Line, path, "%s", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(newValue(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
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

// resolve follows aliases, so that anchors can be reused anywhere.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// newValue returns a pointer to a new T, with T's defaults when it has any.
// It is how a section that is present in the file (sources.poll, a route)
// gets its defaults before the file's values are decoded over them.
func newValue(t reflect.Type) reflect.Value {
	p := reflect.New(t)
	if dv, ok := p.Interface().(defaulter); ok {
		dv.setDefaults()
	}
	return p
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return // "slack:" with nothing under it: keep the defaults
	}
	if n.Kind != yaml.MappingNode {
		d.r.at(n.Line, path, "want a mapping, got %s", kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	// Merge keys ("<<: *defaults") go first so that keys written
	// alongside them override them, as YAML specifies.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMerge(n.Content[i]) {
			d.decodeMerge(n.Content[i+1], v, path)
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMerge(k) || !d.checkKey(k, path, seen) {
			continue
		}
		idx, ok := fields[k.Value]
		if !ok && path == "" && strings.HasPrefix(k.Value, extensionPrefix) {
			d.scanSecrets(val, joinKey(path, k.Value))
			continue
		}
		if !ok {
			d.unknownKey(k, val, v.Type(), path)
			continue
		}
		fpath := joinKey(path, k.Value)
		d.r.lines[fpath] = k.Line
		if d.commentedValue(k, val, fpath) {
			continue
		}
		d.decode(val, v.Field(idx), fpath)
	}
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

// decodeMerge decodes the mapping, or list of mappings, of a merge key.
func (d *decoder) decodeMerge(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		d.decodeStruct(n, v, path)
		return
	}
	for _, m := range n.Content {
		d.decodeStruct(resolve(m), v, path)
	}
}

// checkKey reports keys that are not plain strings and duplicate keys,
// which yaml.v3 accepts in a node tree and would otherwise let the last one
// win silently.
func (d *decoder) checkKey(k *yaml.Node, path string, seen map[string]int) bool {
	if k.Kind != yaml.ScalarNode {
		d.r.at(k.Line, path, "keys must be plain strings, got %s", kindName(k))
		return false
	}
	if first, dup := seen[k.Value]; dup {
		d.r.at(k.Line, joinKey(path, k.Value), "duplicate key (first at line %d)", first)
		return false
	}
	seen[k.Value] = k.Line
	return true
}

// wordComment is a line comment that is a single word, like "#general".
var wordComment = regexp.MustCompile(`^#[^\s#]+$`)

// commentedValue catches `channel: #general`: YAML reads "#general" as a
// comment and the value as empty. Reporting "required" would leave the
// operator staring at a line that plainly has a value.
func (d *decoder) commentedValue(k, val *yaml.Node, path string) bool {
	if !isNull(val) || !wordComment.MatchString(k.LineComment) {
		return false
	}
	d.r.at(k.Line, path, "empty: YAML reads %s as a comment; quote it: %s: \"%s\"", show(k.LineComment), k.Value, show(k.LineComment))
	return true
}

func (d *decoder) unknownKey(k, val *yaml.Node, t reflect.Type, path string) {
	kpath := joinKey(path, k.Value)
	if msg, ok := secretKey(path, k.Value); ok {
		d.r.at(k.Line, kpath, "%s", msg)
		return
	}
	msg := "unknown key"
	if s := suggest(k.Value, t); s != "" {
		msg += " (did you mean \"" + s + "\"?)"
		// The key probably holds the value of the suggested one; saying
		// that one is missing too would be noise.
		d.r.flagged[strings.TrimPrefix(path+"."+s, ".")] = true
	}
	d.r.at(k.Line, kpath, "%s", msg)
	d.scanSecrets(val, kpath)
}

// scanSecrets reports secret-looking keys and Slack tokens inside an unknown
// section, such as pagerduty.routing_key: the operator should learn where the secret goes,
// not only that "pagerduty" is unknown. Aliases are not followed, so a
// hostile file cannot make the scan expand exponentially.
func (d *decoder) scanSecrets(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			kpath := joinKey(path, k.Value)
			if msg, ok := secretKey(path, k.Value); ok && k.Kind == yaml.ScalarNode {
				d.r.at(k.Line, kpath, "%s", msg)
				continue
			}
			d.scanSecrets(n.Content[i+1], kpath)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			d.scanSecrets(item, joinIndex(path, i))
		}
	case yaml.ScalarNode:
		if looksLikeToken(n.Value) {
			d.r.at(n.Line, path, "%s", secretValueMessage(n.Value))
		}
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String {
		d.r.at(n.Line, path, "want a list, got %s: write [%s]", kindName(n), show(n.Value))
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.r.at(n.Line, path, "want a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, item := range n.Content {
		ipath := joinIndex(path, i)
		d.r.lines[ipath] = item.Line
		e := newValue(v.Type().Elem())
		d.decode(item, e.Elem(), ipath)
		s = reflect.Append(s, e.Elem())
	}
	v.Set(s)
}

// decodeMap decodes a mapping with string keys. No section uses one yet; it
// is here so that one can be added without touching the decoder.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode || v.Type().Key().Kind() != reflect.String {
		d.r.at(n.Line, path, "want a mapping, got %s", kindName(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.checkKey(k, path, seen) {
			continue
		}
		kpath := joinKey(path, k.Value)
		d.r.lines[kpath] = k.Line
		e := newValue(v.Type().Elem())
		d.decode(val, e.Elem(), kpath)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e.Elem())
	}
	v.Set(m)
}
