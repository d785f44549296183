// Package deploy holds no code: its tests check the deploy kit in this
// directory (the Helm chart, the Terraform module, the Cloud Run service and
// the Kubernetes RBAC for the GKE responder) and the repository's
// Dockerfile, without the internet and without a cluster. It is a module of
// its own so that the Kubernetes, HCL and BuildKit libraries these checks
// need never reach the bot's build.
//
// The tests run helm (the binary, at the version .ci/run installs), and the
// sccbot binary built from the repository root, so that what they accept
// is what the current bot accepts.
package deploy
