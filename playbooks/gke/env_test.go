package gke

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	container "cloud.google.com/go/container/apiv1"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
)

// Helpers shared by the tests: the real container client and the real
// client-go REST client against the fakes, seeded with the GKE scenario.

const testToken = "ya29.test-token"

type env struct {
	kube     *gkefake.KubeAPI
	cm       *gkefake.ClusterManager
	clusters *ContainerClusters
	resp     *Responder
}

// newEnv starts both fakes with the seed scenario and a Responder that
// reaches them through ContainerClusters.
func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	kube := gkefake.NewKubeAPI(testToken)
	t.Cleanup(kube.Close)
	cm := gkefake.NewClusterManager(kube)
	if err := cm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cm.Close)
	gkefake.Seed(kube, cm)
	cc := newContainerClient(t, cm)
	clusters := NewContainerClusters(cc, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken}), ContainerClustersOptions{})
	return &env{kube: kube, cm: cm, clusters: clusters, resp: New(clusters, opts)}
}

func newContainerClient(t *testing.T, cm *gkefake.ClusterManager) *container.ClusterManagerClient {
	t.Helper()
	cc, err := container.NewClusterManagerClient(context.Background(), cm.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

func seedFinding() bot.Finding {
	return bot.Finding{Name: gkefake.SeedFindingName, Target: gkefake.SeedTarget()}
}

// seedID is the seed finding's short id: the quarantine label value.
const seedID = "7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e"

// Request paths of the seed objects.
const (
	podPath      = "/api/v1/namespaces/payments/pods/" + gkefake.SeedPod
	nodePath     = "/api/v1/nodes/" + gkefake.SeedNode
	policiesPath = "/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies"
	policyName   = "sccbot-quarantine-" + gkefake.SeedPod
	policyPath   = policiesPath + "/" + policyName
)

func (e *env) execute(t *testing.T, action string, dry bool) bot.ActionResult {
	t.Helper()
	res, err := e.resp.Execute(context.Background(), seedFinding(), action, dry)
	if err != nil {
		t.Fatalf("Execute(%s, dry=%v): %v", action, dry, err)
	}
	return res
}

// executeErr runs an action that must fail and returns its *bot.Error.
func (e *env) executeErr(t *testing.T, f bot.Finding, action string) *bot.Error {
	t.Helper()
	res, err := e.resp.Execute(context.Background(), f, action, false)
	var be *bot.Error
	if !errors.As(err, &be) {
		t.Fatalf("Execute(%s) = %+v, %v; want a *bot.Error", action, res, err)
	}
	return be
}

// requests lists the calls as "METHOD path?query", the shape the tests
// compare, and checks that each carried the right bearer token.
func requests(t *testing.T, calls []gkefake.Call) []string {
	t.Helper()
	out := make([]string, 0, len(calls))
	for _, c := range calls {
		if c.Token != testToken {
			t.Errorf("%s %s carried token %q, want %q", c.Method, c.Path, c.Token, testToken)
		}
		s := c.Method + " " + c.Path
		if c.Query != "" {
			s += "?" + c.Query
		}
		out = append(out, s)
	}
	return out
}

func wantRequests(t *testing.T, kube *gkefake.KubeAPI, want ...string) []gkefake.Call {
	t.Helper()
	calls := kube.Calls()
	if diff := cmp.Diff(want, requests(t, calls)); diff != "" {
		t.Fatalf("requests (-want +got):\n%s", diff)
	}
	return calls
}

// decode unmarshals a recorded JSON body.
func decode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
}

func wantCode(t *testing.T, err *bot.Error, code string, parts ...string) {
	t.Helper()
	if err.Code != code {
		t.Errorf("code = %s, want %s (%v)", err.Code, code, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Message, p) {
			t.Errorf("message %q lacks %q", err.Message, p)
		}
	}
}

func contains(t *testing.T, what string, lines []string, part string) {
	t.Helper()
	for _, l := range lines {
		if strings.Contains(l, part) {
			return
		}
	}
	t.Errorf("%s %q: no line contains %q", what, lines, part)
}

// fixedClock is a clock tests move by hand.
type fixedClock struct{ now time.Time }

func (c *fixedClock) Now() time.Time { return c.now }

func staticToken(s string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: s})
}
