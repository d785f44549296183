package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// gkeCall is a Kubernetes API call of the GKE responder, as its errors name
// it: x.op("patch", "pods", ...).
var gkeCall = regexp.MustCompile(`x\.op\("([a-z]+)", "([a-z/]+)"`)

// TestResponderClusterRoleCoversTheResponder decodes the documented
// ClusterRole strictly and checks it grants every call the GKE responder
// makes, so the role cannot fall behind the code.
func TestResponderClusterRoleCoversTheResponder(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("kubernetes", "sccbot-responder.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeStrict(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.objects) != 1 {
		t.Fatalf("%d objects, want the ClusterRole only", len(r.objects))
	}
	role, ok := r.objects[0].(*rbacv1.ClusterRole)
	if !ok {
		t.Fatalf("%T, want a ClusterRole", r.objects[0])
	}
	sources, err := filepath.Glob(filepath.Join(repoRoot(t), "playbooks", "gke", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, p := range sources {
		src, err := readFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range gkeCall.FindAllStringSubmatch(src, -1) {
			calls++
			if !grants(role, m[1], m[2]) {
				t.Errorf("%s calls %s on %s, which the ClusterRole does not grant", filepath.Base(p), m[1], m[2])
			}
		}
	}
	if calls < 5 {
		t.Fatalf("found %d Kubernetes calls in playbooks/gke; has the x.op convention changed?", calls)
	}
	for _, sub := range []struct{ verb, resource string }{{"create", "pods/exec"}, {"patch", "pods/ephemeralcontainers"}} {
		if !grants(role, sub.verb, sub.resource) {
			t.Errorf("evidence collection needs %s on %s", sub.verb, sub.resource)
		}
	}
}

func grants(role *rbacv1.ClusterRole, verb, resource string) bool {
	for _, rule := range role.Rules {
		if slices.Contains(rule.Resources, resource) && slices.Contains(rule.Verbs, verb) {
			return true
		}
	}
	return false
}
