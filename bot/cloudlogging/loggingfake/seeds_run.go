package loggingfake

import (
	"time"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	ltype "google.golang.org/genproto/googleapis/logging/type"
)

const (
	runCompilerURL  = "https://checkout-api-7qk3xg5zla-ew.a.run.app"
	runMaliciousURL = "https://image-resizer-3kq5yqhw4a-ew.a.run.app"
	browserUA       = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
)

// run returns an entry of a Cloud Run revision.
func (b *seedBuilder) run(offset time.Duration, service, revision, logID string, sev ltype.LogSeverity) *loggingpb.LogEntry {
	res := resource("cloud_run_revision", "project_id", RunProject, "location", RunLocation,
		"service_name", service, "revision_name", revision, "configuration_name", service)
	return withLabels(b.entry(offset, RunProject, logID, res, sev),
		"instanceId", "0069c7a9887a5ce1d0b47c2b1f0e3d9a4e2f8c61b7d5a0e9c3f1")
}

// runAudit is an Admin Activity record of the Cloud Run Admin API; Cloud
// Run writes them with the cloud_run_revision resource type.
func (b *seedBuilder) runAudit(offset time.Duration, service string, c auditCall) *loggingpb.LogEntry {
	res := resource("cloud_run_revision", "project_id", RunProject, "location", RunLocation,
		"service_name", service, "revision_name", "", "configuration_name", "")
	sev := ltype.LogSeverity_NOTICE
	if c.code != 0 {
		sev = ltype.LogSeverity_ERROR
	}
	c.service = "run.googleapis.com"
	c.resource = "projects/" + RunProject + "/locations/" + RunLocation + "/services/" + service
	return withAudit(b.entry(offset, RunProject, auditActivityLog, res, sev), c)
}

// runCompiler: clang runs inside the checkout-api service while it
// serves, after a path-traversal probe; shortly before, someone without
// rights tried to update the service, and the pipeline changed its IAM
// policy.
func (b *seedBuilder) runCompiler() []*loggingpb.LogEntry {
	const s, r = RunCompilerService, RunCompilerRevision
	return []*loggingpb.LogEntry{
		b.runAudit(-12*time.Minute, s, auditCall{method: "google.cloud.run.v2.Services.UpdateService",
			principal: "contractor-7@example.com", callerIP: "203.0.113.77", code: 7,
			message: "Permission 'run.services.update' denied on resource 'projects/demo-web/locations/europe-west1/services/checkout-api' (or resource may not exist)."}),
		b.runAudit(-9*time.Minute, s, auditCall{method: "google.cloud.run.v2.Services.SetIamPolicy",
			principal: "ci-deployer@demo-web.iam.gserviceaccount.com", callerIP: "35.187.0.12"}),
		withHTTP(b.run(-6*time.Minute, s, r, runRequestsLog, ltype.LogSeverity_INFO), httpCall{method: "GET",
			url: runCompilerURL + "/api/cart", status: 200, remoteIP: "192.0.2.14", userAgent: browserUA, latency: 38 * time.Millisecond}),
		withJSON(b.run(-6*time.Minute+30*time.Millisecond, s, r, runStdoutLog, ltype.LogSeverity_INFO), map[string]any{
			"severity": "INFO", "message": "cart loaded", "items": 3}),
		withHTTP(b.run(-40*time.Second, s, r, runRequestsLog, ltype.LogSeverity_ERROR), httpCall{method: "POST",
			url: runCompilerURL + "/api/render?template=..%2F..%2Fproc%2Fself%2Fenviron", status: 500,
			remoteIP: "203.0.113.77", userAgent: "python-requests/2.32.3", latency: 1200 * time.Millisecond}),
		withText(b.run(-time.Second, s, r, runStderrLog, ltype.LogSeverity_ERROR),
			"+ clang -static -o /dev/shm/.cache/ssh-agent /dev/shm/.cache/agent.c"),
		withText(b.run(time.Second, s, r, runStderrLog, ltype.LogSeverity_ERROR),
			"/dev/shm/.cache/agent.c:12:10: warning: 'execve' is deprecated here [-Wdeprecated-declarations]"),
		withJSON(b.run(2*time.Minute, s, r, runStdoutLog, ltype.LogSeverity_ERROR), map[string]any{
			"severity": "ERROR", "error": "dial tcp 10.8.0.5:5432: connect: connection refused", "component": "db"}),
	}
}

// runMaliciousBinary: the pipeline deploys revision 00007 of
// image-resizer, whose image carries a miner; it starts and reaches its
// pool within seconds, between ordinary resize requests.
func (b *seedBuilder) runMaliciousBinary() []*loggingpb.LogEntry {
	const s, r = RunMaliciousService, RunMaliciousRevision
	return []*loggingpb.LogEntry{
		b.runAudit(-7*time.Minute, s, auditCall{method: "google.cloud.run.v2.Services.UpdateService",
			principal: "ci-build@demo-web.iam.gserviceaccount.com", callerIP: "35.187.0.12"}),
		withText(b.run(-6*time.Minute-49*time.Second, s, r, runSystemLog, ltype.LogSeverity_INFO),
			"Starting new instance. Reason: DEPLOYMENT_ROLLOUT - Instance started due to traffic shifting between "+
				"revisions due to deployment, traffic split adjustment, or deployment health check."),
		withText(b.run(-6*time.Minute-47*time.Second, s, r, runStdoutLog, ltype.LogSeverity_INFO),
			"resizer listening on :8080"),
		withHTTP(b.run(-3*time.Minute, s, r, runRequestsLog, ltype.LogSeverity_INFO), httpCall{method: "POST",
			url: runMaliciousURL + "/resize?w=640", status: 200, remoteIP: "192.0.2.80", userAgent: browserUA, latency: 212 * time.Millisecond}),
		withText(b.run(0, s, r, runStdoutLog, ltype.LogSeverity_INFO),
			"updater: connecting to pool stratum+tcp://203.0.113.50:3333"),
		withText(b.run(16*time.Second, s, r, runStderrLog, ltype.LogSeverity_ERROR),
			"["+b.at.Add(16*time.Second).Format("2006-01-02 15:04:05")+"] accepted (1/0) diff 20001 (41 ms)"),
		withHTTP(b.run(50*time.Second, s, r, runRequestsLog, ltype.LogSeverity_WARNING), httpCall{method: "GET",
			url: runMaliciousURL + "/.env", status: 404, remoteIP: "203.0.113.9", userAgent: "Go-http-client/1.1", latency: 3 * time.Millisecond}),
	}
}
