package deploy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// restricted runs the Pod Security Admission checks of the "restricted"
// level on a pod template, as a namespace labelled
// pod-security.kubernetes.io/enforce=restricted would.
func restricted(t *testing.T, pod corev1.PodTemplateSpec) policy.AggregateCheckResult {
	t.Helper()
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	level := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	return policy.AggregateCheckResults(evaluator.EvaluatePod(level, &pod.ObjectMeta, &pod.Spec))
}

func checkRestricted(t *testing.T, pod corev1.PodTemplateSpec) {
	t.Helper()
	if result := restricted(t, pod); !result.Allowed {
		t.Errorf("the pod is refused by the restricted Pod Security Standard: %s", result.ForbiddenDetail())
	}
}

// TestRestrictedCheckRefusesRoot shows the check can fail: a pod run as
// root with a capability added is refused.
func TestRestrictedCheckRefusesRoot(t *testing.T) {
	root := int64(0)
	pod := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsUser: &root},
		Containers: []corev1.Container{{Name: "x", Image: "x", SecurityContext: &corev1.SecurityContext{
			Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}},
		}}},
	}}
	if restricted(t, pod).Allowed {
		t.Error("a root pod with NET_ADMIN passes the restricted checks")
	}
}
