package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Load parses a configuration file's contents strictly, applies defaults
// and validates the result. When anything is wrong the error is a Problems
// listing every problem, in file order.
func Load(data []byte) (*Config, error) {
	root, err := parse(data)
	if err != nil {
		return nil, err
	}
	r := newReport()
	cfg := new(Config)
	cfg.setDefaults()
	if root != nil {
		d := decoder{r: r}
		d.decode(root, reflect.ValueOf(cfg).Elem(), "")
	}
	validate(r, cfg)
	if ps := r.sorted(); len(ps) > 0 {
		return nil, ps
	}
	return cfg, nil
}

// LoadFile reads and loads the file at path. Problems in the file are
// returned as Problems, unwrapped, so that the caller can print them one per
// line under the file's name.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Load(data)
}

// parse reads the single YAML document in data. It returns a nil node for
// an empty file, which then fails validation like any file missing its
// required keys.
func parse(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, Problems{syntaxProblem(err)}
	}
	if p, ok := secondDocument(dec); ok {
		return nil, Problems{p}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// secondDocument reports a second document with content after the first:
// sccbot would silently ignore it. A trailing "---" alone is harmless.
func secondDocument(dec *yaml.Decoder) (Problem, bool) {
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		switch {
		case errors.Is(err, io.EOF):
			return Problem{}, false
		case err != nil:
			return syntaxProblem(err), true
		case len(next.Content) > 0 && !isNull(next.Content[0]):
			return Problem{Line: next.Line, Message: "a second YAML document: the file must hold exactly one"}, true
		}
	}
}

var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem turns yaml.v3's "yaml: line 3: message" into a Problem with
// a line, like every other problem.
func syntaxProblem(err error) Problem {
	m := yamlErrorLine.FindStringSubmatch(err.Error())
	if m == nil {
		return Problem{Message: "not valid YAML: " + err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	return Problem{Line: line, Message: "not valid YAML: " + m[2]}
}
