package gkefake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// These tests speak raw HTTP to the fake, to pin its wire shapes: the
// responder's tests run the real client-go against it.

const (
	podURL      = "/api/v1/namespaces/payments/pods/" + SeedPod
	nodeURL     = "/api/v1/nodes/" + SeedNode
	policiesURL = "/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies"
)

func newSeeded(t *testing.T) *KubeAPI {
	t.Helper()
	k := NewKubeAPI(DefaultToken)
	t.Cleanup(k.Close)
	Seed(k, nil)
	return k
}

type response struct {
	code int
	body []byte
}

func do(t *testing.T, k *KubeAPI, method, path, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, k.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := k.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, b}
}

func statusOf(t *testing.T, r response) metav1.Status {
	t.Helper()
	var st metav1.Status
	if err := json.Unmarshal(r.body, &st); err != nil {
		t.Fatalf("decode status %s: %v", r.body, err)
	}
	if st.Kind != "Status" || st.APIVersion != "v1" || st.Status != metav1.StatusFailure || int(st.Code) != r.code {
		t.Errorf("status envelope = %s (HTTP %d)", r.body, r.code)
	}
	return st
}

func TestNotFoundStatus(t *testing.T) {
	k := newSeeded(t)
	r := do(t, k, http.MethodGet, "/api/v1/namespaces/payments/pods/missing", "", "")
	st := statusOf(t, r)
	want := metav1.Status{Reason: metav1.StatusReasonNotFound, Message: `pods "missing" not found`,
		Details: &metav1.StatusDetails{Name: "missing", Kind: "pods"}}
	if r.code != http.StatusNotFound || st.Reason != want.Reason || st.Message != want.Message || !cmp.Equal(st.Details, want.Details) {
		t.Errorf("GET missing pod = %d %s", r.code, r.body)
	}
	if r := do(t, k, http.MethodGet, "/api/v1/secrets", "", ""); r.code != http.StatusNotFound {
		t.Errorf("unknown path = %d", r.code)
	}
}

func TestToken(t *testing.T) {
	k := newSeeded(t)
	for _, auth := range []string{"", "Bearer wrong"} {
		req, _ := http.NewRequest(http.MethodGet, k.URL()+podURL, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := k.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q → %d, want 401", auth, resp.StatusCode)
		}
	}
	calls := k.Calls()
	if len(calls) != 2 || calls[0].Token != "" || calls[1].Token != "wrong" {
		t.Errorf("calls = %+v, want both recorded with the token presented", calls)
	}
}

func TestCreatePolicy(t *testing.T) {
	k := newSeeded(t)
	body := `{"metadata":{"name":"deny"},"spec":{"podSelector":{},"policyTypes":["Ingress"]}}`
	if r := do(t, k, http.MethodPost, policiesURL+"?dryRun=All", "application/json", body); r.code != http.StatusCreated {
		t.Fatalf("dry-run create = %d %s", r.code, r.body)
	}
	if n := len(k.NetworkPolicies()); n != 0 {
		t.Fatalf("dry run stored %d policies", n)
	}
	r := do(t, k, http.MethodPost, policiesURL, "application/json", body)
	var np networkingv1.NetworkPolicy
	if err := json.Unmarshal(r.body, &np); err != nil || r.code != http.StatusCreated || np.UID == "" || np.Namespace != "payments" {
		t.Fatalf("create = %d %s", r.code, r.body)
	}
	r = do(t, k, http.MethodPost, policiesURL, "application/json", body)
	if st := statusOf(t, r); r.code != http.StatusConflict || st.Reason != metav1.StatusReasonAlreadyExists ||
		st.Message != `networkpolicies.networking.k8s.io "deny" already exists` {
		t.Errorf("second create = %d %s", r.code, r.body)
	}
	if r := do(t, k, http.MethodGet, policiesURL+"/deny", "", ""); r.code != http.StatusOK {
		t.Errorf("get = %d", r.code)
	}
	if r := do(t, k, http.MethodPost, policiesURL, "application/vnd.kubernetes.protobuf", "k8s\x00"); r.code != http.StatusUnsupportedMediaType {
		t.Errorf("protobuf body = %d, want 415", r.code)
	}
	if r := do(t, k, http.MethodPost, policiesURL, "application/json", `{"metadata":{"name":"Bad_Name"}}`); r.code != http.StatusUnprocessableEntity {
		t.Errorf("invalid name = %d, want 422", r.code)
	}
}

func TestPatch(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		code                    int
	}{
		{"merge", "application/merge-patch+json", `{"metadata":{"labels":{"x":"1","app":null}}}`, http.StatusOK},
		{"strategic", "application/strategic-merge-patch+json", `{"metadata":{"labels":{"x":"1"}}}`, http.StatusOK},
		{"strategic list", "application/strategic-merge-patch+json", `{"spec":{"containers":[{"name":"c"}]}}`, http.StatusUnprocessableEntity},
		{"directive", "application/strategic-merge-patch+json", `{"metadata":{"$patch":"replace"}}`, http.StatusUnprocessableEntity},
		{"json patch", "application/json-patch+json", `[]`, http.StatusUnsupportedMediaType},
		{"not json", "application/merge-patch+json", `{`, http.StatusBadRequest},
		{"stale", "application/merge-patch+json", `{"metadata":{"resourceVersion":"1"}}`, http.StatusConflict},
		{"rename", "application/merge-patch+json", `{"metadata":{"name":"other"}}`, http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newSeeded(t)
			r := do(t, k, http.MethodPatch, podURL, tt.contentType, tt.body)
			if r.code != tt.code {
				t.Fatalf("PATCH = %d %s, want %d", r.code, r.body, tt.code)
			}
			p, _ := k.Pod(SeedNamespace, SeedPod)
			if changed := p.Labels["x"] == "1"; changed != (tt.code == http.StatusOK) {
				t.Errorf("labels after PATCH = %v", p.Labels)
			}
			if tt.name == "merge" && p.Labels["app"] != "" {
				t.Errorf("null did not remove a label: %v", p.Labels)
			}
		})
	}
}

func TestDryRunValues(t *testing.T) {
	k := newSeeded(t)
	patch := `{"spec":{"unschedulable":true}}`
	if r := do(t, k, http.MethodPatch, nodeURL+"?dryRun=Foo", "application/strategic-merge-patch+json", patch); r.code != http.StatusBadRequest {
		t.Errorf("dryRun=Foo = %d, want 400", r.code)
	}
	if r := do(t, k, http.MethodPatch, nodeURL+"?dryRun=All", "application/strategic-merge-patch+json", patch); r.code != http.StatusOK ||
		!strings.Contains(string(r.body), `"unschedulable":true`) {
		t.Errorf("dry-run patch = %d %s, want the patched node", r.code, r.body)
	}
	if n, _ := k.Node(SeedNode); n.Spec.Unschedulable {
		t.Error("a dry-run patch changed the node")
	}
}

func TestDeletePod(t *testing.T) {
	k := newSeeded(t)
	orig, _ := k.Pod(SeedNamespace, SeedPod)
	dry := `{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]}`
	if r := do(t, k, http.MethodDelete, podURL, "application/json", dry); r.code != http.StatusOK {
		t.Fatalf("dry-run delete = %d %s", r.code, r.body)
	}
	if _, ok := k.Pod(SeedNamespace, SeedPod); !ok {
		t.Fatal("a dry-run delete removed the pod")
	}
	wrongUID := `{"preconditions":{"uid":"not-the-uid"}}`
	if r := do(t, k, http.MethodDelete, podURL, "application/json", wrongUID); r.code != http.StatusConflict {
		t.Errorf("delete with a stale UID = %d, want 409", r.code)
	}
	if r := do(t, k, http.MethodDelete, podURL, "application/json", `{"preconditions":{"uid":"`+string(orig.UID)+`"}}`); r.code != http.StatusOK {
		t.Fatalf("delete = %d %s", r.code, r.body)
	}
	pods := k.Pods()
	if len(pods) != 1 || pods[0].Name == SeedPod || !strings.HasPrefix(pods[0].Name, SeedReplicaSet+"-") ||
		pods[0].UID == orig.UID || pods[0].DeletionTimestamp != nil {
		t.Errorf("after delete: %+v, want one fresh replacement", pods)
	}
}

func TestFailNext(t *testing.T) {
	k := newSeeded(t)
	k.FailNext(http.MethodPatch, "/api/v1/nodes/", http.StatusForbidden, 1)
	if r := do(t, k, http.MethodGet, nodeURL, "", ""); r.code != http.StatusOK {
		t.Errorf("GET matched a PATCH fault: %d", r.code)
	}
	r := do(t, k, http.MethodPatch, nodeURL, "application/merge-patch+json", `{}`)
	st := statusOf(t, r)
	want := `nodes "` + SeedNode + `" is forbidden: User "` + fakeUser + `" cannot patch resource "nodes" in API group ""`
	if r.code != http.StatusForbidden || st.Reason != metav1.StatusReasonForbidden || st.Message != want {
		t.Errorf("injected 403 = %d %+v, want message %q", r.code, st, want)
	}
	if r := do(t, k, http.MethodPatch, nodeURL, "application/merge-patch+json", `{}`); r.code != http.StatusOK {
		t.Errorf("the fault outlived its count: %d", r.code)
	}
	k.FailNext("", "/api/", http.StatusServiceUnavailable, 1)
	if st := statusOf(t, do(t, k, http.MethodGet, podURL, "", "")); st.Reason != metav1.StatusReasonServiceUnavailable {
		t.Errorf("injected 503 reason = %s", st.Reason)
	}
}
