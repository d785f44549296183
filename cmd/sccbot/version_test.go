package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionString(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/sccbot/sccbot", Version: "v0.3.1-0.20261206051700-b3ce2855dd2c+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "b3ce2855dd2c6bd7c12de325ca873df5b535c937"},
			{Key: "vcs.time", Value: "2026-12-06T05:17:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	tests := []struct {
		name     string
		stamped  string
		info     *debug.BuildInfo
		ok       bool
		want     string
		wantNone []string
	}{
		{"checkout build", "dev", info, true,
			"sccbot v0.3.1-0.20261206051700-b3ce2855dd2c+dirty (revision b3ce2855dd2c6bd7c12de325ca873df5b535c937 (modified), committed 2026-12-06T05:17:00Z, go1.26.8)", []string{"dev"}},
		{"stamped release", "v1.2.0", info, true, "sccbot v1.2.0 (revision b3ce2855dd2c6bd7c12de325ca873df5b535c937 (modified)", nil},
		{"no vcs info", "dev", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, true,
			"sccbot (devel) (revision unknown: built without VCS information", nil},
		{"no build info", "dev", nil, false, "sccbot dev", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := versionString(tt.stamped, tt.info, tt.ok)
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got  %s\nwant %s…", got, tt.want)
			}
			for _, no := range tt.wantNone {
				if strings.Contains(got, no) {
					t.Errorf("%q in %s", no, got)
				}
			}
		})
	}
}

// TestBinaryVersionNamesItsRevision: a binary built from a git checkout
// names the commit. In a linked worktree (.git is a file) the go command
// records no VCS information, and the binary says so instead.
func TestBinaryVersionNamesItsRevision(t *testing.T) {
	bin := buildBinary(t)
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	t.Log(got)
	if got == "sccbot dev" || !strings.Contains(got, "go1.") {
		t.Errorf("version = %q, want the build info", got)
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout")
	}
	if st, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !st.IsDir() {
		if !strings.Contains(got, "revision unknown") {
			t.Errorf("version = %q, want it to say the revision is unknown", got)
		}
		return
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "revision "+strings.TrimSpace(string(head))) {
		t.Errorf("version = %q, want revision %s", got, head)
	}
}
