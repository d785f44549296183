package gkefake

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// AddPod stores a copy of p (namespace "default" if unset), replacing any
// pod of the same name. A pod with a controller owner reference (a
// ReplicaSet's, say) is replaced by a fresh copy of itself, under a new
// name, when it is deleted: the fake plays its controller.
func (k *KubeAPI) AddPod(p corev1.Pod) {
	p = *p.DeepCopy()
	p.TypeMeta = metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}
	p.Namespace = cmp.Or(p.Namespace, metav1.NamespaceDefault)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stamp(&p.ObjectMeta, "pod")
	key := nsName{p.Namespace, p.Name}
	k.pods[key] = &p
	delete(k.templates, key)
	if metav1.GetControllerOf(&p) != nil {
		k.templates[key] = p.DeepCopy()
	}
}

// AddNode stores a copy of n, replacing any node of the same name.
func (k *KubeAPI) AddNode(n corev1.Node) {
	n = *n.DeepCopy()
	n.TypeMeta = metav1.TypeMeta{Kind: "Node", APIVersion: "v1"}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stamp(&n.ObjectMeta, "node")
	k.nodes[n.Name] = &n
}

// AddNetworkPolicy stores a copy of np (namespace "default" if unset),
// replacing any policy of the same name: for tests of a policy that
// someone else created first.
func (k *KubeAPI) AddNetworkPolicy(np networkingv1.NetworkPolicy) {
	np = *np.DeepCopy()
	np.TypeMeta = policyType
	np.Namespace = cmp.Or(np.Namespace, metav1.NamespaceDefault)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stamp(&np.ObjectMeta, "networkpolicy")
	k.policies[nsName{np.Namespace, np.Name}] = &np
}

var policyType = metav1.TypeMeta{Kind: "NetworkPolicy", APIVersion: "networking.k8s.io/v1"}

// stamp fills what the API server sets on creation; the caller holds mu.
func (k *KubeAPI) stamp(m *metav1.ObjectMeta, kind string) {
	if m.UID == "" {
		m.UID = types.UID(uid(kind, m.Namespace, m.Name, k.version))
	}
	if m.CreationTimestamp.IsZero() {
		m.CreationTimestamp = metav1.NewTime(k.now().UTC().Truncate(1e9))
	}
	m.ResourceVersion = k.nextVersion()
}

// uid derives a stable, UUID-shaped id, so that runs are reproducible.
func uid(kind, namespace, name string, n int64) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + namespace + "\x00" + name + "\x00" + formatInt(n)))
	s := hex.EncodeToString(sum[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

// Pods returns copies of all pods, by namespace and name.
func (k *KubeAPI) Pods() []corev1.Pod {
	k.mu.Lock()
	defer k.mu.Unlock()
	return sortedCopies(k.pods, (*corev1.Pod).DeepCopy)
}

// Pod returns a copy of one pod.
func (k *KubeAPI) Pod(namespace, name string) (corev1.Pod, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	p, ok := k.pods[nsName{namespace, name}]
	if !ok {
		return corev1.Pod{}, false
	}
	return *p.DeepCopy(), true
}

// Nodes returns copies of all nodes, by name.
func (k *KubeAPI) Nodes() []corev1.Node {
	k.mu.Lock()
	defer k.mu.Unlock()
	return sortedCopies(k.nodes, (*corev1.Node).DeepCopy)
}

// Node returns a copy of one node.
func (k *KubeAPI) Node(name string) (corev1.Node, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	n, ok := k.nodes[name]
	if !ok {
		return corev1.Node{}, false
	}
	return *n.DeepCopy(), true
}

// NetworkPolicies returns copies of all network policies, by namespace
// and name.
func (k *KubeAPI) NetworkPolicies() []networkingv1.NetworkPolicy {
	k.mu.Lock()
	defer k.mu.Unlock()
	return sortedCopies(k.policies, (*networkingv1.NetworkPolicy).DeepCopy)
}

// NetworkPolicy returns a copy of one network policy.
func (k *KubeAPI) NetworkPolicy(namespace, name string) (networkingv1.NetworkPolicy, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	np, ok := k.policies[nsName{namespace, name}]
	if !ok {
		return networkingv1.NetworkPolicy{}, false
	}
	return *np.DeepCopy(), true
}

// sortedCopies returns deep copies of m's values in key order.
func sortedCopies[K interface{ ~string | nsName }, T any](m map[K]*T, deepCopy func(*T) *T) []T {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b K) int { return cmp.Compare(keyString(a), keyString(b)) })
	out := make([]T, 0, len(keys))
	for _, key := range keys {
		out = append(out, *deepCopy(m[key]))
	}
	return out
}

func keyString[K interface{ ~string | nsName }](key K) string {
	switch v := any(key).(type) {
	case nsName:
		return v.ns + "\x00" + v.name
	case string:
		return v
	}
	return ""
}

// replace starts a fresh copy of a deleted pod that has a controller, as
// a ReplicaSet would: same labels and spec as when it was added, a new
// name from the same generateName prefix. The caller holds mu.
func (k *KubeAPI) replace(key nsName) {
	tmpl, ok := k.templates[key]
	if !ok {
		return
	}
	delete(k.templates, key)
	k.started++
	p := tmpl.DeepCopy()
	prefix := cmp.Or(p.GenerateName, trimSuffix(p.Name)+"-")
	p.Name = prefix + suffix(key.name, k.started)
	p.UID, p.ResourceVersion = "", ""
	p.CreationTimestamp = metav1.Time{}
	p.DeletionTimestamp = nil
	k.stamp(&p.ObjectMeta, "pod")
	newKey := nsName{p.Namespace, p.Name}
	k.pods[newKey] = p
	k.templates[newKey] = p.DeepCopy()
}

// trimSuffix drops a pod name's random suffix (checkout-7d9f8b6c5-x2x9q →
// checkout-7d9f8b6c5).
func trimSuffix(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}

// suffix is a 5-character name suffix in the alphabet Kubernetes uses,
// derived from the old name and a counter so that runs are reproducible.
func suffix(seed string, n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	sum := sha256.Sum256([]byte(seed + "/" + strconv.Itoa(n)))
	out := make([]byte, 5)
	for i := range out {
		out[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(out)
}
