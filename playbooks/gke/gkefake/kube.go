// Package gkefake holds fakes of the two APIs the GKE responder talks to,
// for tests and for `sccbot demo`: a Kubernetes API server (HTTPS, the
// real JSON shapes and status codes) that serves pods, nodes and network
// policies, and an in-process gRPC fake of the GKE container API
// (google.container.v1.ClusterManager) whose GetCluster points at it. The
// real client-go and cloud.google.com/go/container clients talk to them
// unchanged. Both record every call and can inject latency and errors.
//
// The Kubernetes fake is not an API server: it models just what the
// responder uses, and says so (415, 422) when a request leaves that
// subset. In particular it speaks JSON only (no protobuf or CBOR bodies),
// applies strategic-merge patches only when they hold no lists and no $
// directives (where they equal a JSON merge patch), does not check that a
// namespace exists, and removes a deleted pod at once, as if its grace
// period had passed.
package gkefake

import (
	"bytes"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// DefaultToken is the bearer token the demo's fakes expect.
const DefaultToken = "ya29.sccbot-gkefake"

// maxBody bounds the request bodies the fake reads.
const maxBody = 1 << 20

// Call is one HTTP request the Kubernetes fake received.
type Call struct {
	Method string
	// Path is the unescaped URL path, e.g. /api/v1/namespaces/payments/pods/x.
	Path string
	// Query is the raw query string, e.g. dryRun=All.
	Query       string
	ContentType string
	Body        string
	// Token is the bearer token presented, "" if none.
	Token string
}

// Param returns the first value of a query parameter.
func (c Call) Param(name string) string {
	q, _ := url.ParseQuery(c.Query)
	return q.Get(name)
}

type nsName struct{ ns, name string }

type fault struct {
	method string
	prefix string
	status int
	n      int
}

// KubeAPI is the fake Kubernetes API server. Create it with NewKubeAPI;
// it serves at once and must be closed.
type KubeAPI struct {
	srv   *httptest.Server
	token string
	mux   *http.ServeMux

	mu        sync.Mutex
	pods      map[nsName]*corev1.Pod
	templates map[nsName]*corev1.Pod // by pod, the pod its controller would start
	nodes     map[string]*corev1.Node
	policies  map[nsName]*networkingv1.NetworkPolicy
	calls     []Call
	faults    []fault
	latency   time.Duration
	version   int64 // last resourceVersion handed out
	started   int   // replacement pods started, for their names
	now       func() time.Time

	boxes       map[containerKey]*box
	execs       []Exec
	streamDelay time.Duration
	noWebSocket bool
}

// NewKubeAPI starts a fake on a free port of 127.0.0.1 with a self-signed
// certificate. It accepts only requests that carry "Authorization: Bearer
// token".
func NewKubeAPI(token string) *KubeAPI {
	k := &KubeAPI{
		token:     token,
		pods:      map[nsName]*corev1.Pod{},
		templates: map[nsName]*corev1.Pod{},
		nodes:     map[string]*corev1.Node{},
		policies:  map[nsName]*networkingv1.NetworkPolicy{},
		now:       time.Now,
		boxes:     map[containerKey]*box{},
	}
	k.mux = k.routes()
	k.srv = httptest.NewTLSServer(http.HandlerFunc(k.serve))
	return k
}

// URL is the server's base URL, https://127.0.0.1:PORT.
func (k *KubeAPI) URL() string { return k.srv.URL }

// Host is the server's host:port, what GKE calls the cluster endpoint.
func (k *KubeAPI) Host() string { return strings.TrimPrefix(k.srv.URL, "https://") }

// CAPEM is the PEM certificate that verifies the server: GKE's
// masterAuth.clusterCaCertificate before base64.
func (k *KubeAPI) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.srv.Certificate().Raw})
}

// Client is an HTTP client that trusts the fake's certificate.
func (k *KubeAPI) Client() *http.Client { return k.srv.Client() }

// Token is the bearer token the fake accepts.
func (k *KubeAPI) Token() string { return k.token }

// Close shuts the server down, ending open requests.
func (k *KubeAPI) Close() {
	k.srv.CloseClientConnections()
	k.srv.Close()
}

// SetClock replaces the clock used for creation and deletion timestamps.
func (k *KubeAPI) SetClock(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = now
}

// SetLatency delays every later request by d, or until the client gives up.
func (k *KubeAPI) SetLatency(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.latency = d
}

// FailNext makes the next n requests whose method is method ("" for any)
// and whose path starts with pathPrefix fail with a Kubernetes Status of
// the given HTTP status code (403 is Forbidden, 503 ServiceUnavailable,
// and so on). Faults are checked in the order they were added.
func (k *KubeAPI) FailNext(method, pathPrefix string, status, n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.faults = append(k.faults, fault{method: method, prefix: pathPrefix, status: status, n: n})
}

// Calls returns the requests received so far, oldest first, including
// those that failed.
func (k *KubeAPI) Calls() []Call {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.calls)
}

// ResetCalls forgets the requests received so far.
func (k *KubeAPI) ResetCalls() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = nil
}

// serve records the request, applies latency, checks the token and the
// injected faults, then routes it.
func (k *KubeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeStatus(w, badRequest("gkefake: reading the body: "+err.Error()))
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	delay := k.record(Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		ContentType: r.Header.Get("Content-Type"), Body: string(body), Token: token})
	if !wait(r, delay) {
		// The client gave up: answer nothing, as a server that never
		// answered would, rather than the empty 200 a returning handler
		// sends.
		panic(http.ErrAbortHandler)
	}
	if token == "" || token != k.token {
		writeStatus(w, unauthorized())
		return
	}
	if status, ok := k.takeFault(r.Method, r.URL.Path); ok {
		writeStatus(w, injected(status, r))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	k.mux.ServeHTTP(w, r)
}

func (k *KubeAPI) record(c Call) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, c)
	return k.latency
}

// wait sleeps d, or until the client gives up; it reports whether to go on.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-t.C:
		return true
	}
}

func (k *KubeAPI) takeFault(method, path string) (int, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range k.faults {
		f := &k.faults[i]
		if f.n <= 0 || f.method != "" && f.method != method || !strings.HasPrefix(path, f.prefix) {
			continue
		}
		f.n--
		return f.status, true
	}
	return 0, false
}

// nextVersion hands out the next resourceVersion; the caller holds mu.
func (k *KubeAPI) nextVersion() string {
	k.version++
	return formatInt(k.version)
}
