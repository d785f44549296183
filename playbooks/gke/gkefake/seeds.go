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
}

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
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.8.2.17"},
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
