package gkefake

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sccbot/sccbot/bot"
)

// The GKE seed scenario: the objects behind sccfake's gke-compiler seed
// ("Defense Evasion: Launch Code Compiler Tool In Container").
const (
	SeedProject    = "demo-prod"
	SeedLocation   = "us-central1"
	SeedCluster    = "prod-cluster"
	SeedNamespace  = "payments"
	SeedPod        = "checkout-7d9f8b6c5-x2x9q"
	SeedReplicaSet = "checkout-7d9f8b6c5"
	SeedNode       = "gke-prod-cluster-pool-1-abcd"
	SeedContainer  = "checkout"
	SeedImage      = "us-docker.pkg.dev/demo-prod/apps/checkout@sha256:" +
		"3f1c8e2a9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"
	// SeedFindingName is the seed finding's name; its short id is the
	// quarantine label value the responder sets.
	// SeedBinaryPath and SeedPID are the finding's process: the compiler
	// it ran, whose bytes SeedBinary gives.
	SeedBinaryPath = "/usr/bin/gcc"
	SeedPID        = 48213
	seedBinarySize = 1076928
	SeedImageID    = "us-docker.pkg.dev/demo-prod/apps/checkout@sha256:" +
		"3f1c8e2a9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"
	SeedFindingName = "organizations/123456789012/sources/11434510651542839261/locations/global/" +
		"findings/7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e"
)

// SeedTarget is the seed finding's target as the bot decodes it.
func SeedTarget() bot.Target {
	return bot.Target{
		Product: bot.ProductGKE, Project: SeedProject, Location: SeedLocation, Cluster: SeedCluster,
		Namespace: SeedNamespace, Pod: SeedPod, Node: SeedNode, Container: SeedContainer,
	}
}

// seedTime is when the seed pod started, before the finding's event.
var seedTime = time.Date(2026, 11, 19, 22, 41, 0, 0, time.UTC)

// Seed adds the seed scenario: the cluster to c (which may be nil), and
// the pod, owned by its ReplicaSet, and its node to k.
func Seed(k *KubeAPI, c *ClusterManager) {
	if c != nil {
		c.AddCluster(SeedProject, SeedLocation, SeedCluster)
	}
	k.AddNode(SeedNodeObject())
	k.AddPod(SeedPodObject())
	k.SetFile(SeedNamespace, SeedPod, SeedContainer, SeedBinaryPath, File{Data: SeedBinary()})
	k.SetProcess(SeedNamespace, SeedPod, SeedContainer, SeedPID, File{Data: SeedBinary()})
	k.SetLog(SeedNamespace, SeedPod, SeedContainer, seedLog)
}

// SeedBinary is what the seed container's /usr/bin/gcc holds; the seed
// findings' processes[0].binary.sha256 is its SHA-256 (SeedBinarySHA256).
func SeedBinary() []byte { return PatternBytes("gkefake seed "+SeedBinaryPath, seedBinarySize) }

// SeedBinarySHA256 is the SHA-256 of SeedBinary, as the seed findings
// carry it.
const SeedBinarySHA256 = "7a5479eda4d9d6e0e843b8508089a8d94a7e86dcb2974865ca2b2fbe4a0a31c4"

const seedLog = `2026-11-20T10:15:01.004Z GET /healthz 200
2026-11-20T10:15:29.871Z POST /api/checkout 200
2026-11-20T10:15:30.102Z worker: compiling plugin cache
`

// SeedPodObject is the seed's compromised pod.
func SeedPodObject() corev1.Pod {
	controller := true
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              SeedPod,
			GenerateName:      SeedReplicaSet + "-",
			Namespace:         SeedNamespace,
			CreationTimestamp: metav1.NewTime(seedTime),
			Labels:            map[string]string{"app": "checkout", "pod-template-hash": "7d9f8b6c5"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "ReplicaSet", Name: SeedReplicaSet,
				UID: types.UID("5b0f1d52-7c1e-4a8e-9d3b-2f6a1c9e8d41"), Controller: &controller,
			}},
		},
		Spec: corev1.PodSpec{
			NodeName:   SeedNode,
			Containers: []corev1.Container{{Name: SeedContainer, Image: SeedImage}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.8.2.17",
			ContainerStatuses: []corev1.ContainerStatus{{Name: SeedContainer, Image: SeedImage, ImageID: SeedImageID,
				Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{
					StartedAt: metav1.NewTime(seedTime.Add(7 * time.Second))}}}}},
	}
}

// SeedNodeObject is the node the seed pod runs on, schedulable.
func SeedNodeObject() corev1.Node {
	return corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:              SeedNode,
			CreationTimestamp: metav1.NewTime(seedTime.Add(-72 * time.Hour)),
			Labels: map[string]string{
				"cloud.google.com/gke-nodepool": "pool-1",
				"kubernetes.io/hostname":        SeedNode,
			},
		},
		Spec: corev1.NodeSpec{ProviderID: "gce://" + SeedProject + "/us-central1-a/" + SeedNode},
	}
}

// The pod behind sccfake's gke-compiler-v1 seed (the same category,
// reported through a v1 notification config): another replica of the
// same ReplicaSet, on another node, running the compiler's cc1.
const (
	SeedV1Pod        = "checkout-7d9f8b6c5-k7m2p"
	SeedV1Node       = "gke-prod-cluster-pool-1-efgh"
	SeedV1BinaryPath = "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"
	SeedV1PID        = 3121
	seedV1BinarySize = 1900544
	// SeedV1BinarySHA256 is the SHA-256 of SeedV1Binary, as the v1 seed
	// finding carries it.
	SeedV1BinarySHA256 = "c7239583b1400b5b9790e76eb0d2355641bbb6a664f2bca17c5286e83bc57bb2"
)

// SeedV1Binary is what the v1 seed pod's cc1 holds.
func SeedV1Binary() []byte { return PatternBytes("gkefake seed "+SeedV1BinaryPath, seedV1BinarySize) }

// SeedV1 adds the v1 seed's pod and node to k, with its binary.
func SeedV1(k *KubeAPI) {
	node := SeedNodeObject()
	node.Name = SeedV1Node
	node.Labels = map[string]string{"cloud.google.com/gke-nodepool": "pool-1", "kubernetes.io/hostname": SeedV1Node}
	node.Spec.ProviderID = "gce://" + SeedProject + "/us-central1-b/" + SeedV1Node
	k.AddNode(node)
	pod := SeedPodObject()
	pod.Name, pod.Spec.NodeName, pod.Status.PodIP = SeedV1Pod, SeedV1Node, "10.8.3.4"
	k.AddPod(pod)
	k.SetFile(SeedNamespace, SeedV1Pod, SeedContainer, SeedV1BinaryPath, File{Data: SeedV1Binary()})
	k.SetProcess(SeedNamespace, SeedV1Pod, SeedContainer, SeedV1PID, File{Data: SeedV1Binary()})
	k.SetLog(SeedNamespace, SeedV1Pod, SeedContainer, seedLog)
}
