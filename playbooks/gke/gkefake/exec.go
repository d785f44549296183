package gkefake

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/streaming/pkg/httpstream"
)

// The streaming protocol of exec: WebSocket sub-protocols
// v5.channel.k8s.io (and v4, which frames the same). Every message is
// binary; its first byte is the channel: 0 stdin, 1 stdout, 2 stderr,
// 3 the error channel (a metav1.Status once the command ends), 4 resize,
// 255 close (v5, client to server). The server closes the connection
// normally when the command is done.
const (
	protocolV5 = "v5.channel.k8s.io"
	protocolV4 = "v4.channel.k8s.io"

	chanStdout = 1
	chanStderr = 2
	chanError  = 3

	// chunk is how much stdout one message carries.
	chunk = 32 << 10
)

var upgrader = websocket.Upgrader{
	Subprotocols:    []string{protocolV5, protocolV4},
	ReadBufferSize:  4 << 10,
	WriteBufferSize: chunk + 1,
	CheckOrigin:     func(*http.Request) bool { return true },
}

// command is what an exec runs: what it writes, and how it ends.
type command struct {
	stdout io.Reader
	stderr string
	// exit is the exit code; notFound means the executable is not in
	// the image, which the runtime reports as a failure, not an exit code.
	exit     int
	notFound string
}

// exec serves pods/exec over WebSocket, as the API server does for
// client-go's WebSocket executor, or over SPDY/3.1 for its SPDY executor
// (see spdy.go). A request that is neither upgrade is refused with 400.
func (k *KubeAPI) exec(w http.ResponseWriter, r *http.Request) {
	key := podKey(r)
	q := r.URL.Query()
	argv, container := q["command"], q.Get("container")
	k.mu.Lock()
	refuse := k.noWebSocket
	k.mu.Unlock()
	spdyUpgrade := httpstream.IsUpgradeRequest(r) && !websocket.IsWebSocketUpgrade(r)
	if refuse && !spdyUpgrade || !spdyUpgrade && !websocket.IsWebSocketUpgrade(r) {
		writeStatus(w, badRequest("gkefake: exec needs a WebSocket ("+protocolV5+") or SPDY/3.1 upgrade"))
		return
	}
	cmd, st := k.prepare(key, container, argv)
	if st != nil {
		writeStatus(w, st)
		return
	}
	if spdyUpgrade {
		k.execSPDY(w, r, key, container, argv, cmd)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the client
	}
	defer conn.Close() //nolint:errcheck // a fake's side of a stream the client is reading
	k.mu.Lock()
	k.execs = append(k.execs, Exec{Namespace: key.ns, Pod: key.name, Container: container, Command: argv,
		Protocol: conn.Subprotocol()})
	delay := k.streamDelay
	k.mu.Unlock()
	if conn.Subprotocol() == "" {
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseProtocolError, "no sub-protocol"))
		return
	}
	// Reading serves the client's pings and notices when it goes away.
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	if err := run(conn, cmd, delay, gone); err != nil {
		return
	}
	_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
	}
}

// run writes a command's output and its end on the connection.
func run(conn *websocket.Conn, cmd command, delay time.Duration, gone <-chan struct{}) error {
	if cmd.stdout != nil {
		buf := make([]byte, chunk+1)
		buf[0] = chanStdout
		for {
			if delay > 0 {
				select {
				case <-gone:
					return errors.New("client went away")
				case <-time.After(delay):
				}
			}
			n, err := io.ReadFull(cmd.stdout, buf[1:])
			if n > 0 {
				if werr := conn.WriteMessage(websocket.BinaryMessage, buf[:n+1]); werr != nil {
					return werr
				}
			}
			if err != nil {
				break
			}
		}
	}
	if cmd.stderr != "" {
		if err := conn.WriteMessage(websocket.BinaryMessage, append([]byte{chanStderr}, cmd.stderr...)); err != nil {
			return err
		}
	}
	body, _ := json.Marshal(exitStatus(cmd))
	return conn.WriteMessage(websocket.BinaryMessage, append([]byte{chanError}, body...))
}

// exitStatus is the error channel's message: Success, an exit code, or
// the runtime's failure to start the command.
func exitStatus(cmd command) metav1.Status {
	switch {
	case cmd.notFound != "":
		return metav1.Status{Status: metav1.StatusFailure, Reason: metav1.StatusReasonInternalError,
			Message: fmt.Sprintf("Internal error occurred: error executing command in container: failed to exec in "+
				"container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container "+
				"process: exec: %q: executable file not found in $PATH: unknown", cmd.notFound)}
	case cmd.exit != 0:
		return metav1.Status{Status: metav1.StatusFailure, Reason: "NonZeroExitCode",
			Message: fmt.Sprintf("command terminated with non-zero exit code: error executing command [%s], exit code %d",
				"...", cmd.exit),
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(cmd.exit)}}}}
	}
	return metav1.Status{Status: metav1.StatusSuccess}
}

// prepare checks the exec request and decides what the command does.
func (k *KubeAPI) prepare(key nsName, container string, argv []string) (command, *apierrors.StatusError) {
	k.mu.Lock()
	defer k.mu.Unlock()
	p, ok := k.pods[key]
	if !ok {
		return command{}, apierrors.NewNotFound(podsGR, key.name)
	}
	if len(argv) == 0 {
		return command{}, badRequest("you must specify at least 1 command")
	}
	target, debug, st := resolveContainer(p, container)
	if st != nil {
		return command{}, st
	}
	b := k.boxOf(key.ns, key.name, target)
	switch argv[0] {
	case "cat":
		if b.noCat && !debug {
			return command{notFound: "cat"}, nil
		}
		return k.cat(b, debug, argv[1:]), nil
	case "tar":
		if b.noTar && !debug {
			return command{notFound: "tar"}, nil
		}
		return tarOne(b, argv[1:]), nil
	}
	return command{notFound: argv[0]}, nil
}

// resolveContainer names the container whose files an exec sees: the
// container itself, or for a running ephemeral container the one it
// targets (whose processes it shares).
func resolveContainer(p *corev1.Pod, name string) (target string, debug bool, st *apierrors.StatusError) {
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return name, false, nil
		}
	}
	for _, e := range p.Spec.EphemeralContainers {
		if e.Name == name && e.TargetContainerName != "" {
			return e.TargetContainerName, true, nil
		}
	}
	return "", false, badRequest(fmt.Sprintf("container %s is not valid for pod %s", name, p.Name))
}

// cat reads files; in a debug container, /proc/PID/exe reads the target
// container's process executables.
func (k *KubeAPI) cat(b *box, debug bool, args []string) command {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	var readers []io.Reader
	for _, a := range args {
		f, ok := b.files[a]
		if debug {
			f, ok = procExe(b, a)
		}
		if !ok {
			return command{stdout: io.MultiReader(readers...), exit: 1,
				stderr: fmt.Sprintf("cat: can't open '%s': No such file or directory\n", a)}
		}
		readers = append(readers, f.reader())
	}
	return command{stdout: io.MultiReader(readers...)}
}

func procExe(b *box, path string) (File, bool) {
	rest, ok := strings.CutPrefix(path, "/proc/")
	pidText, ok2 := strings.CutSuffix(rest, "/exe")
	if !ok || !ok2 {
		return File{}, false
	}
	pid, err := strconv.ParseInt(pidText, 10, 64)
	if err != nil {
		return File{}, false
	}
	f, ok := b.procs[pid]
	return f, ok
}

// tarOne serves `tar -chf - PATH`: an archive of one file, streamed.
func tarOne(b *box, args []string) command {
	if len(args) != 3 || args[0] != "-chf" || args[1] != "-" {
		return command{exit: 1, stderr: "gkefake: tar supports only -chf - PATH\n"}
	}
	name := args[2]
	f, ok := b.files[name]
	if !ok {
		return command{exit: 1, stderr: fmt.Sprintf("tar: %s: Cannot stat: No such file or directory\n", name)}
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(name, "/"), Mode: 0o755, Size: f.size(),
			Typeflag: tar.TypeReg, ModTime: seedTime})
		if err == nil {
			_, err = io.Copy(tw, f.reader())
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return command{stdout: pr}
}

// log serves pods/log: the container's log, its last tailLines lines.
func (k *KubeAPI) log(w http.ResponseWriter, r *http.Request) {
	key := podKey(r)
	container := r.URL.Query().Get("container")
	k.mu.Lock()
	p, ok := k.pods[key]
	var text string
	if ok {
		text = k.boxOf(key.ns, key.name, container).log
	}
	k.mu.Unlock()
	if !ok {
		writeStatus(w, apierrors.NewNotFound(podsGR, key.name))
		return
	}
	if _, _, st := resolveContainer(p, container); st != nil {
		writeStatus(w, st)
		return
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("tailLines")); err == nil && n >= 0 {
		lines := strings.SplitAfter(text, "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		text = strings.Join(lines[max(0, len(lines)-n):], "")
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, text)
}
