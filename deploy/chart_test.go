package deploy

import (
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/promql/parser"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// botConfig is the part of the rendered sccbot.yaml the chart owns.
type botConfig struct {
	Store struct {
		Driver string `json:"driver"`
		Path   string `json:"path"`
	} `json:"store"`
	Ops struct {
		Listen string `json:"listen"`
	} `json:"ops"`
}

func TestChartProfiles(t *testing.T) {
	for _, p := range []struct {
		profile  string
		workload string
		replicas int32
		absent   []string
	}{
		{profile: "sqlite", workload: "StatefulSet", replicas: 1, absent: []string{"Deployment", "PodDisruptionBudget"}},
		{profile: "postgres", workload: "Deployment", replicas: 3, absent: []string{"StatefulSet", "PodMonitoring"}},
	} {
		t.Run(p.profile, func(t *testing.T) {
			values := filepath.Join(chartDir, "ci", p.profile+"-values.yaml")
			if _, err := helm(t, "lint", "--strict", chartDir, "--namespace", "sccbot", "--values", values); err != nil {
				t.Fatal(err)
			}
			// An install without a cluster renders NOTES.txt too.
			notes, err := helm(t, "install", "sccbot", chartDir, "--namespace", "sccbot", "--dry-run=client", "--values", values)
			if err != nil || !strings.Contains(notes, "/sccbot doctor --config /etc/sccbot/sccbot.yaml") {
				t.Errorf("helm install --dry-run=client: %v; notes do not show how to run doctor:\n%s", err, notes)
			}
			r := renderObjects(t, p.profile)
			for _, k := range p.absent {
				if r.kinds[k] > 0 {
					t.Errorf("%s profile renders a %s", p.profile, k)
				}
			}
			if r.kinds[p.workload] != 1 {
				t.Fatalf("%s profile renders %d %s, want 1 (kinds: %v)", p.profile, r.kinds[p.workload], p.workload, r.kinds)
			}
			var cfg botConfig
			if err := yaml.Unmarshal([]byte(r.configMap(t).Data["sccbot.yaml"]), &cfg); err != nil {
				t.Fatalf("rendered sccbot.yaml: %v", err)
			}
			pod := checkWorkload(t, r, p.workload, p.replicas, cfg)
			checkPod(t, pod, cfg)
			checkRestricted(t, pod)
			checkServiceAccount(t, r, pod.Spec.ServiceAccountName)
			checkScrape(t, r, pod)
			checkNetworkPolicy(t, r, pod)
			checkAlerts(t, r)
		})
	}
}

// checkWorkload checks the profile's workload kind and returns its pod
// template.
func checkWorkload(t *testing.T, r rendered, kind string, replicas int32, cfg botConfig) corev1.PodTemplateSpec {
	t.Helper()
	for _, o := range r.objects {
		switch w := o.(type) {
		case *appsv1.StatefulSet:
			if *w.Spec.Replicas != 1 || replicas != 1 {
				t.Errorf("StatefulSet replicas = %d, want 1 (SQLite)", *w.Spec.Replicas)
			}
			if cfg.Store.Driver != "" || path.Dir(cfg.Store.Path) != storeDir {
				t.Errorf("sqlite profile: store = %+v, want the default driver and a file in %s", cfg.Store, storeDir)
			}
			if len(w.Spec.VolumeClaimTemplates) != 1 || w.Spec.VolumeClaimTemplates[0].Spec.AccessModes[0] != corev1.ReadWriteOnce {
				t.Errorf("StatefulSet volume claims = %+v, want one ReadWriteOnce claim", w.Spec.VolumeClaimTemplates)
			}
			if !hasMount(w.Spec.Template.Spec.Containers[0], w.Spec.VolumeClaimTemplates[0].Name, storeDir) {
				t.Errorf("the volume claim is not mounted at %s, the Dockerfile's store directory", storeDir)
			}
			return w.Spec.Template
		case *appsv1.Deployment:
			if *w.Spec.Replicas != replicas {
				t.Errorf("Deployment replicas = %d, want %d", *w.Spec.Replicas, replicas)
			}
			if cfg.Store.Driver != "postgres" {
				t.Errorf("postgres profile: store.driver = %q", cfg.Store.Driver)
			}
			if !hasEnvFromSecret(w.Spec.Template.Spec.Containers[0], "SCCBOT_DATABASE_URL", "sccbot") {
				t.Error("postgres profile: SCCBOT_DATABASE_URL does not come from the Secret sccbot")
			}
			checkSpread(t, r, w.Spec.Template)
			return w.Spec.Template
		}
	}
	t.Fatalf("no %s", kind)
	return corev1.PodTemplateSpec{}
}

func checkSpread(t *testing.T, r rendered, pod corev1.PodTemplateSpec) {
	t.Helper()
	var keys []string
	for _, c := range pod.Spec.TopologySpreadConstraints {
		keys = append(keys, c.TopologyKey)
		if s, _ := metav1LabelSelector(c.LabelSelector); !s.Matches(labels.Set(pod.Labels)) {
			t.Errorf("topology spread on %s does not select the pods", c.TopologyKey)
		}
	}
	if !slices.Contains(keys, "topology.kubernetes.io/zone") {
		t.Errorf("pods not spread across zones; topology keys: %v", keys)
	}
	for _, o := range r.objects {
		if pdb, ok := o.(*policyv1.PodDisruptionBudget); ok {
			if s, _ := metav1LabelSelector(pdb.Spec.Selector); !s.Matches(labels.Set(pod.Labels)) {
				t.Error("the PodDisruptionBudget does not select the pods")
			}
			return
		}
	}
	t.Error("no PodDisruptionBudget")
}

// checkPod checks the restricted securityContext, the probes, the secrets
// and the resources that every profile shares.
func checkPod(t *testing.T, pod corev1.PodTemplateSpec, cfg botConfig) {
	t.Helper()
	sc := pod.Spec.SecurityContext
	if sc == nil || !isTrue(sc.RunAsNonRoot) || num(sc.RunAsUser) != 65532 || num(sc.RunAsGroup) != 65532 || num(sc.FSGroup) != 65532 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext = %+v, want nonroot 65532:65532, fsGroup 65532, seccomp RuntimeDefault", sc)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	csc := c.SecurityContext
	if csc == nil || !isTrue(csc.ReadOnlyRootFilesystem) || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(csc.Capabilities.Add) > 0 {
		t.Errorf("container securityContext = %+v, want a read-only root, no privilege escalation, every capability dropped", csc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources = %+v, want CPU and memory requests and a memory limit", c.Resources)
	}
	port := containerPort(c, "metrics")
	if want := ":" + strconv.Itoa(int(port)); cfg.Ops.Listen != want {
		t.Errorf("ops.listen = %q but the metrics port is %d", cfg.Ops.Listen, port)
	}
	for probe, want := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want || probe.HTTPGet.Port.String() != "metrics" {
			t.Errorf("probe %+v, want GET %s on the metrics port", probe, want)
		}
	}
	for _, env := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "PAGERDUTY_ROUTING_KEY"} {
		if !hasEnvFromSecret(c, env, "sccbot") {
			t.Errorf("%s does not come from the Secret sccbot", env)
		}
	}
	if !hasMount(c, "config", "/etc/sccbot") || !slices.Equal(c.Args, []string{"run", "--config", "/etc/sccbot/sccbot.yaml"}) {
		t.Errorf("args %q and mounts %+v: the ConfigMap is not the config file", c.Args, c.VolumeMounts)
	}
}

func checkServiceAccount(t *testing.T, r rendered, name string) {
	t.Helper()
	for _, o := range r.objects {
		if sa, ok := o.(*corev1.ServiceAccount); ok && sa.Name == name {
			if sa.Annotations["iam.gke.io/gcp-service-account"] == "" {
				t.Errorf("ServiceAccount %s has no Workload Identity annotation", name)
			}
			return
		}
	}
	t.Errorf("no ServiceAccount %s", name)
}

// checkScrape checks that the Service, the ServiceMonitor and the
// PodMonitoring reach the pods' metrics port.
func checkScrape(t *testing.T, r rendered, pod corev1.PodTemplateSpec) {
	t.Helper()
	var svc *corev1.Service
	for _, o := range r.objects {
		if s, ok := o.(*corev1.Service); ok {
			svc = s
		}
	}
	if svc == nil || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) || svc.Spec.Ports[0].TargetPort.String() != "metrics" {
		t.Fatalf("Service %+v does not reach the pods' metrics port", svc)
	}
	for _, o := range r.objects {
		switch m := o.(type) {
		case *monitoringv1.ServiceMonitor:
			s, err := metav1LabelSelector(&m.Spec.Selector)
			if err != nil || !s.Matches(labels.Set(svc.Labels)) || m.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name {
				t.Errorf("ServiceMonitor does not select the Service's metrics port: %+v", m.Spec)
			}
		case *podMonitoring:
			s, err := metav1LabelSelector(&m.Spec.Selector)
			if err != nil || !s.Matches(labels.Set(pod.Labels)) || m.Spec.Endpoints[0].Port.String() != "metrics" {
				t.Errorf("PodMonitoring does not select the pods' metrics port: %+v", m.Spec)
			}
		}
	}
}

// checkNetworkPolicy checks egress is HTTPS and DNS (plus the metadata
// server and the database) and ingress only the metrics port.
func checkNetworkPolicy(t *testing.T, r rendered, pod corev1.PodTemplateSpec) {
	t.Helper()
	for _, o := range r.objects {
		np, ok := o.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		if s, _ := metav1LabelSelector(&np.Spec.PodSelector); !s.Matches(labels.Set(pod.Labels)) {
			t.Error("NetworkPolicy does not select the pods")
		}
		var egress []string
		for _, e := range np.Spec.Egress {
			for _, p := range e.Ports {
				egress = append(egress, p.Port.String())
			}
		}
		for _, want := range []string{"443", "53"} {
			if !slices.Contains(egress, want) {
				t.Errorf("NetworkPolicy egress ports %v lack %s", egress, want)
			}
		}
		if len(np.Spec.Ingress) != 1 || np.Spec.Ingress[0].Ports[0].Port.String() != "metrics" || np.Spec.Ingress[0].From[0].NamespaceSelector == nil {
			t.Errorf("NetworkPolicy ingress = %+v, want the metrics port from one namespace", np.Spec.Ingress)
		}
		return
	}
	t.Error("no NetworkPolicy (the CI values enable it)")
}

// pendingMetrics are being added to the bot on another branch (source
// health for /readyz); the alerts use them already.
var pendingMetrics = []string{"sccbot_source_up"}

var metricDef = regexp.MustCompile(`Name:\s*"(sccbot_[a-z0-9_]+)"`)

// promql is Prometheus's own PromQL parser.
var promql = parser.NewParser(parser.Options{})

// metricNames lists the metrics an expression selects.
func metricNames(expr parser.Expr) []string {
	var names []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, vs.Name)
		}
		return nil
	})
	return names
}

// checkAlerts checks the alerts a silent bot needs are there, and that
// every sccbot metric they read is one the bot defines.
func checkAlerts(t *testing.T, r rendered) {
	t.Helper()
	exported := exportedMetrics(t)
	for _, o := range r.objects {
		rule, ok := o.(*monitoringv1.PrometheusRule)
		if !ok {
			continue
		}
		var alerts []string
		for _, g := range rule.Spec.Groups {
			for _, a := range g.Rules {
				alerts = append(alerts, a.Alert)
				expr, err := promql.ParseExpr(a.Expr.String())
				if err != nil {
					t.Errorf("alert %s: %v", a.Alert, err)
					continue
				}
				for _, m := range metricNames(expr) {
					if strings.HasPrefix(m, "sccbot_") && !slices.Contains(exported, m) && !slices.Contains(pendingMetrics, m) {
						t.Errorf("alert %s reads %s, which the bot does not export", a.Alert, m)
					}
				}
			}
		}
		for _, want := range []string{"SccbotDown", "SccbotNotReady", "SccbotSocketDisconnected", "SccbotSilent", "SccbotOutboxGrowing", "SccbotSlackRateLimited"} {
			if !slices.Contains(alerts, want) {
				t.Errorf("no alert %s; alerts: %v", want, alerts)
			}
		}
		return
	}
	t.Error("no PrometheusRule (the CI values enable it)")
}

// exportedMetrics lists the metric names defined in the bot's Go source.
func exportedMetrics(t *testing.T) []string {
	t.Helper()
	var names []string
	root := repoRoot(t)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "deploy" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := readFile(p)
		for _, m := range metricDef.FindAllStringSubmatch(src, -1) {
			names = append(names, m[1])
		}
		return err
	})
	if err != nil || len(names) < 10 {
		t.Fatalf("metric names in the bot's source: %v (%v)", names, err)
	}
	return names
}

// TestChartRefusesBrokenValues: a mistake in the values fails the install
// with a message that names it, instead of deploying something else.
func TestChartRefusesBrokenValues(t *testing.T) {
	for _, c := range []struct {
		name    string
		profile string
		flags   []string
		want    string
	}{
		{"typo in a top-level key", "sqlite", []string{"--set", "serviceMonitr.enabled=true"}, "additional properties 'serviceMonitr' not allowed"},
		{"typo in a nested key", "postgres", []string{"--set", "networkPolicy.enabeld=true"}, "additional properties 'enabeld' not allowed"},
		{"two replicas on SQLite", "sqlite", []string{"--set", "replicaCount=2"}, "replicaCount is 2 but store.driver is sqlite: SQLite allows one replica"},
		{"missing secret name", "sqlite", []string{"--set", "secrets.existingSecret="}, "secrets.existingSecret is required"},
		{"missing image", "postgres", []string{"--set", "image.repository="}, "image.repository is required"},
		{"unknown store driver", "sqlite", []string{"--set", "store.driver=mysql"}, "at '/store/driver': value must be one of 'sqlite', 'postgres'"},
		{"more replicas than Slack has sockets", "postgres", []string{"--set", "replicaCount=11"}, "at '/replicaCount': maximum: got 11, want 10"},
		{"store set in config", "sqlite", []string{"--set", "config.store.path=/tmp/x.db"}, "config.store is set by the chart"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := render(t, c.profile, c.flags...)
			if err == nil {
				t.Fatalf("helm template %v succeeded; rendered:\n%s", c.flags, out)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error does not say %q:\n%v", c.want, err)
			}
		})
	}
}

// slackSockets is Slack's limit of socket-mode connections per app: one per
// pod.
const slackSockets = 10

// TestChartRollsWithinSlackSockets: during a rolling update the pods never
// hold more sockets than Slack allows, whatever replicaCount is.
func TestChartRollsWithinSlackSockets(t *testing.T) {
	for _, replicas := range []int{1, 3, 9, 10} {
		r := renderObjects(t, "postgres", "--set", "replicaCount="+strconv.Itoa(replicas))
		for _, o := range r.objects {
			if d, ok := o.(*appsv1.Deployment); ok {
				ru := d.Spec.Strategy.RollingUpdate
				surge, unavailable := ru.MaxSurge.IntValue(), ru.MaxUnavailable.IntValue()
				if int(*d.Spec.Replicas)+surge > slackSockets || surge+unavailable == 0 {
					t.Errorf("replicaCount %d: maxSurge %d, maxUnavailable %d: more than %d sockets, or a rollout that cannot progress", replicas, surge, unavailable, slackSockets)
				}
			}
		}
	}
}
