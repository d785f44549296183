package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// runService is a Cloud Run service in its Knative serving v1 form, the
// fields `gcloud run services replace` accepts; containers and volumes are
// the Kubernetes types Cloud Run reuses.
type runService struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       struct {
		Template struct {
			Metadata metav1.ObjectMeta `json:"metadata"`
			Spec     struct {
				ServiceAccountName   string             `json:"serviceAccountName"`
				TimeoutSeconds       int                `json:"timeoutSeconds,omitempty"`
				ContainerConcurrency int                `json:"containerConcurrency,omitempty"`
				Containers           []corev1.Container `json:"containers"`
				Volumes              []corev1.Volume    `json:"volumes,omitempty"`
			} `json:"spec"`
		} `json:"template"`
		Traffic []struct {
			Percent        int  `json:"percent"`
			LatestRevision bool `json:"latestRevision"`
		} `json:"traffic"`
	} `json:"spec"`
}

var placeholder = regexp.MustCompile(`\$\{[A-Z_]+\}`)

func TestCloudRunService(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("cloudrun", "service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// What the README's envsubst line fills in.
	filled := strings.NewReplacer(
		"${SCCBOT_IMAGE}", "europe-west1-docker.pkg.dev/sec-tools/sccbot/sccbot:v0.1.0",
		"${SCCBOT_SERVICE_ACCOUNT}", "sccbot@sec-tools.iam.gserviceaccount.com",
	).Replace(string(src))
	if left := placeholder.FindAllString(filled, -1); len(left) > 0 {
		t.Fatalf("placeholders the README does not fill: %v", left)
	}
	var svc runService
	if err := yaml.UnmarshalStrict([]byte(filled), &svc); err != nil {
		t.Fatalf("cloudrun/service.yaml does not decode strictly: %v", err)
	}
	if svc.APIVersion != "serving.knative.dev/v1" || svc.Kind != "Service" {
		t.Errorf("%s %s, want serving.knative.dev/v1 Service", svc.APIVersion, svc.Kind)
	}
	ann := svc.Spec.Template.Metadata.Annotations
	for key, want := range map[string]string{
		"autoscaling.knative.dev/minScale":  "1",
		"run.googleapis.com/cpu-throttling": "false",
	} {
		if ann[key] != want {
			t.Errorf("template annotation %s = %q, want %q", key, ann[key], want)
		}
	}
	if svc.Metadata.Annotations["run.googleapis.com/ingress"] != "internal" {
		t.Error("the service accepts traffic from the internet; the bot serves none")
	}
	if len(svc.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(svc.Spec.Template.Spec.Containers))
	}
	c := svc.Spec.Template.Spec.Containers[0]
	checkRunContainer(t, c)
	checkRunSecrets(t, c, svc.Spec.Template.Spec.Volumes)
}

func checkRunContainer(t *testing.T, c corev1.Container) {
	t.Helper()
	if len(c.Ports) != 1 {
		t.Fatalf("ports %+v, want one", c.Ports)
	}
	port := c.Ports[0].ContainerPort
	for probe, want := range map[*corev1.Probe]string{c.StartupProbe: "/readyz", c.LivenessProbe: "/healthz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want || probe.HTTPGet.Port.IntValue() != int(port) {
			t.Errorf("probe %+v, want GET %s on port %d", probe, want, port)
		}
	}
	var cfg botConfig
	src, err := os.ReadFile(filepath.Join("cloudrun", "sccbot.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Ops.Listen != ":"+strconv.Itoa(int(port)) {
		t.Errorf("cloudrun/sccbot.yaml ops.listen = %q, want :%d (the container port)", cfg.Ops.Listen, port)
	}
	if cfg.Store.Driver != "postgres" {
		t.Errorf("cloudrun/sccbot.yaml store.driver = %q: Cloud Run supports PostgreSQL only", cfg.Store.Driver)
	}
	if !hasMount(c, "config", "/etc/sccbot") || strings.Join(c.Args, " ") != "run --config /etc/sccbot/sccbot.yaml" {
		t.Errorf("args %q, mounts %+v: the config secret is not the config file", c.Args, c.VolumeMounts)
	}
}

// checkRunSecrets checks the tokens and the config come from the Secret
// Manager secrets deploy/terraform creates.
func checkRunSecrets(t *testing.T, c corev1.Container, volumes []corev1.Volume) {
	t.Helper()
	tf, err := readFile(filepath.Join("terraform", "secrets.tf"))
	if err != nil {
		t.Fatal(err)
	}
	known := func(secret string) bool {
		key, ok := strings.CutPrefix(secret, "sccbot-")
		return ok && strings.Contains(tf, key+" = ")
	}
	for _, env := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SCCBOT_DATABASE_URL"} {
		var ref *corev1.SecretKeySelector
		for _, e := range c.Env {
			if e.Name == env && e.Value == "" && e.ValueFrom != nil {
				ref = e.ValueFrom.SecretKeyRef
			}
		}
		if ref == nil || !known(ref.Name) || ref.Key != "latest" {
			t.Errorf("%s: secret %+v, want the latest version of a secret deploy/terraform creates", env, ref)
		}
	}
	for _, v := range volumes {
		if v.Name == "config" && v.Secret != nil && known(v.Secret.SecretName) && len(v.Secret.Items) == 1 && v.Secret.Items[0].Path == "sccbot.yaml" {
			return
		}
	}
	t.Errorf("volumes %+v: no config volume from a secret deploy/terraform creates", volumes)
}

// TestCloudRunConfigPassesCheckConfig checks the Cloud Run starting config
// with the bot built from this checkout.
func TestCloudRunConfigPassesCheckConfig(t *testing.T) {
	src, err := readFile(filepath.Join("cloudrun", "sccbot.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	requireCheckConfig(t, "cloudrun/sccbot.yaml", src)
}
