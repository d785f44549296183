package gke

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/container/apiv1/containerpb"
	"github.com/google/go-cmp/cmp"
	"github.com/googleapis/gax-go/v2"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
)

// The real container client asks GetCluster for the finding's cluster;
// the endpoint and CA it returns, and the token source's token, are what
// client-go uses: TLS is verified against that CA only, and every request
// carries the token (requests() checks it).
func TestCredentialsFromGetCluster(t *testing.T) {
	e := newEnv(t, Options{})
	cfg, err := e.clusters.Config(context.Background(), gkefake.SeedTarget())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != e.kube.URL() || string(cfg.CAData) != string(e.kube.CAPEM()) || cfg.Insecure {
		t.Errorf("config host %s, insecure %v, CA %d bytes; want %s and the fake's CA", cfg.Host, cfg.Insecure,
			len(cfg.CAData), e.kube.URL())
	}
	e.execute(t, bot.ActionCordonNode, false)
	want := []any{&containerpb.GetClusterRequest{Name: "projects/demo-prod/locations/us-central1/clusters/prod-cluster"}}
	got := make([]any, 0, 2)
	for _, r := range e.cm.Requests("GetCluster") {
		got = append(got, r)
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("GetCluster requests (-want +got):\n%s", diff)
	}
	wantRequests(t, e.kube, "GET "+nodePath, "PATCH "+nodePath)
}

// The endpoint and CA are cached per cluster for the TTL.
func TestClusterCache(t *testing.T) {
	e := newEnv(t, Options{})
	clock := &fixedClock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	e.clusters.opts.Now = clock.Now
	e.execute(t, bot.ActionCordonNode, true)
	e.execute(t, bot.ActionCordonNode, true)
	if n := len(e.cm.Requests("GetCluster")); n != 1 {
		t.Errorf("%d GetCluster calls for two actions, want 1", n)
	}
	clock.now = clock.now.Add(DefaultClusterTTL)
	e.execute(t, bot.ActionCordonNode, true)
	if n := len(e.cm.Requests("GetCluster")); n != 2 {
		t.Errorf("%d GetCluster calls after the TTL, want 2", n)
	}
}

// stubClusters answers GetCluster with a chosen CA, to model rotation.
type stubClusters struct {
	mu    sync.Mutex
	kube  *gkefake.KubeAPI
	ca    []byte
	calls int
}

func (s *stubClusters) GetCluster(context.Context, *containerpb.GetClusterRequest, ...gax.CallOption) (*containerpb.Cluster, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return &containerpb.Cluster{Endpoint: s.kube.Host(),
		MasterAuth: &containerpb.MasterAuth{ClusterCaCertificate: base64.StdEncoding.EncodeToString(s.ca)}}, nil
}

// A CA that does not verify the server fails the action as unavailable
// and drops the cached cluster, so that the next attempt, after GKE
// returns the new CA, works.
func TestRotatedCA(t *testing.T) {
	kube := gkefake.NewKubeAPI(testToken)
	t.Cleanup(kube.Close)
	gkefake.Seed(kube, nil)
	stub := &stubClusters{kube: kube, ca: otherCA(t)}
	r := New(newContainerClusters(stub, staticToken(testToken), ContainerClustersOptions{}), Options{})

	_, err := r.Execute(context.Background(), seedFinding(), bot.ActionCordonNode, false)
	if bot.ErrorCode(err) != bot.EUnavailable || !strings.Contains(bot.ErrorMessage(err), "could not verify the certificate") {
		t.Fatalf("Execute with a wrong CA = %v, want EUnavailable about the certificate", err)
	}
	if len(kube.Calls()) != 0 {
		t.Error("a request reached the server over an unverified connection")
	}
	stub.mu.Lock()
	stub.ca = kube.CAPEM()
	stub.mu.Unlock()
	if _, err := r.Execute(context.Background(), seedFinding(), bot.ActionCordonNode, false); err != nil {
		t.Fatalf("Execute after rotation: %v", err)
	}
	if stub.calls != 2 {
		t.Errorf("%d GetCluster calls, want 2 (the failure dropped the cache)", stub.calls)
	}
}

// otherCA is a fresh self-signed certificate: not the one the fake
// serves (every httptest server shares one).
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rotated-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

type failingToken struct{}

func (failingToken) Token() (*oauth2.Token, error) {
	return nil, errors.New("metadata server: no identity")
}

func TestTokenFailure(t *testing.T) {
	e := newEnv(t, Options{})
	e.clusters.tokens = failingToken{}
	err := e.executeErr(t, seedFinding(), bot.ActionCordonNode)
	wantCode(t, err, bot.EUnauthorized, "could not get a Google access token")
	if n := len(e.cm.Requests("GetCluster")); n != 0 {
		t.Errorf("%d GetCluster calls without a token", n)
	}
}

func TestTranslateContainer(t *testing.T) {
	ref := clusterRef{"demo-prod", "us-central1", "prod-cluster"}
	tests := map[codes.Code]string{
		codes.PermissionDenied:  bot.EPermission,
		codes.NotFound:          bot.ENotFound,
		codes.Unauthenticated:   bot.EUnauthorized,
		codes.InvalidArgument:   bot.EInvalid,
		codes.ResourceExhausted: bot.ERateLimited,
		codes.Unavailable:       bot.EUnavailable,
		codes.DeadlineExceeded:  bot.EUnavailable,
		codes.Internal:          bot.EInternal,
	}
	for code, want := range tests {
		err := translateContainer(status.Error(code, "boom"), ref, time.Second)
		if got := bot.ErrorCode(err); got != want {
			t.Errorf("%s → %s, want %s", code, got, want)
		}
		if status.Code(errors.Unwrap(err)) != code {
			t.Errorf("%s: the gRPC error is not wrapped: %v", code, err)
		}
	}
}

// writeKubeconfig writes a kubeconfig whose contexts all point at kube,
// one per name, with the given current context.
func writeKubeconfig(t *testing.T, kube *gkefake.KubeAPI, current string, names ...string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.AuthInfos["sccbot"] = &clientcmdapi.AuthInfo{Token: testToken}
	for _, n := range names {
		cfg.Clusters[n] = &clientcmdapi.Cluster{Server: kube.URL(), CertificateAuthorityData: kube.CAPEM()}
		cfg.Contexts[n] = &clientcmdapi.Context{Cluster: n, AuthInfo: "sccbot"}
	}
	cfg.CurrentContext = current
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestKubeconfig(t *testing.T) {
	seedCtx := ContextName(gkefake.SeedProject, gkefake.SeedLocation, gkefake.SeedCluster)
	tests := []struct {
		name     string
		current  string
		contexts []string
		ok       bool
	}{
		{"gke context by name", "gke_demo-prod_europe-west1_other", []string{"gke_demo-prod_europe-west1_other", seedCtx}, true},
		{"current context of a non-GKE kubeconfig", "demo", []string{"demo", "spare"}, true},
		{"GKE kubeconfig without this cluster", "gke_demo-prod_europe-west1_other", []string{"gke_demo-prod_europe-west1_other"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kube := gkefake.NewKubeAPI(testToken)
			t.Cleanup(kube.Close)
			gkefake.Seed(kube, nil)
			path := writeKubeconfig(t, kube, tt.current, tt.contexts...)
			// A missing file in a KUBECONFIG list is skipped, as kubectl does.
			clusters, err := NewKubeconfigClusters(filepath.Join(t.TempDir(), "missing") + string(filepath.ListSeparator) + path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := New(clusters, Options{}).Execute(context.Background(), seedFinding(), bot.ActionCordonNode, false)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("Execute: %v", err)
			case tt.ok:
				wantRequests(t, kube, "GET "+nodePath, "PATCH "+nodePath)
				if !strings.Contains(res.Summary, "cordoned") {
					t.Errorf("summary = %q", res.Summary)
				}
			case bot.ErrorCode(err) != bot.ENotFound || len(kube.Calls()) != 0:
				t.Errorf("Execute = %v with %d calls, want ENotFound and none", err, len(kube.Calls()))
			}
		})
	}
}

func TestKubeconfigErrors(t *testing.T) {
	if _, err := NewKubeconfigClusters(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing kubeconfig file was accepted")
	}
	if _, err := NewKubeconfigClusters(""); err == nil {
		t.Error("an empty KUBECONFIG was accepted")
	}
}
