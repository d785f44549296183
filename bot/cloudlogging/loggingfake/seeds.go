package loggingfake

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"time"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/genproto/googleapis/api/monitoredres"
	"google.golang.org/genproto/googleapis/cloud/audit"
	ltype "google.golang.org/genproto/googleapis/logging/type"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Seed scenario keys: the same keys as sccfake's seed findings, whose
// projects, clusters, pods and revisions the entries carry.
const (
	SeedGKECompiler             = "gke-compiler"
	SeedCloudRunCompiler        = "run-compiler"
	SeedCloudRunMaliciousBinary = "run-malicious-binary"
)

// Names the seed entries use, from the seed findings.
const (
	GKEProject   = "demo-prod"
	GKELocation  = "us-central1"
	GKECluster   = "prod-cluster"
	GKENamespace = "payments"
	GKEPod       = "checkout-7d9f8b6c5-x2x9q"
	GKEContainer = "checkout"
	GKENode      = "gke-prod-cluster-pool-1-abcd"
	// GKENodeZone and GKENodeInstanceID are the node VM's zone and numeric
	// ID, which the finding does not carry (the node query needs the ID).
	GKENodeZone       = "us-central1-a"
	GKENodeInstanceID = "4519271130945173461"

	RunProject            = "demo-web"
	RunLocation           = "europe-west1"
	RunCompilerService    = "checkout-api"
	RunCompilerRevision   = "checkout-api-00042-xuz"
	RunMaliciousService   = "image-resizer"
	RunMaliciousRevision  = "image-resizer-00007-kmb"
	auditActivityLog      = "cloudaudit.googleapis.com/activity"
	auditLogTypeURL       = "type.googleapis.com/google.cloud.audit.AuditLog"
	runRequestsLog        = "run.googleapis.com/requests"
	runStdoutLog          = "run.googleapis.com/stdout"
	runStderrLog          = "run.googleapis.com/stderr"
	runSystemLog          = "run.googleapis.com/varlog/system"
	serialConsoleLog      = "serialconsole.googleapis.com/serial_port_1_output"
	containerRuntimeLog   = "container-runtime"
	computeResourceNameLb = "compute.googleapis.com/resource_name"
)

// SeedEntries returns fresh entries of a seed scenario with timestamps
// around eventTime (the finding's event time), or nil for an unknown key.
// They are synthetic but shaped like what GKE, Compute Engine, Cloud Run
// and Cloud Audit Logs write, so that the playbooks' queries find them.
func SeedEntries(scenario string, eventTime time.Time) []*loggingpb.LogEntry {
	b := &seedBuilder{scenario: scenario, at: eventTime.UTC()}
	switch scenario {
	case SeedGKECompiler:
		return b.gke()
	case SeedCloudRunCompiler:
		return b.runCompiler()
	case SeedCloudRunMaliciousBinary:
		return b.runMaliciousBinary()
	}
	return nil
}

// seedBuilder makes the entries of one scenario; insert IDs are derived
// from the scenario and a sequence number, so they are stable.
type seedBuilder struct {
	scenario string
	at       time.Time
	seq      int
}

// entry returns an entry at the event time plus offset.
func (b *seedBuilder) entry(offset time.Duration, project, logID string,
	res *monitoredres.MonitoredResource, sev ltype.LogSeverity) *loggingpb.LogEntry {
	b.seq++
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", b.scenario, b.seq)
	ts := b.at.Add(offset)
	return &loggingpb.LogEntry{
		LogName:          "projects/" + project + "/logs/" + url.PathEscape(logID),
		Resource:         res,
		Timestamp:        timestamppb.New(ts),
		ReceiveTimestamp: timestamppb.New(ts.Add(1500 * time.Millisecond)),
		Severity:         sev,
		InsertId:         strconv.FormatUint(h.Sum64(), 36),
	}
}

func withText(e *loggingpb.LogEntry, text string) *loggingpb.LogEntry {
	e.Payload = &loggingpb.LogEntry_TextPayload{TextPayload: text}
	return e
}

// withJSON sets a JSON payload; fields must be valid structpb input.
func withJSON(e *loggingpb.LogEntry, fields map[string]any) *loggingpb.LogEntry {
	s, err := structpb.NewStruct(fields)
	if err != nil {
		panic("loggingfake: seed JSON payload: " + err.Error())
	}
	e.Payload = &loggingpb.LogEntry_JsonPayload{JsonPayload: s}
	return e
}

func withLabels(e *loggingpb.LogEntry, kv ...string) *loggingpb.LogEntry {
	if e.Labels == nil {
		e.Labels = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Labels[kv[i]] = kv[i+1]
	}
	return e
}

// auditCall describes one Admin Activity audit record.
type auditCall struct {
	service, method, resource, principal, callerIP string
	code                                           int32 // google.rpc.Code; 0 is OK
	message                                        string
}

func withAudit(e *loggingpb.LogEntry, c auditCall) *loggingpb.LogEntry {
	al := &audit.AuditLog{
		ServiceName:        c.service,
		MethodName:         c.method,
		ResourceName:       c.resource,
		AuthenticationInfo: &audit.AuthenticationInfo{PrincipalEmail: c.principal},
		RequestMetadata:    &audit.RequestMetadata{CallerIp: c.callerIP},
	}
	if c.code != 0 {
		al.Status = &rpcstatus.Status{Code: c.code, Message: c.message}
	}
	a, err := anypb.New(al)
	if err != nil {
		panic("loggingfake: seed audit payload: " + err.Error())
	}
	e.Payload = &loggingpb.LogEntry_ProtoPayload{ProtoPayload: a}
	return e
}

// httpCall describes the request of a Cloud Run request log entry.
type httpCall struct {
	method, url, remoteIP, userAgent string
	status                           int32
	latency                          time.Duration
}

func withHTTP(e *loggingpb.LogEntry, c httpCall) *loggingpb.LogEntry {
	e.HttpRequest = &ltype.HttpRequest{
		RequestMethod: c.method,
		RequestUrl:    c.url,
		Status:        c.status,
		RemoteIp:      c.remoteIP,
		UserAgent:     c.userAgent,
		Latency:       durationpb.New(c.latency),
		Protocol:      "HTTP/1.1",
	}
	return e
}

func resource(typ string, labels ...string) *monitoredres.MonitoredResource {
	r := &monitoredres.MonitoredResource{Type: typ, Labels: map[string]string{}}
	for i := 0; i+1 < len(labels); i += 2 {
		r.Labels[labels[i]] = labels[i+1]
	}
	return r
}
