package playbooks

import (
	"errors"
	"fmt"
	"strings"
)

// A filter in a playbook is a list of restrictions, one a line, which
// Cloud Logging joins with AND. checkFilter holds a rendered filter to that
// shape, so that a template cannot smuggle an OR between lines and a value
// can be seen to sit inside one literal:
//
//	restriction = ["NOT " | "-"] field op value
//	field       = part {"." part}      part = identifier | "quoted"
//	op          = "=" | "!=" | ":" | "=~" | "!~" | ">=" | "<=" | ">" | "<"
//	value       = literal | "(" literal {(" OR " | " AND ") literal} ")"
//	literal     = "quoted" | bare word of letters, digits and _.-*/:

// restriction is one parsed line of a filter.
type restriction struct {
	Field string
	Op    string
	// Values are the literals as written: quoted ones keep their quotes.
	Values []string
}

var filterOps = []string{"=~", "!~", "!=", ">=", "<=", "=", ":", ">", "<"}

// checkFilter reports the first line of f that is not one restriction.
func checkFilter(f string) error {
	if strings.TrimSpace(f) == "" {
		return errors.New("the filter is empty")
	}
	for i, line := range strings.Split(f, "\n") {
		if _, err := parseRestriction(line); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	return nil
}

func parseRestriction(line string) (restriction, error) {
	s := strings.TrimSpace(line)
	if s == "" {
		return restriction{}, errors.New("empty line")
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "NOT "), "-")
	field, rest, err := scanField(s)
	if err != nil {
		return restriction{}, err
	}
	op, rest, err := scanOp(strings.TrimLeft(rest, " "))
	if err != nil {
		return restriction{}, err
	}
	vals, rest, err := scanValue(strings.TrimLeft(rest, " "))
	if err != nil {
		return restriction{}, err
	}
	if strings.TrimSpace(rest) != "" {
		return restriction{}, fmt.Errorf("unexpected %q after the value: one restriction a line", cut(strings.TrimSpace(rest), 24))
	}
	return restriction{Field: field, Op: op, Values: vals}, nil
}

// scanField reads a dotted field name whose parts are identifiers or
// quoted strings (labels."compute.googleapis.com/resource_name").
func scanField(s string) (field, rest string, err error) {
	i := 0
	for {
		var n int
		if i < len(s) && s[i] == '"' {
			n, err = quotedLen(s[i:])
			if err != nil {
				return "", "", err
			}
		} else {
			n = identLen(s[i:])
		}
		if n == 0 {
			return "", "", fmt.Errorf("expected a field name at %q", cut(s[i:], 24))
		}
		i += n
		if i >= len(s) || s[i] != '.' {
			return s[:i], s[i:], nil
		}
		i++
	}
}

func identLen(s string) int {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '_' || (i > 0 && s[i] == '-')) {
		i++
	}
	return i
}

func scanOp(s string) (op, rest string, err error) {
	for _, op := range filterOps {
		if strings.HasPrefix(s, op) {
			return op, s[len(op):], nil
		}
	}
	return "", "", fmt.Errorf("expected a comparison (=, !=, :, =~, ...) at %q", cut(s, 24))
}

func scanValue(s string) (vals []string, rest string, err error) {
	if !strings.HasPrefix(s, "(") {
		v, rest, err := scanLiteral(s)
		return []string{v}, rest, err
	}
	rest = strings.TrimLeft(s[1:], " ")
	for {
		var v string
		if v, rest, err = scanLiteral(rest); err != nil {
			return nil, "", err
		}
		vals = append(vals, v)
		rest = strings.TrimLeft(rest, " ")
		if after, ok := strings.CutPrefix(rest, ")"); ok {
			return vals, after, nil
		}
		after, ok := cutAnyPrefix(rest, "OR ", "AND ")
		if rest == "" {
			return nil, "", errors.New("unbalanced parentheses")
		}
		if !ok {
			return nil, "", fmt.Errorf("expected OR, AND or ) at %q", cut(rest, 24))
		}
		rest = strings.TrimLeft(after, " ")
	}
}

func scanLiteral(s string) (lit, rest string, err error) {
	if strings.HasPrefix(s, `"`) {
		n, err := quotedLen(s)
		if err != nil {
			return "", "", err
		}
		return s[:n], s[n:], nil
	}
	i := 0
	for i < len(s) && (isAlnum(s[i]) || strings.IndexByte("_.-*/:", s[i]) >= 0) {
		i++
	}
	if i == 0 {
		return "", "", fmt.Errorf("expected a value at %q", cut(s, 24))
	}
	return s[:i], s[i:], nil
}

// quotedLen returns the length of the double-quoted literal at the start
// of s, backslash escapes included.
func quotedLen(s string) (int, error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errors.New("unbalanced quotes")
}

func cutAnyPrefix(s string, prefixes ...string) (string, bool) {
	for _, p := range prefixes {
		if after, ok := strings.CutPrefix(s, p); ok {
			return after, true
		}
	}
	return s, false
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
