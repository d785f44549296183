package gkefake

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"
)

// The SPDY/3.1 flavour of exec, which client-go's SPDY executor speaks
// and kubectl falls back to: the client opens one stream per channel,
// named by its streamType header (error, stdout, stderr), after the
// X-Stream-Protocol-Version handshake. v4 carries the exit status as a
// metav1.Status on the error stream, as over WebSocket.
const protocolSPDYV4 = "v4.channel.k8s.io"

// execSPDY serves one exec over SPDY: it waits for the streams the
// client asked for, writes the command's output and its end, and closes.
func (k *KubeAPI) execSPDY(w http.ResponseWriter, r *http.Request, key nsName, container string, argv []string, cmd command) {
	protocol, err := httpstream.Handshake(r, w, []string{protocolSPDYV4})
	if err != nil {
		return // Handshake answered the client
	}
	streams := make(chan httpstream.Stream, 4)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(s httpstream.Stream, _ <-chan struct{}) error {
		streams <- s
		return nil
	})
	if conn == nil {
		return // UpgradeResponse answered the client
	}
	defer conn.Close() //nolint:errcheck // a fake's side of a stream the client is reading
	k.mu.Lock()
	k.execs = append(k.execs, Exec{Namespace: key.ns, Pod: key.name, Container: container, Command: argv,
		Protocol: "SPDY/3.1 " + protocol})
	k.mu.Unlock()
	want := 1 // the error stream
	for _, name := range []string{"stdout", "stderr"} {
		if r.URL.Query().Get(name) == "true" {
			want++
		}
	}
	byType := map[string]httpstream.Stream{}
	timeout := time.After(10 * time.Second)
	for len(byType) < want {
		select {
		case s := <-streams:
			byType[s.Headers().Get("streamType")] = s
		case <-timeout:
			return
		}
	}
	if out := byType["stdout"]; out != nil && cmd.stdout != nil {
		_, _ = io.Copy(out, cmd.stdout)
	}
	if errs := byType["stderr"]; errs != nil && cmd.stderr != "" {
		_, _ = io.WriteString(errs, cmd.stderr)
	}
	for _, name := range []string{"stdout", "stderr"} {
		if s := byType[name]; s != nil {
			_ = s.Close()
		}
	}
	if es := byType["error"]; es != nil {
		if st := exitStatus(cmd); st.Status != "Success" {
			body, _ := json.Marshal(st)
			_, _ = es.Write(body)
		}
		_ = es.Close()
	}
}
