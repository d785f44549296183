package findingcmd

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a command.
type token struct {
	text string
	// plain is how many leading bytes of text came from outside quotes:
	// only they can hold a filter's key, so "severity=HIGH" in quotes is
	// a word, not a filter.
	plain  int
	quoted bool
	// link is set when the word holds Slack markup (<https://…|label>,
	// <@U123>, <#C123>): fine in a reason, refused where an id is due.
	link bool
	// commas are the offsets in text of commas outside quotes, which
	// separate the values of a filter.
	commas []int
}

// scanner splits a command into words. Slack sends the text with &, < and >
// escaped as entities, so a literal < starts Slack's own markup and an
// entity is what the person typed. Double quotes, including the curly ones
// Slack clients type, group words; inside them \" and \\ are escapes.
type scanner struct {
	src     string
	pos     int
	toks    []token
	cur     token
	buf     strings.Builder
	inWord  bool
	inQuote bool
	// noClose records that no > follows pos, so that a run of unclosed <
	// does not make the scan quadratic.
	noClose bool
}

func tokenize(src string) ([]token, error) {
	s := &scanner{src: src}
	for s.pos < len(s.src) {
		if err := s.step(); err != nil {
			return nil, err
		}
	}
	if s.inQuote {
		return nil, fail("a quote is not closed: add the closing \"")
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	return s.toks, nil
}

func (s *scanner) step() error {
	r, size := utf8.DecodeRuneInString(s.src[s.pos:])
	switch {
	case r == '<':
		s.markup()
	case r == '&':
		s.entity()
	case s.inQuote:
		s.quoted(r, size)
	case unicode.IsSpace(r):
		s.pos += size
		return s.flush()
	case isQuote(r):
		s.pos += size
		if !s.cur.quoted {
			s.cur.plain = s.buf.Len()
			s.cur.quoted = true
		}
		s.inQuote, s.inWord = true, true
	default:
		if r == ',' {
			s.cur.commas = append(s.cur.commas, s.buf.Len())
		}
		s.pos += size
		s.write(r)
	}
	return nil
}

func isQuote(r rune) bool { return r == '"' || r == '“' || r == '”' }

// quoted handles a rune inside quotes: a closing quote or an escape.
func (s *scanner) quoted(r rune, size int) {
	s.pos += size
	switch {
	case isQuote(r):
		s.inQuote = false
	case r == '\\' && s.pos < len(s.src):
		next, n := utf8.DecodeRuneInString(s.src[s.pos:])
		if isQuote(next) || next == '\\' {
			s.pos += n
			r = next
		}
		s.write(r)
	default:
		s.write(r)
	}
}

func (s *scanner) write(r rune) {
	s.inWord = true
	s.buf.WriteRune(r)
}

func (s *scanner) flush() error {
	if !s.inWord {
		return nil
	}
	s.cur.text = s.buf.String()
	if !s.cur.quoted {
		s.cur.plain = len(s.cur.text)
	}
	s.toks = append(s.toks, s.cur)
	s.cur, s.inWord = token{}, false
	s.buf.Reset()
	if len(s.toks) > MaxCommandArgs+1 {
		return fail("the command has more than %d words; put a long reason in quotes", MaxCommandArgs)
	}
	return nil
}

// entity decodes &lt;, &gt; and &amp;; any other & is itself.
func (s *scanner) entity() {
	r, n := entityAt(s.src[s.pos:])
	s.pos += n
	s.write(r)
}

func entityAt(s string) (rune, int) {
	for _, e := range [...]struct {
		name string
		r    rune
	}{{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}} {
		if strings.HasPrefix(s, e.name) {
			return e.r, len(e.name)
		}
	}
	return '&', 1
}

// markup reads Slack markup, <…> up to the first >, and writes its plain
// form. An unclosed < cannot come from a person (Slack escapes theirs), so
// it marks the word as markup too.
func (s *scanner) markup() {
	s.cur.link = true
	end := -1
	if !s.noClose {
		end = strings.IndexByte(s.src[s.pos+1:], '>')
	}
	if end < 0 {
		s.noClose = true
		s.pos++
		s.write('<')
		return
	}
	inner := s.src[s.pos+1 : s.pos+1+end]
	s.pos += end + 2
	s.inWord = true
	s.buf.WriteString(decodeEntities(slackPlain(inner)))
}

// slackPlain is markup as a person reads it: a link's URL (not its label,
// which may disguise it), a mention's or channel's name.
func slackPlain(m string) string {
	target, label, _ := strings.Cut(m, "|")
	switch {
	case strings.HasPrefix(target, "@") || strings.HasPrefix(target, "#"):
		if label != "" {
			return target[:1] + strings.TrimPrefix(label, target[:1])
		}
		return target
	case strings.HasPrefix(target, "!"):
		if label != "" {
			return label
		}
		return "@" + target[1:]
	}
	return target
}

func decodeEntities(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '&' {
			b.WriteByte(s[i])
			i++
			continue
		}
		r, n := entityAt(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

// reasonOf joins words into one line: whitespace becomes one space, and
// control and bidirectional formatting characters are dropped, so a reason
// shown later cannot break a message or reorder its text.
func reasonOf(words []token) (string, error) {
	var b strings.Builder
	for _, w := range words {
		b.WriteString(w.text)
		b.WriteByte(' ')
	}
	clean := strings.Join(strings.Fields(strings.Map(reasonRune, b.String())), " ")
	if n := utf8.RuneCountInString(clean); n > MaxReasonRunes {
		return "", fail("the reason is %d characters long; keep it to %d", n, MaxReasonRunes)
	}
	return clean, nil
}

func reasonRune(r rune) rune {
	switch {
	case unicode.IsSpace(r):
		return ' '
	case unicode.IsControl(r), isBidi(r), r == utf8.RuneError:
		return -1
	}
	return r
}

func isBidi(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// shown prepares user input for an error message: short, one line, no
// backticks that would end the message's code span.
func shown(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '`':
			return '\''
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r), isBidi(r):
			return -1
		}
		return r
	}, capRunes(s, 40))
}

// capRunes cuts s to n runes, marking the cut with an ellipsis.
func capRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
