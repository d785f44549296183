// Package gke is sccbot's GKE responder: it isolates a pod (a quarantine
// label and a deny-all NetworkPolicy that selects it; the pod is kept for
// forensics), deletes a pod (its controller replaces it with a fresh one)
// and cordons a node, for the finding's cluster. It also collects
// evidence from a pod (CollectEvidence): the executed binary, read with cat
// or tar through the exec subresource (WebSocket, with SPDY as fallback),
// or from /proc/PID/exe through an ephemeral debug container; the pod's
// spec; the container's recent log. Access to a cluster comes
// from the container API (endpoint and CA from GetCluster, a Google access
// token as bearer token) or from KUBECONFIG.
//
// This is the only package of sccbot that imports client-go, and it keeps
// its weight down: REST clients for core/v1 and networking.k8s.io/v1 on a
// scheme that knows those two groups, rather than the generated typed
// clients, which import client-go's kubernetes/scheme and with it every
// API group. Measured on 2 vCPUs with an empty build cache, a small
// program with the container client and the typed core/v1 and
// networking/v1 clients built in 87 s into 58 MB (as big as with the
// whole clientset); with these REST clients instead, 57 s and 36 MB; with
// the container client alone, 50 s and 25 MB.
//
// Every name in a finding is attacker-controlled. The responder accepts a
// namespace, pod or node only if it is a valid DNS-1123 name, and puts
// names only into API paths and object fields, through client-go.
package gke
