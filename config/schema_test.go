package config

import (
	"go/build"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// walkSchema calls visit for every field of t, recursively, with its path.
func walkSchema(t reflect.Type, path string, visit func(path string, f reflect.StructField)) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		p := strings.TrimPrefix(path+"."+name, ".")
		visit(p, f)
		walkSchema(f.Type, p, visit)
	}
}

// TestSchemaKeysAreNotSecrets keeps the secret check sound: it applies only
// to keys the schema does not know, so no schema key may look like a secret.
// A new field that does must be a reference to the secret (an environment
// variable's name), named so.
func TestSchemaKeysAreNotSecrets(t *testing.T) {
	walkSchema(reflect.TypeFor[Config](), "", func(path string, f reflect.StructField) {
		name := yamlName(f)
		if looksLikeSecretKey(name) {
			t.Errorf("%s: schema key looks like a secret", path)
		}
		if strings.HasPrefix(name, extensionPrefix) {
			t.Errorf("%s: schema key starts with %q, which marks ignored keys", path, extensionPrefix)
		}
		if name != strings.ToLower(name) {
			t.Errorf("%s: schema keys are snake_case", path)
		}
	})
}

// TestSchemaTypesAreDecodable checks that the decoder handles every type in
// the schema, so that a new field cannot fail only at run time.
func TestSchemaTypesAreDecodable(t *testing.T) {
	unmarshaler := reflect.TypeFor[yaml.Unmarshaler]()
	walkSchema(reflect.TypeFor[Config](), "", func(path string, f reflect.StructField) {
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if reflect.PointerTo(ft).Implements(unmarshaler) {
			return
		}
		switch ft.Kind() {
		case reflect.Struct, reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		case reflect.Map:
			if ft.Key().Kind() != reflect.String {
				t.Errorf("%s: map keys must be strings", path)
			}
		default:
			t.Errorf("%s: the decoder does not handle %s", path, ft)
		}
	})
}

// TestImports enforces the layering rule: config imports the standard
// library, a YAML decoder and the cron parser (so that digest schedules are
// parsed once, here), never another sccbot layer (only cmd/sccbot imports
// config, and it copies values into the adapters). The one exception is
// internal/editdist, a standard-library-only leaf that the /finding
// command shares for its "did you mean" hints.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	check := func(imports []string, allowed ...string) {
		for _, imp := range imports {
			first, _, _ := strings.Cut(imp, "/")
			if !strings.Contains(first, ".") || imp == "gopkg.in/yaml.v3" || slices.Contains(allowed, imp) {
				continue
			}
			t.Errorf("config imports %s", imp)
		}
	}
	check(pkg.Imports, "github.com/robfig/cron/v3", "github.com/sccbot/sccbot/internal/editdist")
	check(pkg.TestImports, "github.com/google/go-cmp/cmp")
	check(pkg.XTestImports, "github.com/google/go-cmp/cmp", "github.com/sccbot/sccbot/config")
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		key  string
		in   reflect.Type
		want string
	}{
		{"defaultChannel", reflect.TypeFor[Slack](), "default_channel"},
		{"default-channel", reflect.TypeFor[Slack](), "default_channel"},
		{"worker", reflect.TypeFor[Slack](), "workers"},
		{"post_intervall", reflect.TypeFor[Slack](), "post_interval"},
		{"severities", reflect.TypeFor[Match](), "severity"},
		{"severity", reflect.TypeFor[Route](), "match.severity"},
		{"subscription", reflect.TypeFor[Sources](), "pubsub.subscription"},
		{"slak", reflect.TypeFor[Config](), "slack"},
		{"zone", reflect.TypeFor[Match](), ""},
		{"completely_unrelated", reflect.TypeFor[Slack](), ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.key, tt.in); got != tt.want {
			t.Errorf("suggest(%q, %s) = %q, want %q", tt.key, tt.in, got, tt.want)
		}
	}
}

func TestShow(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HIGH", "HIGH"},
		{"xoxb-123-abc", "<redacted token>"},
		{" xapp-1-abc", "<redacted token>"},
		{strings.Repeat("a", 70), strings.Repeat("a", 64) + "…"},
		// A cut never splits a UTF-8 sequence.
		{strings.Repeat("a", 63) + "éééé", strings.Repeat("a", 63) + "…"},
	}
	for _, tt := range tests {
		if got := show(tt.in); got != tt.want {
			t.Errorf("show(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParentPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"routes[1].match.severity[0]", "routes[1].match.severity"},
		{"routes[1].match.severity", "routes[1].match"},
		{"routes[1]", "routes"},
		{"routes", ""},
	}
	for _, tt := range tests {
		if got := parentPath(tt.in); got != tt.want {
			t.Errorf("parentPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckFilter(t *testing.T) {
	tests := []struct{ in, want string }{
		{`state="ACTIVE"`, ""},
		{``, ""},
		{`state="ACTIVE" AND (category="a" OR category="b")`, ""},
		{`category="quote \" and ( inside"`, ""},
		{`state="ACTIVE`, "unterminated string: a double quote is missing"},
		{`(state="ACTIVE"`, "unbalanced parentheses"},
		{`state="ACTIVE")(`, "unbalanced parentheses"},
	}
	for _, tt := range tests {
		if got := checkFilter(tt.in); got != tt.want {
			t.Errorf("checkFilter(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
