package playbooks

import (
	"testing"

	"github.com/sccbot/sccbot/bot/mitre"
)

// TestTechniquesExistInAttack checks every technique id of every embedded
// playbook against the embedded ATT&CK v18.1 catalogue, through Lint as
// cmd wires it.
func TestTechniquesExistInAttack(t *testing.T) {
	catalog, err := mitre.Load()
	if err != nil {
		t.Fatal(err)
	}
	known := func(id string) bool { _, ok := catalog.Technique(id); return ok }
	lib := mustLoad(t)
	n := 0
	for _, p := range lib.Playbooks() {
		if len(p.Techniques) == 0 && !p.Generic {
			t.Errorf("%s: no techniques", p.File)
		}
		for _, id := range p.Techniques {
			n++
			if !known(id) {
				t.Errorf("%s: %s is not in ATT&CK %s", p.File, id, catalog.Version())
			}
		}
	}
	if n < 56 {
		t.Errorf("only %d technique ids checked", n)
	}
	if _, problems := load("", known); len(problems) > 0 {
		t.Errorf("embedded playbooks fail lint with the catalogue:\n%v", problems)
	}
}
