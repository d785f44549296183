package gke

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPath is Linux's PATH_MAX.
const maxPath = 4096

// checkBinaryPath decides whether a path from a finding may be read. The
// path only ever travels as one element of an exec argument vector, so
// spaces, quotes, '$' and ';' are harmless and kept literally. What is
// refused is what could make the path mean something other than what it
// says, or hide that from the people who read it: a relative path, a ".."
// or "." element, repeated or trailing slashes, NUL, newlines and other
// control or invisible formatting characters, invalid UTF-8.
func checkBinaryPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("the finding names no executed binary")
	case len(p) > maxPath:
		return fmt.Errorf("the binary's path is longer than %d bytes", maxPath)
	case !utf8.ValidString(p):
		return fmt.Errorf("the binary's path is not valid UTF-8")
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("the binary's path %q is not absolute", shorten(p))
	}
	for _, r := range p {
		if r == 0 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("the binary's path %q holds a control or formatting character (%U)", shorten(p), r)
		}
	}
	for _, elem := range strings.Split(p[1:], "/") {
		if elem == ".." || elem == "." {
			return fmt.Errorf("the binary's path %q holds a %q element", shorten(p), elem)
		}
	}
	if path.Clean(p) != p {
		return fmt.Errorf("the binary's path %q is not in its plain form (repeated or trailing '/')", shorten(p))
	}
	return nil
}
