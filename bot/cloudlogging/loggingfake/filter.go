package loggingfake

import (
	"fmt"
	"strings"

	"cloud.google.com/go/logging/apiv2/loggingpb"
)

// The subset of the Logging query language the fake evaluates:
//
//	filter      = [ restriction { [ "AND" ] restriction } ]   (whitespace and newlines are an implicit AND)
//	restriction = field op value
//	field       = name { "." ( name | string ) }               e.g. labels."k8s-pod/app"
//	op          = "=" | "!=" | ":" | ">=" | "<=" | ">" | "<"
//	value       = string | bare word
//	string      = '"' { char | "\" char } '"'                  (\X stands for X, so \" and \\ work)
//
// OR, NOT, "-", parentheses, regular expressions, comments and global text
// search are rejected, as are unknown fields and operators a field does not
// support, so that a test catches a filter the real API would read
// differently from what its author meant.

// Restriction is one parsed comparison, with the quotes and escapes of the
// field path and the value removed.
type Restriction struct {
	Path  []string
	Op    string
	Value string
}

// Filter is a compiled filter: all its restrictions must hold.
type Filter struct {
	restrictions []Restriction
	matchers     []matcher
}

// matcher reports whether an entry satisfies one restriction.
type matcher func(e *loggingpb.LogEntry) bool

// ParseFilter compiles a filter; the empty filter matches every entry.
func ParseFilter(filter string) (*Filter, error) {
	p := &scanner{s: filter}
	f := &Filter{}
	for {
		p.skipSpace()
		if p.eof() {
			return f, nil
		}
		if err := p.connective(len(f.restrictions) > 0); err != nil {
			return nil, err
		}
		r, err := p.restriction()
		if err != nil {
			return nil, err
		}
		m, err := compile(r)
		if err != nil {
			return nil, err
		}
		f.restrictions = append(f.restrictions, r)
		f.matchers = append(f.matchers, m)
	}
}

// Restrictions returns copies of the filter's restrictions, in order.
func (f *Filter) Restrictions() []Restriction {
	out := make([]Restriction, len(f.restrictions))
	for i, r := range f.restrictions {
		out[i] = Restriction{Path: append([]string(nil), r.Path...), Op: r.Op, Value: r.Value}
	}
	return out
}

// Match reports whether e satisfies every restriction.
func (f *Filter) Match(e *loggingpb.LogEntry) bool {
	for _, m := range f.matchers {
		if !m(e) {
			return false
		}
	}
	return true
}

type scanner struct {
	s string
	i int
}

func (p *scanner) eof() bool { return p.i >= len(p.s) }

func (p *scanner) skipSpace() {
	for !p.eof() && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *scanner) skipBlank() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// keyword consumes w if it is a whole word at the position.
func (p *scanner) keyword(w string) bool {
	rest := p.s[p.i:]
	if !strings.HasPrefix(rest, w) || (len(rest) > len(w) && !isSpace(rest[len(w)]) && rest[len(w)] != '(') {
		return false
	}
	p.i += len(w)
	return true
}

// connective reads an optional AND between restrictions and rejects the
// operators the fake does not evaluate.
func (p *scanner) connective(afterRestriction bool) error {
	start := p.i
	for _, w := range [...]string{"OR", "NOT"} {
		if p.keyword(w) {
			return fmt.Errorf("%s at %d is not supported by loggingfake (only AND-ed restrictions)", w, start)
		}
	}
	if !p.keyword("AND") {
		return nil
	}
	if !afterRestriction {
		return fmt.Errorf("unexpected AND at %d", start)
	}
	p.skipSpace()
	if p.eof() {
		return fmt.Errorf("the filter ends with AND")
	}
	return p.connective(false)
}

func (p *scanner) restriction() (Restriction, error) {
	path, err := p.field()
	if err != nil {
		return Restriction{}, err
	}
	p.skipBlank()
	op, err := p.operator(path)
	if err != nil {
		return Restriction{}, err
	}
	p.skipBlank()
	val, err := p.value(path, op)
	if err != nil {
		return Restriction{}, err
	}
	if !p.eof() && !isSpace(p.s[p.i]) {
		return Restriction{}, fmt.Errorf("unexpected %q at %d after a restriction", p.s[p.i], p.i)
	}
	return Restriction{Path: path, Op: op, Value: val}, nil
}

// field reads a dotted path whose first segment is a name.
func (p *scanner) field() ([]string, error) {
	switch c := p.s[p.i]; {
	case c == '-':
		return nil, fmt.Errorf("negation or comment at %d is not supported by loggingfake", p.i)
	case c == '(' || c == ')':
		return nil, fmt.Errorf("parentheses at %d are not supported by loggingfake", p.i)
	case c == '"' || !isNameByte(c):
		return nil, fmt.Errorf("expected a field name at %d (global text search is not supported)", p.i)
	}
	var path []string
	for {
		seg, err := p.segment()
		if err != nil {
			return nil, err
		}
		path = append(path, seg)
		if p.eof() || p.s[p.i] != '.' {
			return path, nil
		}
		p.i++
	}
}

func (p *scanner) segment() (string, error) {
	if !p.eof() && p.s[p.i] == '"' {
		return p.quoted()
	}
	start := p.i
	for !p.eof() && isNameByte(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		return "", fmt.Errorf("expected a field name at %d", start)
	}
	return p.s[start:p.i], nil
}

func (p *scanner) operator(path []string) (string, error) {
	rest := p.s[p.i:]
	for _, op := range [...]string{"=~", "!~"} {
		if strings.HasPrefix(rest, op) {
			return "", fmt.Errorf("regular expression operator %s at %d is not supported by loggingfake", op, p.i)
		}
	}
	for _, op := range [...]string{">=", "<=", "!=", "=", ":", ">", "<"} {
		if strings.HasPrefix(rest, op) {
			p.i += len(op)
			return op, nil
		}
	}
	return "", fmt.Errorf("expected an operator after %s at %d", strings.Join(path, "."), p.i)
}

func (p *scanner) value(path []string, op string) (string, error) {
	if !p.eof() && p.s[p.i] == '"' {
		return p.quoted()
	}
	start := p.i
	for !p.eof() && !isSpace(p.s[p.i]) && strings.IndexByte(`"()`, p.s[p.i]) < 0 {
		p.i++
	}
	v := p.s[start:p.i]
	switch v {
	case "", "AND", "OR", "NOT":
		return "", fmt.Errorf("expected a value after %s%s at %d", strings.Join(path, "."), op, start)
	}
	return v, nil
}

// quoted reads a double-quoted literal; a backslash makes the next byte
// literal.
func (p *scanner) quoted() (string, error) {
	start := p.i
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; c {
		case '"':
			p.i++
			return b.String(), nil
		case '\\':
			if p.i+1 >= len(p.s) {
				return "", fmt.Errorf("unterminated escape in the string at %d", start)
			}
			p.i++
			b.WriteByte(p.s[p.i])
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated string at %d", start)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameByte(c byte) bool {
	return c == '_' || c == '@' || c == '-' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}
