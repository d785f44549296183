package deploy

import (
	"os"
	"path/filepath"
	"testing"
)

// repoRoot is the sccbot repository: the parent of this module.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "sccbot")); err != nil {
		t.Fatalf("%s is not the sccbot repository: %v", root, err)
	}
	return root
}
