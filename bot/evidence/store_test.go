package evidence

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/sccbot/sccbot/bot"
)

const testBucket = "sccbot-evidence-test"

// newFake starts fake-gcs-server (the JSON API, over HTTP on a free port)
// with the evidence bucket, and a Store on the real client that reaches
// it through STORAGE_EMULATOR_HOST, as sccbot demo does.
func newFake(t *testing.T, opts Options) (*fakestorage.Server, *Store) {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0,
		Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: testBucket})
	t.Setenv("STORAGE_EMULATOR_HOST", srv.URL())
	s, closeFn, err := Dial(context.Background(), testBucket, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return srv, s
}

func stored(t *testing.T, srv *fakestorage.Server, name string) fakestorage.Object {
	t.Helper()
	obj, err := srv.GetObject(testBucket, name)
	if err != nil {
		t.Fatalf("object %s: %v", name, err)
	}
	return obj
}

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// A streamed object spans several chunks; what the bucket holds is what
// was sent, and its CRC32C is the one the service computed.
func TestCreateStreamsInChunks(t *testing.T) {
	srv, s := newFake(t, Options{ChunkSize: 256 << 10})
	data := random(t, 1<<20+12345)
	obj, err := s.Create(context.Background(), "evidence/x/binary", "application/octet-stream", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if obj.URL != "gs://"+testBucket+"/evidence/x/binary" || obj.Size != int64(len(data)) {
		t.Errorf("object = %+v", obj)
	}
	got := stored(t, srv, "evidence/x/binary")
	if !bytes.Equal(got.Content, data) {
		t.Errorf("bucket holds %d bytes, want the %d sent", len(got.Content), len(data))
	}
	if got.ContentType != "application/octet-stream" {
		t.Errorf("content type = %q", got.ContentType)
	}
}

func TestCreateBytesDeclaresCRC32C(t *testing.T) {
	srv, s := newFake(t, Options{})
	obj, err := s.CreateBytes(context.Background(), "evidence/x/manifest.json", "application/json", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := stored(t, srv, obj.Name); string(got.Content) != `{"a":1}` || got.Crc32c == "" {
		t.Errorf("stored %q crc32c %q", got.Content, got.Crc32c)
	}
}

// A second write of the same name is refused, whichever way it comes,
// and the first object stays as it was.
func TestCreateNeverOverwrites(t *testing.T) {
	srv, s := newFake(t, Options{})
	ctx := context.Background()
	if _, err := s.Create(ctx, "evidence/x/binary", "application/octet-stream", bytes.NewReader([]byte("first"))); err != nil {
		t.Fatal(err)
	}
	_, err1 := s.Create(ctx, "evidence/x/binary", "application/octet-stream", bytes.NewReader([]byte("second")))
	_, err2 := s.CreateBytes(ctx, "evidence/x/binary", "application/octet-stream", []byte("third"))
	for _, err := range []error{err1, err2} {
		if bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("second write: %v, want %s", err, bot.EConflict)
		}
	}
	if got := stored(t, srv, "evidence/x/binary"); string(got.Content) != "first" {
		t.Errorf("object now holds %q", got.Content)
	}
}

type failingReader struct{ n int }

var errBroken = errors.New("stream broke")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errBroken
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

// When the source fails mid-stream nothing is written, and the error
// says it was the source.
func TestCreateAbandonsOnSourceError(t *testing.T) {
	srv, s := newFake(t, Options{ChunkSize: 256 << 10})
	_, err := s.Create(context.Background(), "evidence/x/binary", "application/octet-stream", &failingReader{n: 600 << 10})
	var se *bot.SourceError
	if !errors.As(err, &se) || !errors.Is(err, errBroken) {
		t.Fatalf("err = %v, want a SourceError wrapping the reader's", err)
	}
	if _, err := srv.GetObject(testBucket, "evidence/x/binary"); err == nil {
		t.Error("a partial object was written")
	}
}

func TestMissingBucket(t *testing.T) {
	newFake(t, Options{})
	s2 := New(clientOf(t), "no-such-bucket", Options{})
	_, err := s2.CreateBytes(context.Background(), "x", "text/plain", []byte("x"))
	if bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("err = %v, want %s", err, bot.ENotFound)
	}
	if _, err := s2.Bucket(context.Background()); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("Bucket: %v", err)
	}
}

func TestBucketWithoutRetention(t *testing.T) {
	_, s := newFake(t, Options{})
	b, err := s.Bucket(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != testBucket || b.RetentionPeriod != 0 {
		t.Errorf("bucket = %+v", b)
	}
}

func clientOf(t *testing.T) *storage.Client {
	t.Helper()
	c, err := storage.NewClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
