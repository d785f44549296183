package gke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
)

// memSink keeps what a collection stores, hashing and cutting as the
// real sink does, and records every Put (a failed one too).
type memSink struct {
	mu      sync.Mutex
	objects map[string][]byte
	objs    map[string]bot.EvidenceObject
	puts    []string
}

func newMemSink() *memSink {
	return &memSink{objects: map[string][]byte{}, objs: map[string]bot.EvidenceObject{}}
}

func (s *memSink) Put(_ context.Context, item bot.EvidenceItem, r io.Reader) (bot.EvidenceObject, error) {
	s.mu.Lock()
	s.puts = append(s.puts, item.Name)
	s.mu.Unlock()
	if item.Limit > 0 {
		r = io.LimitReader(r, item.Limit+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return bot.EvidenceObject{}, &bot.SourceError{Err: err}
	}
	obj := bot.EvidenceObject{Name: item.Name, ContentType: item.ContentType}
	if item.Limit > 0 && int64(len(b)) > item.Limit {
		b, obj.Truncated = b[:item.Limit], true
	}
	sum := sha256.Sum256(b)
	obj.Size, obj.SHA256 = int64(len(b)), hex.EncodeToString(sum[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.objects[item.Name]; dup {
		return bot.EvidenceObject{}, bot.Errorf(bot.EConflict, "object %s exists", item.Name)
	}
	s.objects[item.Name], s.objs[item.Name] = b, obj
	return obj, nil
}

func (s *memSink) object(t *testing.T, name string) []byte {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.objects[name]
	if !ok {
		t.Fatalf("no object %q; have %v", name, s.puts)
	}
	return b
}

func (s *memSink) has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.objects[name]
	return ok
}

// evidenceFinding is the seed finding with its process.
func evidenceFinding(path string) bot.Finding {
	f := seedFinding()
	f.Processes = []bot.Process{{Name: "gcc", Binary: path, SHA256: gkefake.SeedBinarySHA256, PID: gkefake.SeedPID}}
	return f
}

func (e *env) collect(t *testing.T, f bot.Finding, req bot.EvidenceRequest) (*memSink, bot.EvidenceOrigin) {
	t.Helper()
	sink := newMemSink()
	if req.BinaryLimit == 0 {
		req.BinaryLimit = 256 << 20
	}
	o, err := e.resp.CollectEvidence(context.Background(), f, req, sink)
	if err != nil {
		t.Fatalf("CollectEvidence: %v", err)
	}
	return sink, o
}

func wantExecs(t *testing.T, kube *gkefake.KubeAPI, want ...[]string) []gkefake.Exec {
	t.Helper()
	execs := kube.Execs()
	var got [][]string
	for _, x := range execs {
		got = append(got, x.Command)
		if x.Protocol != "v5.channel.k8s.io" {
			t.Errorf("exec %q negotiated %q, want v5.channel.k8s.io", x.Command, x.Protocol)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("exec argument vectors (-want +got):\n%s", diff)
	}
	return execs
}

func TestCollectEvidenceWithCat(t *testing.T) {
	e := newEnv(t, Options{DebugImage: "busybox:1.37"})
	sink, o := e.collect(t, evidenceFinding(gkefake.SeedBinaryPath), bot.EvidenceRequest{})

	if got := sink.object(t, ObjectBinary); !bytes.Equal(got, gkefake.SeedBinary()) {
		t.Errorf("binary: %d bytes, want the container's %d", len(got), len(gkefake.SeedBinary()))
	}
	if o.Binary == nil || o.Binary.SHA256 != gkefake.SeedBinarySHA256 || o.Binary.Truncated {
		t.Errorf("binary object = %+v, want sha %s", o.Binary, gkefake.SeedBinarySHA256)
	}
	execs := wantExecs(t, e.kube, []string{"cat", "--", gkefake.SeedBinaryPath})
	if execs[0].Container != gkefake.SeedContainer {
		t.Errorf("exec container = %q", execs[0].Container)
	}
	var pod corev1.Pod
	if err := json.Unmarshal(sink.object(t, ObjectPod), &pod); err != nil || pod.Name != gkefake.SeedPod {
		t.Errorf("pod.json: %v, name %q", err, pod.Name)
	}
	if log := string(sink.object(t, ObjectLog)); !strings.Contains(log, "compiling plugin cache") {
		t.Errorf("container.log = %q", log)
	}
	want := bot.EvidenceOrigin{Cluster: gkefake.SeedCluster, Namespace: gkefake.SeedNamespace, Pod: gkefake.SeedPod,
		PodUID: string(pod.UID), Node: gkefake.SeedNode, Container: gkefake.SeedContainer, Image: gkefake.SeedImage,
		ImageDigest: gkefake.SeedImageID, BinaryPath: gkefake.SeedBinaryPath, Method: "cat in container checkout"}
	o.Binary = nil
	if diff := cmp.Diff(want, o); diff != "" || pod.UID == "" {
		t.Errorf("origin (-want +got):\n%s", diff)
	}
}

// Everything in the path travels as one argv element: quotes, spaces,
// $(), ; and a leading-dash-looking name reach the container literally.
func TestCollectEvidenceHostilePathIsOneArgument(t *testing.T) {
	e := newEnv(t, Options{})
	path := `/tmp/.x/a'b" $(id);rm -rf / *`
	e.kube.SetFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, path, gkefake.File{Data: []byte("payload")})
	sink, _ := e.collect(t, evidenceFinding(path), bot.EvidenceRequest{})
	wantExecs(t, e.kube, []string{"cat", "--", path})
	if got := string(sink.object(t, ObjectBinary)); got != "payload" {
		t.Errorf("binary = %q", got)
	}
}

func TestCollectEvidenceRefusesHostilePaths(t *testing.T) {
	for _, path := range []string{
		"/usr/bin/../../etc/shadow", "usr/bin/gcc", "/usr/bin/gcc\nrm -rf /", "/usr/bin/gcc\x00.txt",
		"/usr/./bin/gcc", "//usr/bin/gcc", "/usr/bin/gcc/", "/usr/bin/\u202egcc", "/usr/bin/\xffgcc", "",
	} {
		t.Run(path, func(t *testing.T) {
			e := newEnv(t, Options{DebugImage: "busybox:1.37"})
			sink, o := e.collect(t, evidenceFinding(path), bot.EvidenceRequest{})
			wantExecs(t, e.kube)
			if sink.has(ObjectBinary) || o.Binary != nil {
				t.Error("a binary was stored")
			}
			contains(t, "notes", o.Notes, "The binary was not read")
			if !sink.has(ObjectPod) {
				t.Error("the pod's spec was not kept")
			}
		})
	}
}

// The file is gone from disk: the binary comes from /proc/PID/exe in an
// ephemeral container that targets the suspect container.
func TestCollectEvidenceFileGoneUsesDebugContainer(t *testing.T) {
	e := newEnv(t, Options{DebugImage: "busybox:1.37"})
	e.kube.RemoveFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, gkefake.SeedBinaryPath)
	f := evidenceFinding(gkefake.SeedBinaryPath)
	sink, o := e.collect(t, f, bot.EvidenceRequest{})

	name := debugName(f)
	proc := "/proc/48213/exe"
	execs := wantExecs(t, e.kube, []string{"cat", "--", gkefake.SeedBinaryPath}, []string{"cat", "--", proc})
	if execs[1].Container != name {
		t.Errorf("second exec in %q, want the debug container %q", execs[1].Container, name)
	}
	if !bytes.Equal(sink.object(t, ObjectBinary), gkefake.SeedBinary()) {
		t.Error("binary is not the process's executable")
	}
	pod, _ := e.kube.Pod(gkefake.SeedNamespace, gkefake.SeedPod)
	if len(pod.Spec.EphemeralContainers) != 1 {
		t.Fatalf("ephemeral containers = %+v", pod.Spec.EphemeralContainers)
	}
	ec := pod.Spec.EphemeralContainers[0]
	if ec.Name != name || ec.TargetContainerName != gkefake.SeedContainer || ec.Image != "busybox:1.37" {
		t.Errorf("ephemeral container = %+v", ec)
	}
	contains(t, "notes", o.Notes, "is gone from the container's file system")
	if !strings.Contains(o.Method, "ephemeral container "+name) || o.BinaryPath != proc {
		t.Errorf("method %q, path %q", o.Method, o.BinaryPath)
	}

	// A second collection reuses the debug container.
	e.collect(t, f, bot.EvidenceRequest{})
	pod, _ = e.kube.Pod(gkefake.SeedNamespace, gkefake.SeedPod)
	if len(pod.Spec.EphemeralContainers) != 1 {
		t.Errorf("second collection added another debug container: %d", len(pod.Spec.EphemeralContainers))
	}
}

func TestCollectEvidenceWithoutCat(t *testing.T) {
	e := newEnv(t, Options{DebugImage: "busybox:1.37"})
	e.kube.SetTools(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, false, true)
	sink, o := e.collect(t, evidenceFinding(gkefake.SeedBinaryPath), bot.EvidenceRequest{})
	wantExecs(t, e.kube, []string{"cat", "--", gkefake.SeedBinaryPath}, []string{"tar", "-chf", "-", gkefake.SeedBinaryPath})
	if !bytes.Equal(sink.object(t, ObjectBinary), gkefake.SeedBinary()) {
		t.Error("binary read through tar differs from the container's")
	}
	if o.Method != "tar in container checkout" {
		t.Errorf("method = %q", o.Method)
	}
}

func TestCollectEvidenceWithoutCatOrTar(t *testing.T) {
	for _, debug := range []string{"busybox:1.37", ""} {
		t.Run("debug="+debug, func(t *testing.T) {
			e := newEnv(t, Options{DebugImage: debug})
			e.kube.SetTools(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, false, false)
			sink, o := e.collect(t, evidenceFinding(gkefake.SeedBinaryPath), bot.EvidenceRequest{})
			contains(t, "notes", o.Notes, "container checkout has neither cat nor tar")
			if debug == "" {
				contains(t, "notes", o.Notes, "turned off (evidence.debug_image)")
				if sink.has(ObjectBinary) {
					t.Error("binary stored without a way to read it")
				}
				return
			}
			if !bytes.Equal(sink.object(t, ObjectBinary), gkefake.SeedBinary()) {
				t.Error("binary from /proc/PID/exe differs")
			}
		})
	}
}

func TestCollectEvidenceDryRunAddsNoDebugContainer(t *testing.T) {
	e := newEnv(t, Options{DebugImage: "busybox:1.37"})
	e.kube.RemoveFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, gkefake.SeedBinaryPath)
	_, o := e.collect(t, evidenceFinding(gkefake.SeedBinaryPath), bot.EvidenceRequest{DryRun: true})
	for _, c := range e.kube.Calls() {
		if c.Method != http.MethodGet {
			t.Errorf("dry run made %s %s", c.Method, c.Path)
		}
	}
	contains(t, "notes", o.Notes, "A dry run adds no debug container")
}

func TestCollectEvidenceDebugContainerForbidden(t *testing.T) {
	e := newEnv(t, Options{DebugImage: "busybox:1.37"})
	e.kube.RemoveFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, gkefake.SeedBinaryPath)
	e.kube.FailNext(http.MethodPut, podPath+"/ephemeralcontainers", http.StatusForbidden, 1)
	sink, o := e.collect(t, evidenceFinding(gkefake.SeedBinaryPath), bot.EvidenceRequest{})
	contains(t, "notes", o.Notes, "may not update pods/ephemeralcontainers")
	if sink.has(ObjectBinary) {
		t.Error("binary stored")
	}
}

// A large binary is cut at the limit: exactly the first Limit bytes.
func TestCollectEvidenceCutAtLimit(t *testing.T) {
	e := newEnv(t, Options{})
	big := gkefake.PatternFile("big", 64<<20)
	e.kube.SetFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, gkefake.SeedBinaryPath, big)
	sink, o := e.collect(t, evidenceFinding(gkefake.SeedBinaryPath), bot.EvidenceRequest{BinaryLimit: 1 << 20})
	want := gkefake.PatternBytes("big", 1<<20)
	if got := sink.object(t, ObjectBinary); !bytes.Equal(got, want) {
		t.Errorf("cut binary: %d bytes, want the first %d", len(got), len(want))
	}
	if o.Binary == nil || !o.Binary.Truncated {
		t.Errorf("binary = %+v, want truncated", o.Binary)
	}
}

// A stream slower than the deadline ends with the deadline, not a hang.
func TestCollectEvidenceSlowStreamTimesOut(t *testing.T) {
	e := newEnv(t, Options{})
	e.kube.SetStreamDelay(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := e.resp.CollectEvidence(ctx, evidenceFinding(gkefake.SeedBinaryPath),
		bot.EvidenceRequest{BinaryLimit: 1 << 20}, newMemSink())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

func TestCollectEvidencePodGone(t *testing.T) {
	e := newEnv(t, Options{})
	f := evidenceFinding(gkefake.SeedBinaryPath)
	f.Target.Pod = "checkout-gone"
	_, err := e.resp.CollectEvidence(context.Background(), f, bot.EvidenceRequest{}, newMemSink())
	var be *bot.Error
	if !errors.As(err, &be) {
		t.Fatalf("err = %v", err)
	}
	wantCode(t, be, bot.ENotFound, "is gone", "nothing left")
}

// An API server that refuses the WebSocket upgrade gets the SPDY
// executor's POST next, as kubectl's fallback does, and the binary
// arrives all the same.
func TestCollectEvidenceFallsBackToSPDY(t *testing.T) {
	e := newEnv(t, Options{})
	e.kube.RefuseWebSocket(true)
	sink, o := e.collect(t, evidenceFinding(gkefake.SeedBinaryPath), bot.EvidenceRequest{})
	var execs []string
	for _, c := range e.kube.Calls() {
		if strings.HasSuffix(c.Path, "/exec") {
			execs = append(execs, c.Method)
		}
	}
	if diff := cmp.Diff([]string{"GET", "POST"}, execs); diff != "" {
		t.Errorf("exec attempts (-want +got):\n%s", diff)
	}
	if !bytes.Equal(sink.object(t, ObjectBinary), gkefake.SeedBinary()) || o.Binary.SHA256 != gkefake.SeedBinarySHA256 {
		t.Error("the binary read over SPDY differs from the container's")
	}
	if x := e.kube.Execs(); len(x) != 1 || x[0].Protocol != "SPDY/3.1 v4.channel.k8s.io" {
		t.Errorf("execs = %+v", x)
	}
}

// Over SPDY too, a missing file is told apart (exit status on the error
// stream) and leads to the debug container.
func TestCollectEvidenceSPDYMissingFile(t *testing.T) {
	e := newEnv(t, Options{DebugImage: "busybox:1.37"})
	e.kube.RefuseWebSocket(true)
	e.kube.RemoveFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, gkefake.SeedBinaryPath)
	sink, o := e.collect(t, evidenceFinding(gkefake.SeedBinaryPath), bot.EvidenceRequest{})
	contains(t, "notes", o.Notes, "is gone from the container's file system")
	if !bytes.Equal(sink.object(t, ObjectBinary), gkefake.SeedBinary()) {
		t.Error("binary from /proc/PID/exe over SPDY differs")
	}
}
