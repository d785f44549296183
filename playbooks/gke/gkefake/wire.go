package gkefake

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The fake's identity in Forbidden messages, as GKE names a caller.
const fakeUser = "sccbot@demo-prod.iam.gserviceaccount.com"

// writeJSON writes v with the status code, as the API server does.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeStatus writes a failure as a metav1.Status, the API server's error
// body, with its code as the HTTP status.
func writeStatus(w http.ResponseWriter, e *apierrors.StatusError) {
	st := e.ErrStatus
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	st.Status = metav1.StatusFailure
	writeJSON(w, int(st.Code), st)
}

func badRequest(msg string) *apierrors.StatusError { return apierrors.NewBadRequest(msg) }

func unauthorized() *apierrors.StatusError { return apierrors.NewUnauthorized("Unauthorized") }

// statusError builds a Status the constructors in apierrors do not offer.
func statusError(code int, reason metav1.StatusReason, msg string) *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: metav1.Status{Code: int32(code), Reason: reason, Message: msg}}
}

// target is what a request path names.
type target struct {
	gr        schema.GroupResource
	namespace string
	name      string
}

// parsePath reads /api/v1/[namespaces/NS/]RES[/NAME] and
// /apis/GROUP/VERSION/[namespaces/NS/]RES[/NAME].
func parsePath(p string) target {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	var t target
	switch {
	case len(segs) >= 2 && segs[0] == "api":
		segs = segs[2:]
	case len(segs) >= 3 && segs[0] == "apis":
		t.gr.Group = segs[1]
		segs = segs[3:]
	default:
		return t
	}
	if len(segs) >= 3 && segs[0] == "namespaces" {
		t.namespace = segs[1]
		segs = segs[2:]
	}
	if len(segs) > 0 {
		t.gr.Resource = segs[0]
	}
	if len(segs) > 1 {
		t.name = segs[1]
	}
	return t
}

func verbOf(method string, t target) string {
	switch method {
	case http.MethodGet:
		if t.name == "" {
			return "list"
		}
		return "get"
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	}
	return strings.ToLower(method)
}

// injected is the Status of an injected failure, worded like the API
// server's own for the request it fails.
func injected(code int, r *http.Request) *apierrors.StatusError {
	t := parsePath(r.URL.Path)
	verb := verbOf(r.Method, t)
	if code == http.StatusForbidden {
		where := ""
		if t.namespace != "" {
			where = fmt.Sprintf(" in the namespace %q", t.namespace)
		}
		//nolint:staticcheck // ST1005: the API server's own wording, capital included
		return apierrors.NewForbidden(t.gr, t.name, fmt.Errorf("User %q cannot %s resource %q in API group %q%s",
			fakeUser, verb, t.gr.Resource, t.gr.Group, where))
	}
	if code == http.StatusNotFound {
		return apierrors.NewNotFound(t.gr, t.name)
	}
	return apierrors.NewGenericServerResponse(code, verb, t.gr, t.name, "gkefake: injected failure", 0, false)
}

// dryRun validates dryRun values: only "All" exists.
func dryRun(values []string) (bool, *apierrors.StatusError) {
	for _, v := range values {
		if v != metav1.DryRunAll {
			return false, badRequest(fmt.Sprintf("Invalid dry run value: %q: supported values: %q", v, metav1.DryRunAll))
		}
	}
	return len(values) > 0, nil
}

// Patch content types.
const (
	mergePatch     = "application/merge-patch+json"
	strategicPatch = "application/strategic-merge-patch+json"
)

// applyPatch returns a patched copy of obj. It supports JSON merge patches
// and those strategic-merge patches that mean the same (no lists, no $
// directives); it refuses the rest rather than guess.
func applyPatch[T any](obj *T, contentType string, patch []byte) (*T, *apierrors.StatusError) {
	media, _, _ := mime.ParseMediaType(contentType)
	if media != mergePatch && media != strategicPatch {
		return nil, statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
			fmt.Sprintf("gkefake: patch type %q is not supported (use %s or %s)", contentType, mergePatch, strategicPatch))
	}
	var p map[string]any
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, badRequest("error decoding patch: " + err.Error())
	}
	if media == strategicPatch {
		if err := plainStrategic(p); err != nil {
			return nil, statusError(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid, "gkefake: "+err.Error())
		}
	}
	var doc map[string]any
	if err := roundTrip(obj, &doc); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	out := new(T)
	if err := roundTrip(mergeJSON(doc, p), out); err != nil {
		return nil, statusError(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid, "patched object is invalid: "+err.Error())
	}
	return out, nil
}

// plainStrategic accepts a strategic-merge patch that holds no lists and
// no $ directives: there it means what a JSON merge patch means.
func plainStrategic(p map[string]any) error {
	for k, v := range p {
		if strings.HasPrefix(k, "$") {
			return fmt.Errorf("strategic merge directive %q is not supported", k)
		}
		switch v := v.(type) {
		case []any:
			return fmt.Errorf("strategic merge of the list %q is not supported", k)
		case map[string]any:
			if err := plainStrategic(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeJSON applies a JSON merge patch (RFC 7386) to target.
func mergeJSON(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergeJSON(t[k], v)
	}
	return t
}

func roundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// checkPatched refuses a patch that renamed the object or carried a stale
// resourceVersion (the API server's optimistic concurrency).
func checkPatched(gr schema.GroupResource, old, patched metav1.Object) *apierrors.StatusError {
	if old.GetName() != patched.GetName() || old.GetNamespace() != patched.GetNamespace() || old.GetUID() != patched.GetUID() {
		return statusError(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid,
			fmt.Sprintf("%s %q is invalid: metadata: name, namespace and uid are immutable", gr, old.GetName()))
	}
	if rv := patched.GetResourceVersion(); rv != old.GetResourceVersion() {
		return apierrors.NewConflict(gr, old.GetName(), errors.New("the object has been modified; please apply your changes to the latest version and try again"))
	}
	return nil
}

// decodeJSON decodes a request body that must be JSON.
func decodeJSON(r *http.Request, body []byte, v any) *apierrors.StatusError {
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if media != "application/json" {
		return statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
			fmt.Sprintf("gkefake: content type %q is not supported: send application/json", r.Header.Get("Content-Type")))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("error decoding body: " + err.Error())
	}
	return nil
}
