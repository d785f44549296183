package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// sink is a resumable-upload endpoint of the JSON API that keeps nothing:
// it counts and checksums what arrives, so that a measurement of memory
// sees the client side only. fake-gcs-server keeps every object in
// memory, which would hide what sccbot itself holds.
type sink struct {
	mu   sync.Mutex
	n    int64
	crc  uint32
	name string
	// lie makes it report a CRC32C other than the one of what it got.
	lie bool
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("upload_id") == "1":
		s.chunk(w, r)
	case r.Method == http.MethodPost && q.Get("uploadType") == "resumable":
		s.name = q.Get("name")
		w.Header().Set("Location", "http://"+r.Host+r.URL.Path+"?uploadType=resumable&upload_id=1")
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusBadRequest)
	}
}

func (s *sink) chunk(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Body.Read(buf)
		s.crc = crc32.Update(s.crc, castagnoli, buf[:n])
		s.n += int64(n)
		if err != nil {
			break
		}
	}
	if strings.HasSuffix(r.Header.Get("Content-Range"), "/*") {
		// What Google's endpoint answers a client that sends
		// X-GUploader-No-308: 200 with the status in a header.
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", s.n-1))
		w.Header().Set("X-Http-Status-Code-Override", "308")
		w.WriteHeader(http.StatusOK)
		return
	}
	var c [4]byte
	crc := s.crc
	if s.lie {
		crc++
	}
	binary.BigEndian.PutUint32(c[:], crc)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"bucket": testBucket, "name": s.name, "size": fmt.Sprint(s.n),
		"crc32c": base64.StdEncoding.EncodeToString(c[:]), "generation": "1"})
}

// noise yields size bytes of SHA-256 counter-mode noise without holding
// them.
type noise struct {
	left  int64
	n     uint64
	block []byte
}

func (z *noise) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	total := 0
	for len(p) > 0 && z.left > 0 {
		if len(z.block) == 0 {
			var in [8]byte
			binary.BigEndian.PutUint64(in[:], z.n)
			sum := sha256.Sum256(in[:])
			z.block, z.n = sum[:], z.n+1
		}
		n := min(len(p), len(z.block), int(min(z.left, 1<<30)))
		copy(p, z.block[:n])
		z.block, p, z.left, total = z.block[n:], p[n:], z.left-int64(n), total+n
	}
	return total, nil
}

// peakHeap samples the live heap until stop is closed and returns the
// highest value seen.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// BenchmarkCreate1GiB streams 1 GiB through Store.Create with the real
// client library to an upload endpoint that keeps nothing, and reports
// how far the live heap rose above where it started.
//
//	go test -run '^$' -bench Create1GiB -benchtime 1x ./bot/evidence
func BenchmarkCreate1GiB(b *testing.B) {
	const size = 1 << 30
	up := &sink{}
	srv := httptest.NewServer(up)
	defer srv.Close()
	b.Setenv("STORAGE_EMULATOR_HOST", srv.URL)
	s, closeFn, err := Dial(context.Background(), testBucket, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer closeFn()
	b.SetBytes(size)
	for i := 0; i < b.N; i++ {
		*up = sink{}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := make(chan struct{})
		peak := peakHeap(stop)
		obj, err := s.Create(context.Background(), fmt.Sprintf("evidence/bench/%d", i), "application/octet-stream",
			&noise{left: size})
		close(stop)
		if err != nil {
			b.Fatal(err)
		}
		if obj.Size != size || up.n != size {
			b.Fatalf("wrote %d, endpoint got %d", obj.Size, up.n)
		}
		rise := float64(<-peak) - float64(before.HeapAlloc)
		b.ReportMetric(rise/(1<<20), "peak-heap-rise-MiB")
	}
}

// An object the service reports with another CRC32C than what was sent
// is an error, not a success.
func TestCreateChecksCRC32C(t *testing.T) {
	up := &sink{lie: true}
	srv := httptest.NewServer(up)
	defer srv.Close()
	t.Setenv("STORAGE_EMULATOR_HOST", srv.URL)
	s, closeFn, err := Dial(context.Background(), testBucket, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	_, err = s.Create(context.Background(), "evidence/x/binary", "application/octet-stream", &noise{left: 3 << 20})
	if bot.ErrorCode(err) != bot.EInternal || !strings.Contains(bot.ErrorMessage(err), "do not trust that object") {
		t.Fatalf("err = %v, want the CRC32C mismatch said", err)
	}
}
