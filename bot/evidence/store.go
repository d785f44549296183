// Package evidence is sccbot's evidence bucket on Cloud Storage: it
// writes each object of a collection once, streaming, with CRC32C checks
// and a does-not-exist precondition, so that nothing already kept is ever
// replaced. The client honours STORAGE_EMULATOR_HOST (tests, the demo).
package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/sccbot/sccbot/bot"
)

// RoleObjectCreator is the narrowest role that lets sccbot write new
// objects (and no more: it cannot read, replace or delete them).
const RoleObjectCreator = "roles/storage.objectCreator"

// DefaultChunkSize is how much of an object is buffered per upload
// request. It bounds the memory one upload takes, whatever the object's
// size: BenchmarkCreate1GiB measured a peak heap rise of about 9 MiB for
// a 1 GiB object with 2 MiB chunks (6.7 MiB with 256 KiB chunks, 13 MiB
// with 4 MiB; the rest is the transport and garbage not yet collected).
// The library's default, 16 MiB, would cost far more for nothing: the
// bottleneck is the exec stream, not the upload's round trips.
const DefaultChunkSize = 2 << 20

// Options configures a Store.
type Options struct {
	Logger *slog.Logger
	// ChunkSize is the resumable upload's chunk (default DefaultChunkSize,
	// rounded up by the library to a multiple of 256 KiB).
	ChunkSize int
}

// Store writes evidence objects to one bucket.
type Store struct {
	bucket *storage.BucketHandle
	name   string
	chunk  int
	log    *slog.Logger
}

// Dial opens a Cloud Storage client for bucket. With STORAGE_EMULATOR_HOST
// set the library talks to the emulator, without credentials. The
// returned func closes the client.
func Dial(ctx context.Context, bucket string, opts Options, clientOpts ...option.ClientOption) (*Store, func() error, error) {
	c, err := storage.NewClient(ctx, clientOpts...)
	if err != nil {
		return nil, nil, fmt.Errorf("cloud storage client: %w", err)
	}
	return New(c, bucket, opts), c.Close, nil
}

// New returns a Store on client for bucket.
func New(client *storage.Client, bucket string, opts Options) *Store {
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{bucket: client.Bucket(bucket), name: bucket, chunk: opts.ChunkSize, log: opts.Logger}
}

// URL is where an object is: gs://bucket/name.
func (s *Store) URL(name string) string { return "gs://" + s.name + "/" + name }

// Bucket reads the bucket's retention policy, so that the manifest can
// say how long the evidence is kept. sccbot never deletes or replaces an
// object, so a policy (even a locked one) never stands in its way.
func (s *Store) Bucket(ctx context.Context) (bot.EvidenceBucket, error) {
	attrs, err := s.bucket.Attrs(ctx)
	if err != nil {
		return bot.EvidenceBucket{}, s.translate(err, "read the retention policy of bucket "+s.name,
			"a role with storage.buckets.get (roles/storage.legacyBucketReader has it)")
	}
	b := bot.EvidenceBucket{Name: s.name}
	if rp := attrs.RetentionPolicy; rp != nil {
		b.RetentionPeriod, b.RetentionLocked = rp.RetentionPeriod, rp.IsLocked
	}
	return b, nil
}

// Create writes a new object name with what r yields, streaming: memory
// stays at one chunk whatever the size. It never replaces an object (a
// does-not-exist precondition; EConflict if name exists). The library
// sends the object's CRC32C with the last chunk, so the service refuses
// bytes that changed on the way; Create also compares the CRC32C the
// service reports with its own. If r fails, the upload is abandoned and
// nothing is written; the error is a *bot.SourceError.
func (s *Store) Create(ctx context.Context, name, contentType string, r io.Reader) (bot.EvidenceObject, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := s.writer(ctx, name, contentType)
	w.ChunkSize = s.chunk
	crc := crc32.New(castagnoli)
	src := &sourceReader{r: r}
	n, err := io.Copy(w, io.TeeReader(src, crc))
	if err != nil {
		cancel() // abandons the upload: nothing is created
		_ = w.Close()
		if src.err != nil {
			return bot.EvidenceObject{}, &bot.SourceError{Err: src.err}
		}
		return bot.EvidenceObject{}, s.translate(err, "write "+s.URL(name), RoleObjectCreator)
	}
	return s.finish(w, name, n, crc.Sum32())
}

// CreateBytes writes a small object held in memory, with its CRC32C
// declared before the first byte: the service checks the whole object.
func (s *Store) CreateBytes(ctx context.Context, name, contentType string, b []byte) (bot.EvidenceObject, error) {
	w := s.writer(ctx, name, contentType)
	w.ChunkSize = 0 // one request
	w.CRC32C, w.SendCRC32C = crc32.Checksum(b, castagnoli), true
	if _, err := io.Copy(w, bytes.NewReader(b)); err != nil {
		_ = w.Close()
		return bot.EvidenceObject{}, s.translate(err, "write "+s.URL(name), RoleObjectCreator)
	}
	return s.finish(w, name, int64(len(b)), w.CRC32C)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (s *Store) writer(ctx context.Context, name, contentType string) *storage.Writer {
	w := s.bucket.Object(name).If(storage.Conditions{DoesNotExist: true}).NewWriter(ctx)
	w.ContentType = contentType
	return w
}

// finish closes the writer, whose error says whether the object was
// written at all, and checks what the service stored.
func (s *Store) finish(w *storage.Writer, name string, n int64, crc uint32) (bot.EvidenceObject, error) {
	if err := w.Close(); err != nil {
		return bot.EvidenceObject{}, s.translate(err, "write "+s.URL(name), RoleObjectCreator)
	}
	attrs := w.Attrs()
	if attrs.CRC32C != crc || attrs.Size != n {
		return bot.EvidenceObject{}, bot.Errorf(bot.EInternal, "Cloud Storage kept %s with CRC32C %08x and %d bytes, "+
			"but sccbot sent %08x and %d bytes: do not trust that object", s.URL(name), attrs.CRC32C, attrs.Size, crc, n)
	}
	s.log.Info("evidence object written", "object", s.URL(name), "size", n, "generation", attrs.Generation)
	return bot.EvidenceObject{Name: name, URL: s.URL(name), ContentType: w.ContentType, Size: n}, nil
}

// sourceReader remembers the reader's own error, to tell a failing
// source from a failing upload.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// translate turns a Cloud Storage error into a *bot.Error a responder
// can act on.
func (s *Store) translate(err error, what, role string) error {
	wrapped := fmt.Errorf("%s: %w", what, err)
	var ge *googleapi.Error
	code := 0
	if errors.As(err, &ge) {
		code = ge.Code
	}
	switch {
	case code == http.StatusPreconditionFailed:
		return bot.WrapError(bot.EConflict, fmt.Sprintf("sccbot did not %s: the object exists already, and evidence "+
			"is never overwritten", what), wrapped)
	case code == http.StatusForbidden || code == http.StatusUnauthorized:
		return bot.WrapError(bot.EPermission, fmt.Sprintf("sccbot may not %s: grant its service account %s on the "+
			"bucket", what, role), wrapped)
	case code == http.StatusNotFound || errors.Is(err, storage.ErrBucketNotExist):
		return bot.WrapError(bot.ENotFound, fmt.Sprintf("the evidence bucket %s does not exist (evidence.bucket)", s.name), wrapped)
	case code == http.StatusTooManyRequests:
		return bot.WrapError(bot.ERateLimited, fmt.Sprintf("Cloud Storage is rate limiting sccbot; %s failed, try again "+
			"in a minute", what), wrapped)
	case errors.Is(err, context.DeadlineExceeded):
		return bot.WrapError(bot.EDeadline, fmt.Sprintf("sccbot could not %s in time", what), wrapped)
	case code >= 500 || strings.Contains(err.Error(), "connection refused"):
		return bot.WrapError(bot.EUnavailable, fmt.Sprintf("Cloud Storage is unavailable; sccbot could not %s", what), wrapped)
	}
	return bot.WrapError(bot.EInternal, fmt.Sprintf("sccbot could not %s; the details are in sccbot's log", what), wrapped)
}
