package sccfake

import (
	"fmt"
	"strings"
)

// The filter language subset of ListFindings:
//
//	filter      = [ conj ]
//	conj        = disj { "AND" disj }
//	disj        = unary { "OR" unary }        (OR binds tighter than AND)
//	unary       = ( "-" | "NOT" ) unary | primary
//	primary     = "(" conj ")" | restriction
//	restriction = field op value              op: = : > < >= <=
//
// Anything else is an error, which the server returns as InvalidArgument,
// so that a test catches a filter the real API would treat differently.

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokWord
	tokString
	tokOp
	tokLParen
	tokRParen
)

type token struct {
	kind tokenKind
	text string
	pos  int
}

// lex splits a filter into tokens. Words run until whitespace, a quote, a
// parenthesis or an operator character.
func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", pos: i})
			i++
		case c == '"':
			text, n, err := lexString(s[i:])
			if err != nil {
				return nil, fmt.Errorf("at %d: %w", i, err)
			}
			toks = append(toks, token{kind: tokString, text: text, pos: i})
			i += n
		case strings.IndexByte("=:<>!", c) >= 0:
			n := 1
			if i+1 < len(s) && s[i+1] == '=' && c != '=' && c != ':' {
				n = 2
			}
			toks = append(toks, token{kind: tokOp, text: s[i : i+n], pos: i})
			i += n
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()\"=:<>!", rune(s[j])) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: s[i:j], pos: i})
			i = j
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

// lexString reads a double-quoted literal with \" and \\ escapes and
// returns its value and length.
func lexString(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("unterminated escape")
			}
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

type parser struct {
	toks []token
	i    int
	// allow, if set, limits the fields a restriction may name (a mute
	// config's filter supports fewer than ListFindings').
	allow func(field string) bool
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tokWord && t.text == w
}

// parseFilter compiles a filter; the empty filter matches everything.
func parseFilter(s string) (node, error) { return parseFilterOf(s, nil) }

// parseFilterOf compiles a filter whose restrictions name only fields
// allow accepts (any field the evaluator knows if allow is nil).
func parseFilterOf(s string, allow func(field string) bool) (node, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, allow: allow}
	if p.peek().kind == tokEOF {
		return matchAll{}, nil
	}
	n, err := p.conj()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %q at %d (restrictions must be joined with AND or OR)", t.text, t.pos)
	}
	return n, nil
}

func (p *parser) conj() (node, error) {
	left, err := p.disj()
	for err == nil && p.isWord("AND") {
		p.next()
		var right node
		right, err = p.disj()
		left = and{left, right}
	}
	return left, err
}

func (p *parser) disj() (node, error) {
	left, err := p.unary()
	for err == nil && p.isWord("OR") {
		p.next()
		var right node
		right, err = p.unary()
		left = or{left, right}
	}
	return left, err
}

func (p *parser) unary() (node, error) {
	t := p.peek()
	switch {
	case t.kind == tokWord && (t.text == "NOT" || t.text == "-"):
		p.next()
		n, err := p.unary()
		return not{n}, err
	case t.kind == tokWord && strings.HasPrefix(t.text, "-"):
		// -field=value: the minus is glued to the field name.
		p.toks[p.i].text = t.text[1:]
		n, err := p.primary()
		return not{n}, err
	}
	return p.primary()
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		n, err := p.conj()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, fmt.Errorf("missing ) at %d", c.pos)
		}
		return n, nil
	case tokWord:
		return p.restriction(t)
	}
	return nil, fmt.Errorf("unexpected %q at %d", t.text, t.pos)
}

func (p *parser) restriction(field token) (node, error) {
	if field.text == "AND" || field.text == "OR" {
		return nil, fmt.Errorf("unexpected %s at %d", field.text, field.pos)
	}
	if p.allow != nil && !p.allow(field.text) {
		return nil, fmt.Errorf("field %q is not supported here", field.text)
	}
	op := p.next()
	if op.kind != tokOp {
		return nil, fmt.Errorf("expected an operator after %q at %d", field.text, op.pos)
	}
	val := p.next()
	if val.kind != tokString && val.kind != tokWord {
		return nil, fmt.Errorf("expected a value after %s%s at %d", field.text, op.text, val.pos)
	}
	return newRestriction(field.text, op.text, val.text)
}
