package playbooks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// A template is a filter with placeholders, parsed once at load time. It is
// the only path from a finding value to a filter: render quotes every
// value, and parsing refuses a placeholder inside a quoted string, where
// quoting could not protect it.
type template struct {
	segs []segment
}

// segment is literal text (name == "") or a placeholder.
type segment struct {
	lit  string
	name string
	// arg is the log name suffix of {{logname:SUFFIX}}.
	arg string
}

// filterPlaceholders are the finding values a filter may name.
var filterPlaceholders = []string{
	"project", "location", "cluster", "namespace", "pod", "container", "node",
	"service", "revision", "job", "execution", "resource", "resource_path",
	"binary", "image",
}

// lognamePlaceholder composes "projects/PROJECT/logs/SUFFIX" into one literal.
const lognamePlaceholder = "logname"

// logSuffix is what may follow "logs/" in a log name: the URL-encoded log id
// of Cloud Logging (cloudaudit.googleapis.com%2Factivity).
var logSuffix = regexp.MustCompile(`^[A-Za-z0-9._%-]+$`)

func isFilterPlaceholder(name string) bool { return slices.Contains(filterPlaceholders, name) }

// parseTemplate splits s into literals and placeholders.
func parseTemplate(s string) (template, error) {
	var t template
	inQuote, lit := false, strings.Builder{}
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], "{{") {
			seg, n, err := parsePlaceholder(s[i:], inQuote)
			if err != nil {
				return template{}, err
			}
			t.add(lit.String(), seg)
			lit.Reset()
			i += n - 1
			continue
		}
		c := s[i]
		lit.WriteByte(c)
		switch {
		case inQuote && c == '\n':
			return template{}, fmt.Errorf("line %d: unbalanced quotes", strings.Count(s[:i], "\n")+1)
		case inQuote && c == '\\' && i+1 < len(s):
			i++
			lit.WriteByte(s[i])
		case c == '"':
			inQuote = !inQuote
		}
	}
	if inQuote {
		return template{}, fmt.Errorf("line %d: unbalanced quotes", strings.Count(s, "\n")+1)
	}
	t.add(lit.String(), segment{})
	return t, nil
}

func (t *template) add(lit string, seg segment) {
	if lit != "" {
		t.segs = append(t.segs, segment{lit: lit})
	}
	if seg.name != "" {
		t.segs = append(t.segs, seg)
	}
}

// parsePlaceholder reads "{{name}}" or "{{logname:SUFFIX}}" at the start of
// s and returns it with the number of bytes it took.
func parsePlaceholder(s string, inQuote bool) (segment, int, error) {
	end := strings.Index(s, "}}")
	if end < 0 {
		return segment{}, 0, fmt.Errorf("unclosed placeholder %s", cut(s, 24))
	}
	raw := s[:end+2]
	if inQuote {
		return segment{}, 0, fmt.Errorf("placeholder %s inside a quoted string: write it unquoted, the bot quotes the value", raw)
	}
	inner := strings.TrimSpace(s[2:end])
	name, arg, hasArg := strings.Cut(inner, ":")
	switch {
	case name == lognamePlaceholder && hasArg && logSuffix.MatchString(arg):
		return segment{name: name, arg: arg}, len(raw), nil
	case name == lognamePlaceholder:
		return segment{}, 0, fmt.Errorf("placeholder %s needs a log id such as {{logname:cloudaudit.googleapis.com%%2Factivity}}", raw)
	case !hasArg && isFilterPlaceholder(name):
		return segment{name: name}, len(raw), nil
	}
	return segment{}, 0, fmt.Errorf("unknown placeholder %s", raw)
}

// needs returns the finding values the template uses, in order, once each.
func (t template) needs() []string {
	var out []string
	for _, s := range t.segs {
		n := s.name
		if n == lognamePlaceholder {
			n = "project"
		}
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// render fills the placeholders with quote(value). Values are taken as they
// are; the caller has checked that the ones it needs are present.
func (t template) render(vals values, quote func(string) string) string {
	var b strings.Builder
	for _, s := range t.segs {
		switch s.name {
		case "":
			b.WriteString(s.lit)
		case lognamePlaceholder:
			b.WriteString(quote("projects/" + vals["project"] + "/logs/" + s.arg))
		default:
			b.WriteString(quote(vals[s.name]))
		}
	}
	return b.String()
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
