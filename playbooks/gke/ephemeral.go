package gke

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/sccbot/sccbot/bot"
)

// DebugPrefix starts the name of every ephemeral container sccbot adds.
const DebugPrefix = "sccbot-evidence-"

// debugLifetime is how long a debug container lives: long enough to read
// a large binary slowly, short enough not to linger in the pod. An
// ephemeral container cannot be removed, only left to exit.
const debugLifetime = "3600"

// debugName is the ephemeral container for a finding: one per finding
// and pod, reused by a second collection.
func debugName(f bot.Finding) string {
	sum := sha256.Sum256([]byte(f.Name))
	return DebugPrefix + hex.EncodeToString(sum[:])[:10]
}

// ensureDebugContainer adds (or finds) the finding's ephemeral debug
// container in the pod, targeting the suspect container so that it shares
// its process namespace, and waits for it to run. It is added with the
// pods/ephemeralcontainers subresource, carrying the resourceVersion sccbot
// read, so that a pod changed in between is not overwritten.
func (c *collection) ensureDebugContainer(ctx context.Context) (string, error) {
	name := debugName(c.f)
	pod := c.pod
	if !hasEphemeral(pod, name) {
		updated := pod.DeepCopy()
		updated.Spec.EphemeralContainers = append(updated.Spec.EphemeralContainers, corev1.EphemeralContainer{
			TargetContainerName: c.o.Container,
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: name, Image: c.r.opts.DebugImage, ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{"sleep", debugLifetime},
				// Reading another process's /proc/PID/exe needs the same
				// UID or CAP_SYS_PTRACE.
				SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{
					Add: []corev1.Capability{"SYS_PTRACE"}}},
			},
		})
		out := &corev1.Pod{}
		err := c.call(ctx, func(ctx context.Context) error {
			return c.k.core.Put().Namespace(pod.Namespace).Resource("pods").Name(pod.Name).
				SubResource("ephemeralcontainers").Body(updated).Do(ctx).Into(out)
		})
		if err != nil {
			return "", c.fail(ctx, c.op("update", "pods/ephemeralcontainers", pod.Namespace, pod.Name, rbacEvidence), err)
		}
		pod = out
	}
	return name, c.waitRunning(ctx, pod, name)
}

func hasEphemeral(pod *corev1.Pod, name string) bool {
	for _, e := range pod.Spec.EphemeralContainers {
		if e.Name == name {
			return true
		}
	}
	return false
}

// waitRunning polls the pod until the debug container runs, ends, or
// DebugWait passes.
func (c *collection) waitRunning(ctx context.Context, pod *corev1.Pod, name string) error {
	wctx, cancel := context.WithTimeout(ctx, c.r.opts.DebugWait)
	defer cancel()
	tick := time.NewTicker(c.r.opts.PollEvery)
	defer tick.Stop()
	for {
		st := ephemeralState(pod, name)
		switch {
		case st.Running != nil:
			return nil
		case st.Terminated != nil:
			return bot.Errorf(bot.EUnavailable, "debug container %s ended (%s): it can no longer read the process",
				name, st.Terminated.Reason)
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			why := ""
			if st.Waiting != nil {
				why = fmt.Sprintf(" (%s: %s)", st.Waiting.Reason, shorten(st.Waiting.Message))
			}
			return bot.Errorf(bot.EDeadline, "debug container %s did not start within %v%s", name, c.r.opts.DebugWait, why)
		case <-tick.C:
		}
		p, err := c.readPod(ctx, rbacEvidence)
		if err != nil {
			return err
		}
		if p == nil {
			return bot.Errorf(bot.ENotFound, "pod %s went away while its debug container started", c.podName())
		}
		pod = p
	}
}

func ephemeralState(pod *corev1.Pod, name string) corev1.ContainerState {
	for _, st := range pod.Status.EphemeralContainerStatuses {
		if st.Name == name {
			return st.State
		}
	}
	return corev1.ContainerState{}
}
