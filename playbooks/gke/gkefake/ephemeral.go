package gkefake

import (
	"fmt"
	"io"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// updateEphemeral serves PUT pods/NAME/ephemeralcontainers: the only way
// to add an ephemeral container. As in the API server, the body is the
// whole pod, only spec.ephemeralContainers may change, existing ones may
// not change or go, and the resourceVersion must be current. A new
// container is running at once (the fake has no image to pull).
func (k *KubeAPI) updateEphemeral(w http.ResponseWriter, r *http.Request) {
	key := podKey(r)
	body, _ := io.ReadAll(r.Body)
	in := new(corev1.Pod)
	if st := decodeJSON(r, body, in); st != nil {
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
	if in.ResourceVersion != p.ResourceVersion {
		writeStatus(w, apierrors.NewConflict(podsGR, p.Name, fmt.Errorf("the object has been modified; please "+
			"apply your changes to the latest version and try again")))
		return
	}
	added, st := newEphemeral(p, in.Spec.EphemeralContainers)
	if st != nil {
		writeStatus(w, st)
		return
	}
	out := p.DeepCopy()
	now := metav1.NewTime(k.now().UTC().Truncate(1e9))
	for _, e := range added {
		out.Spec.EphemeralContainers = append(out.Spec.EphemeralContainers, e)
		out.Status.EphemeralContainerStatuses = append(out.Status.EphemeralContainerStatuses, corev1.ContainerStatus{
			Name: e.Name, Image: e.Image, Ready: false,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	out.ResourceVersion = k.nextVersion()
	k.pods[key] = out
	writeJSON(w, http.StatusOK, out)
}

// newEphemeral checks the ephemeral containers sent against the pod's and
// returns the ones added.
func newEphemeral(p *corev1.Pod, sent []corev1.EphemeralContainer) ([]corev1.EphemeralContainer, *apierrors.StatusError) {
	invalid := func(msg string) *apierrors.StatusError {
		return statusError(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid,
			fmt.Sprintf("Pod %q is invalid: spec.ephemeralContainers: %s", p.Name, msg))
	}
	have := p.Spec.EphemeralContainers
	if len(sent) < len(have) {
		return nil, invalid("ephemeral containers may not be removed")
	}
	for i := range have {
		if sent[i].Name != have[i].Name || sent[i].Image != have[i].Image {
			return nil, invalid("ephemeral containers may not be changed")
		}
	}
	names := map[string]bool{}
	for _, c := range p.Spec.Containers {
		names[c.Name] = true
	}
	for _, e := range have {
		names[e.Name] = true
	}
	added := sent[len(have):]
	for _, e := range added {
		switch {
		case len(validation.IsDNS1123Label(e.Name)) > 0:
			return nil, invalid(fmt.Sprintf("name %q is not a DNS-1123 label", e.Name))
		case names[e.Name]:
			return nil, invalid(fmt.Sprintf("name %q is already used", e.Name))
		case e.Image == "":
			return nil, invalid("image is required")
		case e.TargetContainerName != "" && !names[e.TargetContainerName]:
			return nil, invalid(fmt.Sprintf("targetContainerName %q is not a container of the pod", e.TargetContainerName))
		}
		names[e.Name] = true
	}
	return added, nil
}
