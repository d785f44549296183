package playbooks

import (
	"cmp"
	"fmt"
	"io"
)

// LintCommand is `sccbot playbooks lint DIR`: it checks the operator's
// playbook directory as LoadDir would load it, prints every problem to w,
// one a line as "file:line: field: message", and returns the exit code: 0
// when the playbooks load, 1 when they do not. known reports whether an
// ATT&CK technique id exists (the embedded catalogue's Technique lookup);
// nil checks only the shape of ids.
func LintCommand(w io.Writer, dir string, known func(id string) bool) int {
	lib, problems := load(dir, known)
	for _, p := range problems {
		fmt.Fprintln(w, p.String())
	}
	if len(problems) > 0 {
		fmt.Fprintf(w, "%d problem(s) in %s\n", len(problems), cmp.Or(dir, "the built-in playbooks"))
		return 1
	}
	added := 0
	for _, p := range lib.all {
		if !p.embedded {
			added++
		}
	}
	if dir == "" {
		fmt.Fprintf(w, "built-in playbooks: ok, %d in all\n", lib.Len())
		return 0
	}
	fmt.Fprintf(w, "%s: ok, %d playbook(s) from the directory, %d in all\n", dir, added, lib.Len())
	return 0
}
