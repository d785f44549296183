package playbooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	gohash "hash"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// ActionCollectEvidence is the domain's, named here for the playbook file
// format.
const ActionCollectEvidence = bot.ActionCollectEvidence

// DefaultBinaryLimit is where a collected binary is cut.
const DefaultBinaryLimit = 256 << 20

// EvidenceStore is the evidence bucket; bot/evidence's Store implements
// it. It never replaces an object.
type EvidenceStore interface {
	// Create streams r into a new object; a failing r is a
	// *bot.SourceError and leaves nothing behind.
	Create(ctx context.Context, name, contentType string, r io.Reader) (bot.EvidenceObject, error)
	// CreateBytes writes a small new object.
	CreateBytes(ctx context.Context, name, contentType string, b []byte) (bot.EvidenceObject, error)
	// Bucket describes the bucket, its retention policy in particular.
	Bucket(ctx context.Context) (bot.EvidenceBucket, error)
	// URL is where an object of that name is (gs://bucket/name).
	URL(name string) string
}

// EvidenceOptions are an Evidence responder's optional settings.
type EvidenceOptions struct {
	Logger *slog.Logger
	// Now is the clock (default time.Now); it names each collection.
	Now func() time.Time
	// BinaryLimit cuts the binary (default DefaultBinaryLimit).
	BinaryLimit int64
	// LogLines is how many of the workload's last log lines are kept.
	LogLines int
	// Logs and LogQueries, when set, keep the entries of the finding's
	// playbook queries (the workload's, the audit log's) around the
	// event in logs.json: for Cloud Run, the only logs there are.
	Logs       EvidenceLogs
	LogQueries func(f bot.Finding, start, end time.Time, limit int) []bot.LogQuery
	// LogWindow is how far around the event logs are kept (default 1h).
	LogWindow time.Duration
}

// EvidenceLogs runs a Cloud Logging query; bot/cloudlogging's Client does.
type EvidenceLogs interface {
	Search(ctx context.Context, q bot.LogQuery) (bot.LogResult, error)
}

// Evidence carries out collect_evidence: a collector per product gathers
// the workload's evidence, streamed into the store under a prefix that
// names the finding and the time, then a manifest records every object's
// name, size and SHA-256 with the finding, the workload, who asked, who
// approved and when. Nothing is ever overwritten: a second collection
// gets its own prefix, and the store refuses to replace an object.
type Evidence struct {
	store      EvidenceStore
	collectors map[bot.Product]bot.EvidenceCollector
	opts       EvidenceOptions
}

var (
	_ bot.Responder    = (*Evidence)(nil)
	_ RequestResponder = (*Evidence)(nil)
)

// NewEvidence returns the collect_evidence responder.
func NewEvidence(store EvidenceStore, collectors map[bot.Product]bot.EvidenceCollector, opts EvidenceOptions) *Evidence {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BinaryLimit <= 0 {
		opts.BinaryLimit = DefaultBinaryLimit
	}
	if opts.LogWindow <= 0 {
		opts.LogWindow = time.Hour
	}
	return &Evidence{store: store, collectors: collectors, opts: opts}
}

// Actions implements bot.Responder.
func (e *Evidence) Actions() []string { return []string{ActionCollectEvidence} }

// Preview implements bot.Responder.
func (e *Evidence) Preview(f bot.Finding, action string) ([]string, error) {
	if _, err := e.collector(f, action); err != nil {
		return nil, err
	}
	where := e.store.URL(EvidencePrefix(f, time.Time{}))
	t := f.Target
	if t.Product == bot.ProductCloudRun {
		return []string{fmt.Sprintf("Keeps the revision's spec and image digest, the finding and the workload's logs "+
			"under %s; Cloud Run has no exec, so no binary is copied. Nothing in the workload changes", where)}, nil
	}
	container := "the finding's container"
	if t.Container != "" {
		container = "container " + t.Container
	}
	binary := "the executed binary"
	if p, ok := f.Process(); ok && p.Binary != "" {
		binary = fmt.Sprintf("%q", shown(p.Binary))
	}
	return []string{
		fmt.Sprintf("Copies %s out of %s of pod %s/%s (cluster %s), cut at %s, with the pod's spec, the "+
			"container's log, the finding and a manifest, under %s", binary, container, t.Namespace, t.Pod,
			t.Cluster, formatSize(e.opts.BinaryLimit), where),
		"Nothing is changed in the pod, except that when the file is gone an ephemeral debug container may be added " +
			"to read /proc/PID/exe; nothing already in the bucket is overwritten",
	}, nil
}

// Execute implements bot.Responder; the manifest then names no requester.
func (e *Evidence) Execute(ctx context.Context, f bot.Finding, action string, dryRun bool) (bot.ActionResult, error) {
	return e.ExecuteRequest(ctx, f, bot.ActionRequest{Finding: f.Name, Action: action, DryRun: dryRun})
}

func (e *Evidence) collector(f bot.Finding, action string) (bot.EvidenceCollector, error) {
	if action != ActionCollectEvidence {
		return nil, bot.Errorf(bot.EInvalid, "the evidence responder does not carry out %q", action)
	}
	c, ok := e.collectors[f.Target.Product]
	if !ok {
		return nil, bot.Errorf(bot.EInvalid, "sccbot cannot collect evidence from %s workloads", f.Target.Product.Label())
	}
	return c, nil
}

// ExecuteRequest implements RequestResponder: it collects, then writes
// the finding and the manifest. A collection that fails after writing
// some objects still gets its manifest, which says what failed.
func (e *Evidence) ExecuteRequest(ctx context.Context, f bot.Finding, req bot.ActionRequest) (bot.ActionResult, error) {
	c, err := e.collector(f, req.Action)
	if err != nil {
		return bot.ActionResult{}, err
	}
	started := e.opts.Now().UTC()
	prefix := EvidencePrefix(f, started)
	sink := &evidenceSink{store: e.store, prefix: prefix, dry: req.DryRun}
	origin, collectErr := c.CollectEvidence(ctx, f, bot.EvidenceRequest{DryRun: req.DryRun,
		BinaryLimit: e.opts.BinaryLimit, LogLines: e.opts.LogLines}, sink)
	if collectErr != nil && len(sink.stored()) == 0 {
		return bot.ActionResult{}, fmt.Errorf("collect evidence for %s: %w", f.Name, collectErr)
	}
	if collectErr == nil {
		origin.Notes = append(origin.Notes, e.keepLogs(ctx, f, sink)...)
		_, collectErr = sink.Put(ctx, bot.EvidenceItem{Name: "finding.json", ContentType: "application/json"},
			readerOf(findingJSON(f)))
	}
	// The manifest is written even when the collection ran out of time:
	// it is what says which objects are there.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), manifestTimeout)
	defer cancel()
	m := e.manifest(wctx, f, req, origin, sink, started, collectErr)
	if req.DryRun {
		if collectErr != nil {
			return bot.ActionResult{}, fmt.Errorf("dry run of evidence collection for %s: %w", f.Name, collectErr)
		}
		return e.result(m, "", true), nil
	}
	body, err := m.encode()
	if err == nil {
		_, err = e.store.CreateBytes(wctx, prefix+ManifestName, "application/json", body)
	}
	if err != nil {
		return bot.ActionResult{}, fmt.Errorf("write the evidence manifest %s: %w", e.store.URL(prefix+ManifestName), err)
	}
	if collectErr != nil {
		return bot.ActionResult{}, fmt.Errorf("collect evidence for %s (the objects written so far are listed in %s): %w",
			f.Name, e.store.URL(prefix+ManifestName), collectErr)
	}
	e.opts.Logger.InfoContext(ctx, "evidence collected", "finding", f.Name, "prefix", e.store.URL(prefix),
		"objects", len(m.Objects), "verdict", m.Binary.Verdict)
	return e.result(m, e.store.URL(prefix+ManifestName), false), nil
}

// ManifestName is the manifest's object name within a collection.
const ManifestName = "manifest.json"

// manifestTimeout bounds writing the manifest after the collection.
const manifestTimeout = 30 * time.Second

// idPattern is what a finding's short id may be to appear in an object
// name as it is; SCC's are 32 hex digits.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// EvidencePrefix is where a collection's objects go:
// evidence/<finding short id>/<collection time>/. A short id that is not
// plain (finding names are attacker-controlled) is replaced by a hash of
// the full name, so that no name can leave the prefix. The zero time
// gives the finding's prefix, for previews.
func EvidencePrefix(f bot.Finding, at time.Time) string {
	id := f.ShortID()
	if !idPattern.MatchString(id) {
		sum := sha256.Sum256([]byte(f.Name))
		id = "f" + hex.EncodeToString(sum[:])[:24]
	}
	p := "evidence/" + id + "/"
	if at.IsZero() {
		return p
	}
	return p + at.UTC().Format("20060102T150405.000000000Z") + "/"
}

// itemPattern is what a collector's object names may be.
var itemPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// evidenceSink streams a collector's objects into the store under one
// prefix, hashing and counting them, cutting them at their limit. In a
// dry run it reads and hashes but stores nothing.
type evidenceSink struct {
	store  EvidenceStore
	prefix string
	dry    bool

	mu      sync.Mutex
	objects []bot.EvidenceObject
}

func (s *evidenceSink) Put(ctx context.Context, item bot.EvidenceItem, r io.Reader) (bot.EvidenceObject, error) {
	if !itemPattern.MatchString(item.Name) {
		return bot.EvidenceObject{}, bot.Errorf(bot.EInternal, "evidence object name %q is not allowed", item.Name)
	}
	name := s.prefix + item.Name
	lr := &limitedHash{r: r, left: item.Limit, limited: item.Limit > 0, h: sha256.New()}
	var obj bot.EvidenceObject
	var err error
	if s.dry {
		if _, err = io.Copy(io.Discard, lr); err != nil {
			err = &bot.SourceError{Err: err}
		}
		obj = bot.EvidenceObject{Name: name, ContentType: item.ContentType}
	} else {
		obj, err = s.store.Create(ctx, name, item.ContentType, lr)
	}
	if err != nil {
		return bot.EvidenceObject{}, err
	}
	obj.Size, obj.SHA256, obj.Truncated = lr.n, hex.EncodeToString(lr.h.Sum(nil)), lr.cut
	s.mu.Lock()
	s.objects = append(s.objects, obj)
	s.mu.Unlock()
	return obj, nil
}

func (s *evidenceSink) stored() []bot.EvidenceObject {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.objects)
}

// limitedHash hashes and counts what it passes on, and ends after left
// bytes when limited, noting whether the source had more (it reads one
// byte beyond the limit to know).
type limitedHash struct {
	r       io.Reader
	h       gohash.Hash
	n       int64
	left    int64
	limited bool
	cut     bool
}

func (l *limitedHash) Read(p []byte) (int, error) {
	if l.limited && l.left <= 0 {
		var one [1]byte
		if n, _ := io.ReadFull(l.r, one[:]); n > 0 {
			l.cut = true
		}
		return 0, io.EOF
	}
	if l.limited && int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.h.Write(p[:n])
	l.n += int64(n)
	l.left -= int64(n)
	return n, err
}
