package gke

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/streaming/pkg/httpstream"
)

// execIn runs argv in a container of a pod through the exec subresource,
// with stdout to stdout and stderr kept (cut to a few KiB) for the error.
// argv goes to the API server as repeated command= parameters, one per
// argument; no shell ever sees it.
//
// It speaks WebSocket (v5.channel.k8s.io) first and falls back to SPDY
// when the upgrade fails, as kubectl does, so that it works through
// proxies and API servers that do not speak WebSocket yet. The upgrade
// error is k8s.io/streaming's: apimachinery's httpstream has a type of the
// same name that client-go v0.37 no longer returns, so its
// IsUpgradeFailure never matches.
func (k *kubeAPI) execIn(ctx context.Context, ns, pod, container string, argv []string, stdout io.Writer) (stderr string, err error) {
	req := k.core.Post().Namespace(ns).Resource("pods").Name(pod).SubResource("exec").
		Param("container", container).Param("stdout", "true").Param("stderr", "true")
	for _, a := range argv {
		req = req.Param("command", a)
	}
	u := req.URL()
	ws, err := remotecommand.NewWebSocketExecutor(k.cfg, "GET", u.String())
	if err != nil {
		return "", fmt.Errorf("websocket executor: %w", err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(k.cfg, "POST", u)
	if err != nil {
		return "", fmt.Errorf("spdy executor: %w", err)
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return "", fmt.Errorf("fallback executor: %w", err)
	}
	errBuf := &capped{max: 4 << 10}
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: errBuf})
	return errBuf.String(), err
}

// capped keeps the first max bytes written to it and drops the rest, so
// that a container cannot fill sccbot's memory through stderr.
type capped struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSpace(strings.ToValidUTF8(c.buf.String(), "?"))
}
