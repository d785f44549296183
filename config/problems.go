package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration: where it is and what to
// do about it. Path is the YAML path ("routes[1].match.severity[0]"), or the
// environment variable for CheckEnv; Line is 1-based, or 0 when the problem
// has no place in the file (a missing top-level section, an environment
// variable). Messages never contain secret values.
type Problem struct {
	Path    string
	Line    int
	Message string
}

// String formats the problem as "path: message (line N)".
func (p Problem) String() string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", p.Line)
	}
	return b.String()
}

// Problems is every problem found in one configuration, in file order. It is
// the error Load returns, so that an operator fixes the file in one pass
// instead of one error per run.
type Problems []Problem

// Error prints one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Err returns ps as an error, or nil when there are no problems. It exists
// because a nil Problems stored in an error interface is not a nil error.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// report collects problems while a file is decoded and validated. It knows
// the line of every path present in the file, so that validation, which
// works on Go values, can still point at the right line.
type report struct {
	lines    map[string]int
	flagged  map[string]bool
	problems Problems
}

func newReport() *report {
	return &report{lines: map[string]int{}, flagged: map[string]bool{}}
}

// at records a problem found while decoding, at a known line. The path is
// flagged so that validation does not report the same field again (a value
// that failed to decode would otherwise also be "required").
func (r *report) at(line int, path, format string, args ...any) {
	r.flagged[path] = true
	r.problems = append(r.problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// addf records a validation problem. Its line is the line of the path, or
// of the nearest ancestor present in the file when the key is missing.
// Paths already reported by the decoder, or under one, are skipped.
func (r *report) addf(path, format string, args ...any) {
	for p := path; ; p = parentPath(p) {
		if r.flagged[p] {
			return
		}
		if p == "" {
			break
		}
	}
	r.problems = append(r.problems, Problem{Path: path, Line: r.lineOf(path), Message: fmt.Sprintf(format, args...)})
}

// flaggedUnder reports whether the decoder flagged path or anything in it.
func (r *report) flaggedUnder(path string) bool {
	for p := range r.flagged {
		if p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			return true
		}
	}
	return false
}

func (r *report) lineOf(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if line, ok := r.lines[p]; ok {
			return line
		}
	}
	return 0
}

// sorted returns the problems in file order. Problems without a line (a
// missing top-level section) come last, as they belong to no place in the
// file; otherwise the order of discovery is kept.
func (r *report) sorted() Problems {
	ps := r.problems
	sort.SliceStable(ps, func(i, j int) bool {
		li, lj := ps[i].Line, ps[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	return ps
}

// parentPath strips the last element of a schema path: "a.b[2]" → "a.b",
// "a.b" → "a". It is only used on schema paths, which never contain
// quoted keys.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// joinKey appends a mapping key to a path. Keys that are not plain
// identifiers are quoted so that the path stays unambiguous, and keys that
// look like secrets are not echoed.
func joinKey(path, key string) string {
	seg := key
	if !isIdent(key) {
		seg = "[" + strconv.Quote(show(key)) + "]"
	} else if path != "" {
		seg = "." + key
	}
	return path + seg
}

func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func isIdent(s string) bool {
	if s == "" || looksLikeToken(s) {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// maxShown bounds how much of a value is echoed back in a message.
const maxShown = 64

// show prepares a value from the file to be quoted in a message: tokens are
// replaced by a placeholder, because an operator who pasted a token into the
// wrong field must not find it again in CI logs, and long values are cut.
func show(s string) string {
	if looksLikeToken(s) {
		return "<redacted token>"
	}
	if len(s) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// quote is show wrapped in double quotes, for messages such as
// `"SEVER" is not a severity`.
func quote(s string) string { return strconv.Quote(show(s)) }
