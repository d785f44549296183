package config

import (
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sccbot/sccbot/internal/editdist"
)

// decodeScalar stores a scalar into a string, integer, float or bool. An
// explicit null ("workers:" with nothing after it) stores the zero value,
// which validation then judges like any other value.
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.r.at(n.Line, path, "want %s, got %s", typeName(v.Type()), kindName(n))
		return
	}
	if isNull(n) {
		v.SetZero()
		return
	}
	if !decodableAs(n, v.Kind()) {
		d.r.at(n.Line, path, "%s is not %s%s", quote(n.Value), typeName(v.Type()), quotedHint(n, v.Kind()))
		return
	}
	// Node.Decode handles YAML's spellings (0x1F, 1_000, True); the tag
	// check above keeps it from turning "16" (quoted) into a number.
	p := reflect.New(v.Type())
	if err := n.Decode(p.Interface()); err != nil {
		d.r.at(n.Line, path, "%s is not %s", quote(n.Value), typeName(v.Type()))
		return
	}
	v.Set(p.Elem())
}

func decodableAs(n *yaml.Node, k reflect.Kind) bool {
	tag := n.ShortTag()
	switch k {
	case reflect.String:
		return tag != "!!binary"
	case reflect.Bool:
		return tag == "!!bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return tag == "!!int"
	case reflect.Float32, reflect.Float64:
		return tag == "!!int" || tag == "!!float"
	}
	return false
}

// quotedHint explains `workers: "16"`: the quotes make it a string.
func quotedHint(n *yaml.Node, k reflect.Kind) string {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		return ""
	}
	plain := &yaml.Node{Kind: yaml.ScalarNode, Value: n.Value}
	if !decodableAs(plain, k) {
		return ""
	}
	return ": remove the quotes"
}

// typeName names a Go type the way an operator thinks of YAML values.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Pointer:
		return typeName(t.Elem())
	}
	return "a mapping"
}

// kindName describes what the file holds where something else was wanted.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return quote(n.Value)
	}
	return "something else"
}

// fieldsOf maps the yaml names of a struct's fields to their indexes.
func fieldsOf(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			fields[name] = i
		}
	}
	return fields
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return name
}

// suggest finds the key the operator probably meant: a key of t that
// differs only in case and separators, or by a few typos, or a key of a
// child section (`severity` written directly under a route instead of under
// its match).
func suggest(key string, t reflect.Type) string {
	best, bestDist := "", max(2, len(key)/3)+1
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		if fold(name) == fold(key) {
			return name
		}
		if dist := editdist.Distance(key, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best != "" {
		return best
	}
	for i := range t.NumField() {
		ft := t.Field(i).Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct || yamlName(t.Field(i)) == "" {
			continue
		}
		if _, ok := fieldsOf(ft)[key]; ok {
			return yamlName(t.Field(i)) + "." + key
		}
	}
	return ""
}

// fold lower-cases s and drops separators: "defaultChannel" and
// "default-channel" both fold to "defaultchannel".
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}
