package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	serializerjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

const chartDir = "helm/sccbot"

// helmBinary finds helm: $HELM, else helm on PATH. In CI a missing helm
// fails the test (CI installs it); elsewhere the test is skipped.
func helmBinary(t *testing.T) string {
	t.Helper()
	path, skip, err := findHelm(os.Getenv, exec.LookPath)
	if err != nil {
		t.Fatal(err)
	}
	if skip != "" {
		t.Skip(skip)
	}
	return path
}

// findHelm returns helm's path, or why the tests that need it are skipped,
// or, when CI is true, an error: CI must not pass by skipping them.
func findHelm(getenv func(string) string, lookPath func(string) (string, error)) (path, skip string, err error) {
	if h := getenv("HELM"); h != "" {
		return h, "", nil
	}
	h, err := lookPath("helm")
	if err == nil {
		return h, "", nil
	}
	if getenv("CI") == "true" {
		return "", "", fmt.Errorf("helm is not installed (.ci/run installs it with go install helm.sh/helm/v4/cmd/helm@v4.3.2): %w", err)
	}
	return "", fmt.Sprintf("helm is not installed; run go install helm.sh/helm/v4/cmd/helm@v4.3.2 or set HELM: %v", err), nil
}

func TestFindHelmFailsInCI(t *testing.T) {
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	if _, skip, err := findHelm(env(map[string]string{"CI": "true"}), missing); err == nil || skip != "" {
		t.Errorf("CI=true without helm: skip %q, err %v; want an error", skip, err)
	}
	if _, skip, err := findHelm(env(nil), missing); err != nil || skip == "" {
		t.Errorf("no helm outside CI: skip %q, err %v; want a skip", skip, err)
	}
	if path, _, err := findHelm(env(map[string]string{"CI": "true", "HELM": "/opt/helm"}), missing); path != "/opt/helm" || err != nil {
		t.Errorf("HELM set: %q, %v", path, err)
	}
}

// helm runs helm and returns its stdout, or its stderr as the error.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmBinary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// render runs helm template for a profile's CI values plus extra flags.
func render(t *testing.T, profile string, extra ...string) (string, error) {
	t.Helper()
	args := append([]string{"template", "sccbot", chartDir, "--namespace", "sccbot",
		"--values", filepath.Join(chartDir, "ci", profile+"-values.yaml")}, extra...)
	return helm(t, args...)
}

// renderObjects renders a profile and decodes it strictly, failing the test
// on any error.
func renderObjects(t *testing.T, profile string, extra ...string) rendered {
	t.Helper()
	manifest, err := render(t, profile, extra...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeStrict(manifest)
	if err != nil {
		t.Fatalf("rendered objects do not decode strictly:\n%v", err)
	}
	return r
}

// rendered is what helm template produced, decoded strictly.
type rendered struct {
	objects []runtime.Object
	kinds   map[string]int
}

func (r rendered) configMap(t *testing.T) *corev1.ConfigMap {
	t.Helper()
	for _, o := range r.objects {
		if cm, ok := o.(*corev1.ConfigMap); ok {
			return cm
		}
	}
	t.Fatal("no ConfigMap rendered")
	return nil
}

// decodeStrict decodes every document of a helm template output into its
// Kubernetes API type. An unknown or duplicate field is an error, as is a
// kind this chart is not expected to render.
func decodeStrict(manifest string) (rendered, error) {
	r := rendered{kinds: map[string]int{}}
	codec := serializerjson.NewSerializerWithOptions(serializerjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		serializerjson.SerializerOptions{Yaml: true, Strict: true})
	var errs []error
	for i, doc := range strings.Split(manifest, "\n---\n") {
		if isEmptyYAML(doc) {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			errs = append(errs, fmt.Errorf("document %d: %w", i, err))
			continue
		}
		obj, err := decodeOne(codec, tm, []byte(doc))
		if err != nil {
			errs = append(errs, fmt.Errorf("document %d (%s %s): %w", i, tm.APIVersion, tm.Kind, err))
			continue
		}
		r.objects = append(r.objects, obj)
		r.kinds[tm.Kind]++
	}
	return r, errors.Join(errs...)
}

func decodeOne(codec runtime.Decoder, tm metav1.TypeMeta, doc []byte) (runtime.Object, error) {
	var obj runtime.Object
	switch tm.APIVersion {
	case "monitoring.coreos.com/v1":
		switch tm.Kind {
		case "ServiceMonitor":
			obj = &monitoringv1.ServiceMonitor{}
		case "PrometheusRule":
			obj = &monitoringv1.PrometheusRule{}
		default:
			return nil, fmt.Errorf("unexpected kind")
		}
		return obj, yaml.UnmarshalStrict(doc, obj)
	case "monitoring.googleapis.com/v1":
		if tm.Kind != "PodMonitoring" {
			return nil, fmt.Errorf("unexpected kind")
		}
		obj = &podMonitoring{}
		return obj, yaml.UnmarshalStrict(doc, obj)
	}
	obj, _, err := codec.Decode(doc, nil, nil)
	return obj, err
}

func isEmptyYAML(doc string) bool {
	for line := range strings.Lines(doc) {
		if l := strings.TrimSpace(line); l != "" && l != "---" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// podMonitoring is GKE managed Prometheus's PodMonitoring
// (monitoring.googleapis.com/v1), the fields this chart may set.
type podMonitoring struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port     intstr.IntOrString `json:"port"`
			Path     string             `json:"path,omitempty"`
			Interval string             `json:"interval,omitempty"`
			Timeout  string             `json:"timeout,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

func (p *podMonitoring) DeepCopyObject() runtime.Object { c := *p; return &c }

// TestStrictDecodingRefusesUnknownFields shows the decoder is strict: a
// misplaced field in a rendered object is an error, not silently dropped.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	for name, doc := range map[string]string{
		"core":           "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n",
		"nested":         "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n    - name: a\n      image: b\n      securityContext: {readOnlyRootFS: true}\n",
		"ServiceMonitor": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec:\n  endpoint: []\n",
		"PodMonitoring":  "apiVersion: monitoring.googleapis.com/v1\nkind: PodMonitoring\nmetadata: {name: x}\nspec:\n  selectors: {}\n",
	} {
		if _, err := decodeStrict(doc); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("%s: decodeStrict = %v, want an unknown field error", name, err)
		}
	}
}
