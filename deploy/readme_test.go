package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var (
	repoPath      = regexp.MustCompile("(?:\\]\\(|`|\\s|-f |< )((?:deploy|config|cmd)/[A-Za-z0-9_./-]*[A-Za-z0-9_])")
	outputRef     = regexp.MustCompile(`terraform -chdir=deploy/terraform output (?:-raw )?([a-z_]+)`)
	outputMention = regexp.MustCompile(`the ([a-z_]+) output of deploy/terraform`)
	helmSet       = regexp.MustCompile(`--set ([A-Za-z.]+)=`)
	created       = regexp.MustCompile(`cat > (\S+) <<`)
	tfvarsAssign  = regexp.MustCompile(`(?m)^#?\s*([a-z_]+)\s+=`)
)

// TestREADMEDeployingNamesWhatExists reads the "Deploying it" section as
// a new user would and checks that each file it names is in the
// repository, each Terraform output and variable it uses is declared, and
// each chart value it sets is in values.yaml.
func TestREADMEDeployingNamesWhatExists(t *testing.T) {
	root := repoRoot(t)
	readme, err := readFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(readme, "## Deploying it\n")
	end := strings.Index(readme, "## Configuration reference\n")
	if start < 0 || end < start {
		t.Fatal("no Deploying it section")
	}
	section := readme[start:end]

	paths := map[string]bool{}
	for _, m := range repoPath.FindAllStringSubmatch(section, -1) {
		paths[m[1]] = true
	}
	for _, m := range created.FindAllStringSubmatch(section, -1) {
		delete(paths, m[1]) // written by the walkthrough itself
	}
	for p := range paths {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("the README names %s, which is not in the repository", p)
		}
	}
	if len(paths) < 8 {
		t.Errorf("only %d repository paths found in Deploying it: %v", len(paths), paths)
	}

	outputs, variables := terraformNames(t, "output"), terraformNames(t, "variable")
	for _, m := range outputRef.FindAllStringSubmatch(section, -1) {
		if !outputs[m[1]] {
			t.Errorf("the README reads terraform output %s, which deploy/terraform does not declare", m[1])
		}
	}
	// values.yaml's comments point at outputs too.
	valuesDoc, err := readFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range outputMention.FindAllStringSubmatch(valuesDoc, -1) {
		if !outputs[m[1]] {
			t.Errorf("values.yaml mentions the %s output of deploy/terraform, which is not declared", m[1])
		}
	}
	tfvars := section[strings.Index(section, "terraform.tfvars <<'EOF'"):]
	tfvars = tfvars[:strings.Index(tfvars, "\nEOF\n")]
	for _, m := range tfvarsAssign.FindAllStringSubmatch(tfvars, -1) {
		if !variables[m[1]] {
			t.Errorf("the README's terraform.tfvars sets %s, which deploy/terraform does not declare", m[1])
		}
	}

	var values map[string]any
	src, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(src, &values); err != nil {
		t.Fatal(err)
	}
	for _, m := range helmSet.FindAllStringSubmatch(section, -1) {
		if !hasValue(values, strings.Split(m[1], ".")) {
			t.Errorf("the README sets %s, which is not in the chart's values.yaml", m[1])
		}
	}
}

func hasValue(values map[string]any, keys []string) bool {
	v, ok := values[keys[0]]
	if !ok || len(keys) == 1 {
		return ok
	}
	next, ok := v.(map[string]any)
	return ok && hasValue(next, keys[1:])
}

// terraformNames lists the names of the blocks of one type (output,
// variable) in deploy/terraform.
func terraformNames(t *testing.T, blockType string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, body := range terraformFiles(t) {
		for _, b := range body.Blocks {
			if b.Type == blockType {
				names[b.Labels[0]] = true
			}
		}
	}
	return names
}
