package gkefake

import (
	"io"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

var (
	podsGR     = schema.GroupResource{Resource: "pods"}
	nodesGR    = schema.GroupResource{Resource: "nodes"}
	policiesGR = schema.GroupResource{Group: "networking.k8s.io", Resource: "networkpolicies"}
)

const policiesPath = "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"

func (k *KubeAPI) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/pods/{name}", k.getPod)
	mux.HandleFunc("PATCH /api/v1/namespaces/{ns}/pods/{name}", k.patchPod)
	mux.HandleFunc("DELETE /api/v1/namespaces/{ns}/pods/{name}", k.deletePod)
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/pods/{name}/exec", k.exec)
	mux.HandleFunc("POST /api/v1/namespaces/{ns}/pods/{name}/exec", k.exec)
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/pods/{name}/log", k.log)
	mux.HandleFunc("PUT /api/v1/namespaces/{ns}/pods/{name}/ephemeralcontainers", k.updateEphemeral)
	mux.HandleFunc("GET /api/v1/nodes/{name}", k.getNode)
	mux.HandleFunc("PATCH /api/v1/nodes/{name}", k.patchNode)
	mux.HandleFunc("POST "+policiesPath, k.createPolicy)
	mux.HandleFunc("GET "+policiesPath, k.listPolicies)
	mux.HandleFunc("GET "+policiesPath+"/{name}", k.getPolicy)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewNotFound(schema.GroupResource{}, ""))
	})
	return mux
}

func podKey(r *http.Request) nsName { return nsName{r.PathValue("ns"), r.PathValue("name")} }

func (k *KubeAPI) getPod(w http.ResponseWriter, r *http.Request) {
	key := podKey(r)
	k.mu.Lock()
	defer k.mu.Unlock()
	p, ok := k.pods[key]
	if !ok {
		writeStatus(w, apierrors.NewNotFound(podsGR, key.name))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (k *KubeAPI) patchPod(w http.ResponseWriter, r *http.Request) {
	key := podKey(r)
	k.mu.Lock()
	defer k.mu.Unlock()
	p, ok := k.pods[key]
	if !ok {
		writeStatus(w, apierrors.NewNotFound(podsGR, key.name))
		return
	}
	out, dry, st := patched(r, podsGR, p)
	if st != nil {
		writeStatus(w, st)
		return
	}
	if !dry {
		out.ResourceVersion = k.nextVersion()
		k.pods[key] = out
	}
	writeJSON(w, http.StatusOK, out)
}

// patched applies the request's patch to a copy of obj.
func patched[T any, PT interface {
	*T
	metav1.Object
}](r *http.Request, gr schema.GroupResource, obj PT) (PT, bool, *apierrors.StatusError) {
	dry, st := dryRun(r.URL.Query()["dryRun"])
	if st != nil {
		return nil, false, st
	}
	body, _ := io.ReadAll(r.Body)
	out, st := applyPatch((*T)(obj), r.Header.Get("Content-Type"), body)
	if st != nil {
		return nil, false, st
	}
	if st := checkPatched(gr, obj, PT(out)); st != nil {
		return nil, false, st
	}
	return PT(out), dry, nil
}

// deletePod honours dryRun (query or body, as client-go sends it in the
// DeleteOptions body) and a UID precondition. The pod goes at once; a pod
// with a controller is replaced.
func (k *KubeAPI) deletePod(w http.ResponseWriter, r *http.Request) {
	key := podKey(r)
	opts, st := deleteOptions(r)
	if st != nil {
		writeStatus(w, st)
		return
	}
	dry, st := dryRun(append(r.URL.Query()["dryRun"], opts.DryRun...))
	if st != nil {
		writeStatus(w, st)
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	p, ok := k.pods[key]
	if !ok {
		writeStatus(w, apierrors.NewNotFound(podsGR, key.name))
		return
	}
	if st := checkPrecondition(opts, p); st != nil {
		writeStatus(w, st)
		return
	}
	out := p.DeepCopy()
	now := metav1.NewTime(k.now().UTC().Truncate(1e9))
	out.DeletionTimestamp = &now
	if !dry {
		delete(k.pods, key)
		k.replace(key)
	}
	writeJSON(w, http.StatusOK, out)
}

func deleteOptions(r *http.Request) (metav1.DeleteOptions, *apierrors.StatusError) {
	var opts metav1.DeleteOptions
	body, _ := io.ReadAll(r.Body)
	if len(body) == 0 {
		return opts, nil
	}
	return opts, decodeJSON(r, body, &opts)
}

func checkPrecondition(opts metav1.DeleteOptions, p *corev1.Pod) *apierrors.StatusError {
	pre := opts.Preconditions
	if pre == nil || pre.UID == nil || *pre.UID == p.UID {
		return nil
	}
	return apierrors.NewConflict(podsGR, p.Name, errPrecondition(string(*pre.UID), string(p.UID)))
}

type preconditionError struct{ want, got string }

func errPrecondition(want, got string) error { return preconditionError{want, got} }

func (e preconditionError) Error() string {
	return "Precondition failed: UID in precondition: " + e.want + ", UID in object meta: " + e.got
}

func (k *KubeAPI) getNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	k.mu.Lock()
	defer k.mu.Unlock()
	n, ok := k.nodes[name]
	if !ok {
		writeStatus(w, apierrors.NewNotFound(nodesGR, name))
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (k *KubeAPI) patchNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	k.mu.Lock()
	defer k.mu.Unlock()
	n, ok := k.nodes[name]
	if !ok {
		writeStatus(w, apierrors.NewNotFound(nodesGR, name))
		return
	}
	out, dry, st := patched(r, nodesGR, n)
	if st != nil {
		writeStatus(w, st)
		return
	}
	if !dry {
		out.ResourceVersion = k.nextVersion()
		k.nodes[name] = out
	}
	writeJSON(w, http.StatusOK, out)
}

func (k *KubeAPI) createPolicy(w http.ResponseWriter, r *http.Request) {
	np, dry, st := policyFromRequest(r)
	if st != nil {
		writeStatus(w, st)
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	key := nsName{np.Namespace, np.Name}
	if _, exists := k.policies[key]; exists {
		writeStatus(w, apierrors.NewAlreadyExists(policiesGR, np.Name))
		return
	}
	np.UID, np.ResourceVersion, np.CreationTimestamp = "", "", metav1.Time{}
	np.Generation = 1
	if !dry {
		k.stamp(&np.ObjectMeta, "networkpolicy")
		k.policies[key] = np.DeepCopy()
	}
	writeJSON(w, http.StatusCreated, np)
}

// policyFromRequest decodes and validates a NetworkPolicy to create.
func policyFromRequest(r *http.Request) (*networkingv1.NetworkPolicy, bool, *apierrors.StatusError) {
	dry, st := dryRun(r.URL.Query()["dryRun"])
	if st != nil {
		return nil, false, st
	}
	body, _ := io.ReadAll(r.Body)
	np := new(networkingv1.NetworkPolicy)
	if st := decodeJSON(r, body, np); st != nil {
		return nil, false, st
	}
	ns := r.PathValue("ns")
	if np.Namespace != "" && np.Namespace != ns {
		return nil, false, badRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	np.Namespace = ns
	if errs := validation.IsDNS1123Subdomain(np.Name); len(errs) > 0 {
		return nil, false, statusError(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid,
			"NetworkPolicy.networking.k8s.io \""+np.Name+"\" is invalid: metadata.name: "+errs[0])
	}
	np.TypeMeta = policyType
	return np, dry, nil
}

func (k *KubeAPI) getPolicy(w http.ResponseWriter, r *http.Request) {
	key := podKey(r)
	k.mu.Lock()
	defer k.mu.Unlock()
	np, ok := k.policies[key]
	if !ok {
		writeStatus(w, apierrors.NewNotFound(policiesGR, key.name))
		return
	}
	writeJSON(w, http.StatusOK, np)
}

func (k *KubeAPI) listPolicies(w http.ResponseWriter, r *http.Request) {
	ns := r.PathValue("ns")
	k.mu.Lock()
	defer k.mu.Unlock()
	list := networkingv1.NetworkPolicyList{
		TypeMeta: metav1.TypeMeta{Kind: "NetworkPolicyList", APIVersion: "networking.k8s.io/v1"},
		ListMeta: metav1.ListMeta{ResourceVersion: formatInt(k.version)},
		Items:    []networkingv1.NetworkPolicy{},
	}
	for _, np := range sortedCopies(k.policies, (*networkingv1.NetworkPolicy).DeepCopy) {
		if np.Namespace == ns {
			list.Items = append(list.Items, np)
		}
	}
	writeJSON(w, http.StatusOK, list)
}
