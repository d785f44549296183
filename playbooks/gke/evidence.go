package gke

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/sccbot/sccbot/bot"
)

// RBAC needs of evidence collection, for permission errors.
const rbacEvidence = "get on pods and pods/log, create on pods/exec, and update on pods/ephemeralcontainers"

// maxLogBytes bounds the container log kept with the evidence.
const maxLogBytes = 16 << 20

// Names of the objects a GKE collection stores.
const (
	ObjectBinary = "binary"
	ObjectPod    = "pod.json"
	ObjectLog    = "container.log"
)

var _ bot.EvidenceCollector = (*Responder)(nil)

// CollectEvidence implements bot.EvidenceCollector for a pod: the pod's
// spec, the container's recent log, and the finding's executed binary,
// read with cat (or tar) in the container, or from /proc/PID/exe through
// an ephemeral debug container when the file is gone or the image has
// neither tool. What cannot be read of the binary is said in the origin's
// notes; the collection still keeps the rest, which is what a responder
// needs before deleting the pod.
func (r *Responder) CollectEvidence(ctx context.Context, f bot.Finding, req bot.EvidenceRequest,
	sink bot.EvidenceSink) (bot.EvidenceOrigin, error) {
	t := f.Target
	if err := checkTarget(t, bot.ActionCollectEvidence); err != nil {
		return bot.EvidenceOrigin{}, err
	}
	k, err := r.kubeFor(ctx, t)
	if err != nil {
		return bot.EvidenceOrigin{}, err
	}
	c := &collection{run: run{r: r, k: k, f: f, t: t, dry: req.DryRun}, req: req, sink: sink}
	origin, err := c.collect(ctx)
	if err != nil {
		r.forgetOnFailure(t, err)
	}
	return origin, err
}

// collection is one evidence collection from a pod.
type collection struct {
	run
	req  bot.EvidenceRequest
	sink bot.EvidenceSink
	pod  *corev1.Pod
	o    bot.EvidenceOrigin
}

func (c *collection) collect(ctx context.Context) (bot.EvidenceOrigin, error) {
	pod, err := c.readPod(ctx, rbacEvidence)
	if err != nil {
		return bot.EvidenceOrigin{}, err
	}
	if pod == nil {
		return bot.EvidenceOrigin{}, bot.Errorf(bot.ENotFound, "pod %s is gone from cluster %s: there is nothing "+
			"left in it to collect", c.podName(), c.t.Cluster)
	}
	c.pod = pod
	container, err := c.container()
	if err != nil {
		return bot.EvidenceOrigin{}, err
	}
	c.o = bot.EvidenceOrigin{Cluster: c.t.Cluster, Namespace: pod.Namespace, Pod: pod.Name, PodUID: string(pod.UID),
		Node: pod.Spec.NodeName, Container: container}
	c.o.Image, c.o.ImageDigest = imageOf(pod, container)
	if err := c.putPod(ctx); err != nil {
		return bot.EvidenceOrigin{}, err
	}
	if err := c.putLog(ctx); err != nil {
		return bot.EvidenceOrigin{}, err
	}
	if err := c.binary(ctx); err != nil {
		return bot.EvidenceOrigin{}, err
	}
	return c.o, nil
}

// container is the finding's container, or the pod's only one.
func (c *collection) container() (string, error) {
	name := c.t.Container
	if name == "" && len(c.pod.Spec.Containers) == 1 {
		name = c.pod.Spec.Containers[0].Name
	}
	if name == "" {
		return "", bot.Errorf(bot.EInvalid, "the finding names no container and pod %s has %d: sccbot cannot "+
			"tell which to read", c.podName(), len(c.pod.Spec.Containers))
	}
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return "", bot.Errorf(bot.EInvalid, "the finding's container %q is not a valid name; sccbot will not act on it",
			shorten(name))
	}
	for _, ct := range c.pod.Spec.Containers {
		if ct.Name == name {
			return name, nil
		}
	}
	return "", bot.Errorf(bot.ENotFound, "pod %s has no container %s (it may have been replaced)", c.podName(), name)
}

// imageOf returns the container's image and the digest it runs, from the
// pod's status (imageID), which is what was pulled, not what was asked.
func imageOf(pod *corev1.Pod, container string) (image, digest string) {
	for _, ct := range pod.Spec.Containers {
		if ct.Name == container {
			image = ct.Image
		}
	}
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == container {
			digest = st.ImageID
		}
	}
	return image, digest
}

func (c *collection) putPod(ctx context.Context) error {
	b, err := json.MarshalIndent(c.pod, "", "  ")
	if err != nil {
		return fmt.Errorf("encode pod %s: %w", c.podName(), err)
	}
	_, err = c.sink.Put(ctx, bot.EvidenceItem{Name: ObjectPod, ContentType: "application/json"}, bytes.NewReader(b))
	return err
}

// putLog keeps the container's latest log lines. A log the API server
// cannot give is a note, not a failure: the binary matters more.
func (c *collection) putLog(ctx context.Context) error {
	lines := c.req.LogLines
	if lines <= 0 {
		lines = 1000
	}
	cctx, cancel := context.WithTimeout(ctx, c.r.opts.Timeout)
	defer cancel()
	rc, err := c.k.core.Get().Namespace(c.o.Namespace).Resource("pods").Name(c.o.Pod).SubResource("log").
		Param("container", c.o.Container).Param("tailLines", strconv.Itoa(lines)).Param("timestamps", "true").
		Param("limitBytes", strconv.Itoa(maxLogBytes)).Stream(cctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.note("The container's log could not be read: %s", bot.ErrorMessage(translateKube(err,
			c.op("get", "pods/log", c.o.Namespace, c.o.Pod, rbacEvidence), c.r.opts.Timeout)))
		return nil
	}
	defer rc.Close()
	_, err = c.sink.Put(cctx, bot.EvidenceItem{Name: ObjectLog, ContentType: "text/plain; charset=utf-8",
		Limit: maxLogBytes}, rc)
	return err
}

func (c *collection) note(format string, args ...any) {
	c.o.Notes = append(c.o.Notes, fmt.Sprintf(format, args...))
}

// binary reads the finding's executed binary: cat, else tar, in the
// container; /proc/PID/exe through a debug container when the file is
// gone or neither tool is there.
func (c *collection) binary(ctx context.Context) error {
	p, _ := c.f.Process()
	c.o.BinaryPath = p.Binary
	if err := checkBinaryPath(p.Binary); err != nil {
		c.note("The binary was not read: %v", err)
		return nil
	}
	why, err := c.readFile(ctx)
	if err != nil || why == "" {
		return err
	}
	c.note("%s", why)
	return c.fromProc(ctx, p.PID)
}

// readFile reads the binary in the container itself. It returns why it
// could not (for the debug-container route), or an error that ends the
// collection (the sink failed, the caller gave up).
func (c *collection) readFile(ctx context.Context) (string, error) {
	path := c.o.BinaryPath
	res := c.stream(ctx, c.o.Container, []string{"cat", "--", path}, false)
	switch {
	case res.err != nil:
		return "", res.err
	case res.ok:
		c.o.Method = "cat in container " + c.o.Container
		return "", nil
	case res.missing:
		return fmt.Sprintf("%s is gone from the container's file system", path), nil
	case !res.noTool:
		c.note("cat %s failed in container %s: %s", path, c.o.Container, res.reason)
		return "", nil
	}
	res = c.stream(ctx, c.o.Container, []string{"tar", "-chf", "-", path}, true)
	switch {
	case res.err != nil:
		return "", res.err
	case res.ok:
		c.o.Method = "tar in container " + c.o.Container
		return "", nil
	case res.missing:
		return fmt.Sprintf("%s is gone from the container's file system", path), nil
	case res.noTool:
		return fmt.Sprintf("container %s has neither cat nor tar to read %s with", c.o.Container, path), nil
	}
	c.note("tar %s failed in container %s: %s", path, c.o.Container, res.reason)
	return "", nil
}

// fromProc reads /proc/PID/exe, the executable the process runs even if
// its file was deleted, from an ephemeral debug container that shares
// the target container's process namespace.
func (c *collection) fromProc(ctx context.Context, pid int64) error {
	switch {
	case c.r.opts.DebugImage == "":
		c.note("Reading /proc/PID/exe through an ephemeral debug container is turned off (evidence.debug_image); " +
			"the binary was not collected")
		return nil
	case pid <= 0:
		c.note("The finding names no process id, so /proc/PID/exe cannot be read; the binary was not collected")
		return nil
	case c.dry:
		c.note("A dry run adds no debug container: /proc/%d/exe would be read through ephemeral container %s "+
			"(image %s) targeting container %s", pid, debugName(c.f), c.r.opts.DebugImage, c.o.Container)
		return nil
	}
	name, err := c.ensureDebugContainer(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.note("No debug container could be started, so /proc/%d/exe was not read: %s", pid, bot.ErrorMessage(err))
		return nil
	}
	proc := "/proc/" + strconv.FormatInt(pid, 10) + "/exe"
	res := c.stream(ctx, name, []string{"cat", "--", proc}, false)
	switch {
	case res.err != nil:
		return res.err
	case res.ok:
		c.o.Method = fmt.Sprintf("%s through ephemeral container %s targeting %s", proc, name, c.o.Container)
		c.o.BinaryPath = proc
	case res.missing:
		c.note("Process %d is no longer running in container %s; the binary was not collected", pid, c.o.Container)
	default:
		c.note("Reading %s in debug container %s failed: %s", proc, name, res.reason)
	}
	return nil
}

// readResult is what one attempt at reading the binary came to.
type readResult struct {
	ok      bool
	missing bool   // the file (or process) does not exist
	noTool  bool   // the command is not in the image
	reason  string // why it failed otherwise, for people
	err     error  // the collection must stop
}

// stream runs argv in container and streams its output (or, with
// untar, the first file in the tar archive it writes) into the sink as
// the binary, cut at the limit. When the sink has what it wants (the
// limit was reached) the exec is cancelled.
func (c *collection) stream(ctx context.Context, container string, argv []string, untar bool) readResult {
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan execOutcome, 1)
	go func() {
		stderr, err := c.k.execIn(ectx, c.o.Namespace, c.o.Pod, container, argv, pw)
		pw.CloseWithError(err) // nil: the reader sees io.EOF
		done <- execOutcome{stderr: stderr, err: err}
	}()
	var src io.Reader = pr
	if untar {
		src = &untarReader{r: pr}
	}
	item := bot.EvidenceItem{Name: ObjectBinary, ContentType: "application/octet-stream", Limit: c.req.BinaryLimit}
	obj, putErr := c.sink.Put(ectx, item, src)
	cancel()
	pr.CloseWithError(errCollected)
	out := <-done
	if putErr == nil {
		c.o.Binary = &obj
		return readResult{ok: true}
	}
	return c.classify(ctx, argv, out, putErr)
}

// errCollected ends an exec whose output is no longer wanted.
var errCollected = errors.New("sccbot has what it needs from this stream")

type execOutcome struct {
	stderr string
	err    error
}

// classify explains a failed read. The exec's own error says more than
// the sink's, which only saw the stream end.
func (c *collection) classify(ctx context.Context, argv []string, out execOutcome, putErr error) readResult {
	if ctx.Err() != nil {
		return readResult{err: fmt.Errorf("read %s in pod %s: %w", argv[len(argv)-1], c.podName(), ctx.Err())}
	}
	var se *bot.SourceError
	if !errors.As(putErr, &se) {
		return readResult{err: putErr} // the store failed: stop
	}
	execErr := out.err
	if execErr == nil {
		return readResult{reason: se.Err.Error()}
	}
	msg := out.stderr + " " + execErr.Error()
	switch {
	case containsAny(msg, "No such file", "no such file", "No such process"):
		return readResult{missing: true}
	case containsAny(msg, "executable file not found", "not found in $PATH") || exitCode(execErr) == 126 ||
		exitCode(execErr) == 127:
		return readResult{noTool: true}
	case apierrors.IsForbidden(execErr):
		return readResult{reason: bot.ErrorMessage(translateKube(execErr,
			c.op("create", "pods/exec", c.o.Namespace, c.o.Pod, rbacEvidence), c.r.opts.Timeout))}
	}
	c.r.log.WarnContext(ctx, "evidence read failed", "pod", c.podName(), "argv", argv, "stderr", out.stderr,
		"error", execErr)
	reason := execErr.Error()
	if out.stderr != "" {
		reason = out.stderr
	}
	return readResult{reason: shorten(reason)}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// exitCode is the exit status of a command that ran, or -1.
func exitCode(err error) int {
	var ee utilexec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitStatus()
	}
	return -1
}

// untarReader yields the content of the first regular file in the tar
// archive r holds: what `tar -chf - PATH` writes for one file.
type untarReader struct {
	r  io.Reader
	tr *tar.Reader
}

func (u *untarReader) Read(p []byte) (int, error) {
	if u.tr == nil {
		tr := tar.NewReader(u.r)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return 0, errors.New("tar wrote no regular file")
			}
			if err != nil {
				return 0, fmt.Errorf("read tar output: %w", err)
			}
			if h.Typeflag == tar.TypeReg {
				break
			}
		}
		u.tr = tr
	}
	return u.tr.Read(p)
}
