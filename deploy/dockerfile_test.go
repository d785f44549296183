package deploy

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// storeDir is where the image keeps the SQLite store and where the chart
// mounts its volume.
const storeDir = "/var/lib/sccbot"

// nonroot is distroless's nonroot user and group, which the chart's
// securityContext also runs as.
const nonroot = "65532"

func TestDockerfile(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if problems := dockerfileProblems(t, string(src)); len(problems) > 0 {
		t.Errorf("Dockerfile:\n  %s", strings.Join(problems, "\n  "))
	}
}

// TestDockerfileRootOwnedStore shows the check catches the image that
// shipped before: store directory made by VOLUME and WORKDIR as root, tags
// not pinned, a single-platform build.
func TestDockerfileRootOwnedStore(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "Dockerfile.root-owned-store"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(dockerfileProblems(t, string(src)), "\n")
	t.Logf("problems found:\n%s", got)
	for _, want := range []string{
		`"golang:1.26" is not pinned`,
		`"gcr.io/distroless/static-debian13:nonroot" is not pinned`,
		"build stage: FROM without --platform=$BUILDPLATFORM",
		"build stage: no ARG TARGETARCH",
		"GOARCH=${TARGETARCH}",
		"no COPY --chown=65532:65532 of a directory to /var/lib/sccbot",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not mention %q; got:\n%s", want, got)
		}
	}
}

var pinned = regexp.MustCompile(`^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$`)

// dockerfileProblems parses a Dockerfile with BuildKit's own parser and
// lists what keeps it from being the image the chart expects.
func dockerfileProblems(t *testing.T, src string) []string {
	t.Helper()
	ast, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		t.Fatalf("parse Dockerfile: %v", err)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatalf("parse Dockerfile instructions: %v", err)
	}
	if len(stages) < 2 {
		return []string{fmt.Sprintf("%d stages, want a build stage and a runtime stage", len(stages))}
	}
	var problems []string
	names := map[string]bool{}
	for _, s := range stages {
		// A stage built on an earlier stage needs no digest; every image
		// pulled from a registry does, with the tag kept for humans.
		if !names[s.BaseName] && !pinned.MatchString(s.BaseName) {
			problems = append(problems, fmt.Sprintf("FROM %q is not pinned by digest (want NAME:TAG@sha256:...)", s.BaseName))
		}
		names[s.Name] = true
	}
	build, final := stages[0], stages[len(stages)-1]
	problems = append(problems, buildStageProblems(build)...)
	problems = append(problems, finalStageProblems(final, build)...)
	return problems
}

// buildStageProblems checks that the compiler runs natively and
// cross-compiles a static binary for the target platform.
func buildStageProblems(s instructions.Stage) []string {
	var problems []string
	if s.Platform != "$BUILDPLATFORM" && s.Platform != "${BUILDPLATFORM}" {
		problems = append(problems, "build stage: FROM without --platform=$BUILDPLATFORM (the compiler would run under emulation)")
	}
	args := map[string]bool{}
	var build string
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				args[a.Key] = true
			}
		case *instructions.RunCommand:
			if line := strings.Join(c.CmdLine, " "); strings.Contains(line, "go build") {
				build = line
			}
		}
	}
	for _, a := range []string{"TARGETOS", "TARGETARCH"} {
		if !args[a] {
			problems = append(problems, "build stage: no ARG "+a)
		}
	}
	if build == "" {
		return append(problems, "build stage: no RUN ... go build")
	}
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=${TARGETOS}", "GOARCH=${TARGETARCH}", "./cmd/sccbot"} {
		if !strings.Contains(build, want) {
			problems = append(problems, "build stage: go build without "+want)
		}
	}
	return problems
}

// finalStageProblems checks that the store directory is nonroot's before
// anything declares it, and that the process runs as nonroot.
func finalStageProblems(s, build instructions.Stage) []string {
	var problems []string
	owned, declared := false, false
	user := ""
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			if path.Clean(c.DestPath) == storeDir && c.Chown == nonroot+":"+nonroot && c.From == build.Name &&
				len(c.SourcePaths) == 1 && madeDir(build, c.SourcePaths[0]) {
				owned = true
				if declared {
					problems = append(problems, "runtime stage: "+storeDir+" is declared (VOLUME or WORKDIR) before it is copied with its owner, so it stays root's")
				}
			}
		case *instructions.VolumeCommand:
			declared = declared || slices.Contains(c.Volumes, storeDir)
		case *instructions.WorkdirCommand:
			declared = declared || path.Clean(c.Path) == storeDir
		case *instructions.UserCommand:
			user = c.User
		case *instructions.RunCommand:
			problems = append(problems, "runtime stage: RUN needs a shell, which distroless does not have")
		}
	}
	if !owned {
		problems = append(problems, "runtime stage: no COPY --chown=65532:65532 of a directory to "+storeDir+" made with mkdir in the build stage")
	}
	if user != nonroot+":"+nonroot {
		problems = append(problems, fmt.Sprintf("runtime stage: USER is %q, want %s:%s (numeric, so Kubernetes can check runAsNonRoot)", user, nonroot, nonroot))
	}
	return problems
}

// madeDir reports whether the stage creates dir with mkdir -p.
func madeDir(s instructions.Stage, dir string) bool {
	for _, c := range s.Commands {
		if r, ok := c.(*instructions.RunCommand); ok {
			if f := strings.Fields(strings.Join(r.CmdLine, " ")); len(f) == 3 && f[0] == "mkdir" && f[1] == "-p" && path.Clean(f[2]) == path.Clean(dir) {
				return true
			}
		}
	}
	return false
}

// TestDockerfileVolumeBeforeChown shows the order matters: a directory
// declared by VOLUME before the COPY keeps root's ownership in the volume.
func TestDockerfileVolumeBeforeChown(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	volume := "VOLUME " + storeDir + "\n"
	if !strings.Contains(string(src), volume) {
		t.Fatalf("Dockerfile has no %q line", volume)
	}
	early := strings.Replace(strings.Replace(string(src), volume, "", 1), "COPY --from=build --chown", volume+"COPY --from=build --chown", 1)
	got := strings.Join(dockerfileProblems(t, early), "\n")
	if !strings.Contains(got, "declared (VOLUME or WORKDIR) before it is copied") {
		t.Errorf("VOLUME before the COPY not reported; problems:\n%s", got)
	}
}
