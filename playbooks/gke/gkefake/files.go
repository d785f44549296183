package gkefake

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"slices"
	"time"
)

// File is what a path in a fake container holds: Data, or Size bytes
// from Open (for files too large to keep, or generated on the fly).
type File struct {
	Data []byte
	Size int64
	Open func() io.Reader
}

func (f File) size() int64 {
	if f.Open != nil {
		return f.Size
	}
	return int64(len(f.Data))
}

func (f File) reader() io.Reader {
	if f.Open != nil {
		return io.LimitReader(f.Open(), f.Size)
	}
	return bytes.NewReader(f.Data)
}

// PatternFile is a file of size bytes of deterministic noise derived from
// seed, generated as it is read: a 1 GiB binary costs no memory.
func PatternFile(seed string, size int64) File {
	return File{Size: size, Open: func() io.Reader { return &pattern{seed: sha256.Sum256([]byte(seed))} }}
}

// PatternBytes is PatternFile's content in memory.
func PatternBytes(seed string, size int) []byte {
	b, _ := io.ReadAll(PatternFile(seed, int64(size)).reader()) // never fails
	return b
}

// pattern is SHA-256 in counter mode: block i is SHA-256(seed || i).
type pattern struct {
	seed  [32]byte
	n     uint64
	block []byte
}

func (p *pattern) Read(b []byte) (int, error) {
	total := 0
	for len(b) > 0 {
		if len(p.block) == 0 {
			var in [40]byte
			copy(in[:], p.seed[:])
			binary.BigEndian.PutUint64(in[32:], p.n)
			sum := sha256.Sum256(in[:])
			p.block = sum[:]
			p.n++
		}
		n := copy(b, p.block)
		p.block, b, total = p.block[n:], b[n:], total+n
	}
	return total, nil
}

type containerKey struct{ ns, pod, container string }

// box is the inside of a fake container: its files, the executables of
// its processes (what /proc/PID/exe reads, even after the file is
// deleted), which of cat and tar its image has, and its log.
type box struct {
	files map[string]File
	procs map[int64]File
	noCat bool
	noTar bool
	log   string
}

// Exec is one exec the fake ran.
type Exec struct {
	Namespace, Pod, Container string
	// Command is the argument vector as the API server received it.
	Command []string
	// Protocol is the negotiated streaming protocol.
	Protocol string
}

// boxOf returns the container's box, creating it; the caller holds mu.
func (k *KubeAPI) boxOf(ns, pod, container string) *box {
	key := containerKey{ns, pod, container}
	b, ok := k.boxes[key]
	if !ok {
		b = &box{files: map[string]File{}, procs: map[int64]File{}}
		k.boxes[key] = b
	}
	return b
}

// SetFile makes path in the container hold f.
func (k *KubeAPI) SetFile(ns, pod, container, path string, f File) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.boxOf(ns, pod, container).files[path] = f
}

// RemoveFile deletes path from the container, as an attacker covering
// their tracks would; a process started from it still runs it.
func (k *KubeAPI) RemoveFile(ns, pod, container, path string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.boxOf(ns, pod, container).files, path)
}

// SetProcess runs a process pid in the container whose executable is exe.
func (k *KubeAPI) SetProcess(ns, pod, container string, pid int64, exe File) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.boxOf(ns, pod, container).procs[pid] = exe
}

// SetTools says whether the container's image has cat and tar (by
// default it has both).
func (k *KubeAPI) SetTools(ns, pod, container string, cat, tar bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.boxOf(ns, pod, container)
	b.noCat, b.noTar = !cat, !tar
}

// SetLog sets the container's log.
func (k *KubeAPI) SetLog(ns, pod, container, text string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.boxOf(ns, pod, container).log = text
}

// SetStreamDelay pauses d before each chunk an exec writes: a slow stream.
func (k *KubeAPI) SetStreamDelay(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.streamDelay = d
}

// Execs returns the execs run so far, oldest first.
func (k *KubeAPI) Execs() []Exec {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.execs)
}

// RefuseWebSocket makes the exec subresource answer WebSocket upgrades
// with 400, as an API server or proxy that does not speak it would: the
// client then falls back to SPDY, which the fake serves.
func (k *KubeAPI) RefuseWebSocket(refuse bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.noWebSocket = refuse
}
