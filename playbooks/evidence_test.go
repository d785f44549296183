package playbooks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// memStore is an evidence bucket in memory that, like the real one,
// refuses to replace an object and leaves nothing when the source fails.
type memStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	bucket  bot.EvidenceBucket
}

func newMemStore() *memStore {
	return &memStore{objects: map[string][]byte{}, bucket: bot.EvidenceBucket{Name: "ev", RetentionPeriod: 90 * 24 * time.Hour}}
}

func (m *memStore) URL(name string) string { return "gs://ev/" + name }

func (m *memStore) Bucket(context.Context) (bot.EvidenceBucket, error) { return m.bucket, nil }

func (m *memStore) Create(_ context.Context, name, ct string, r io.Reader) (bot.EvidenceObject, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return bot.EvidenceObject{}, &bot.SourceError{Err: err}
	}
	return m.put(name, ct, b)
}

func (m *memStore) CreateBytes(ctx context.Context, name, ct string, b []byte) (bot.EvidenceObject, error) {
	if err := ctx.Err(); err != nil { // as the real client: nothing is written
		return bot.EvidenceObject{}, err
	}
	return m.put(name, ct, b)
}

func (m *memStore) put(name, ct string, b []byte) (bot.EvidenceObject, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objects[name]; ok {
		return bot.EvidenceObject{}, bot.Errorf(bot.EConflict, "%s exists", name)
	}
	m.objects[name] = bytes.Clone(b)
	return bot.EvidenceObject{Name: name, URL: m.URL(name), ContentType: ct, Size: int64(len(b))}, nil
}

func (m *memStore) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for n := range m.objects {
		out = append(out, n)
	}
	return out
}

func (m *memStore) get(t *testing.T, name string) []byte {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[name]
	if !ok {
		t.Fatalf("no object %s", name)
	}
	return b
}

// fakeCollector stores a binary of the given bytes and a pod spec.
type fakeCollector struct {
	binary []byte
	name   string // object name of the binary, "binary" by default
	err    error
}

func (c *fakeCollector) CollectEvidence(ctx context.Context, f bot.Finding, req bot.EvidenceRequest,
	sink bot.EvidenceSink) (bot.EvidenceOrigin, error) {
	o := bot.EvidenceOrigin{Cluster: f.Target.Cluster, Namespace: f.Target.Namespace, Pod: f.Target.Pod,
		PodUID: "uid-1", Node: "node-1", Container: "app", ImageDigest: "sha256:abc", BinaryPath: "/usr/bin/gcc",
		Method: "cat in container app"}
	if _, err := sink.Put(ctx, bot.EvidenceItem{Name: "pod.json", ContentType: "application/json"},
		strings.NewReader(`{"kind":"Pod"}`)); err != nil {
		return o, err
	}
	if c.err != nil {
		return o, c.err
	}
	name := c.name
	if name == "" {
		name = "binary"
	}
	obj, err := sink.Put(ctx, bot.EvidenceItem{Name: name, ContentType: "application/octet-stream",
		Limit: req.BinaryLimit}, bytes.NewReader(c.binary))
	if err != nil {
		return o, err
	}
	o.Binary = &obj
	return o, nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var evidenceTime = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

func evidenceFinding(sha string) bot.Finding {
	return bot.Finding{
		Name:     "organizations/1/sources/2/locations/global/findings/f1",
		Category: "Defense Evasion: Launch Code Compiler Tool In Container", Severity: bot.SeverityHigh,
		Target:    bot.Target{Product: bot.ProductGKE, Project: "demo-prod", Cluster: "c1", Namespace: "payments", Pod: "checkout-x", Container: "app"},
		Processes: []bot.Process{{Binary: "/usr/bin/gcc", SHA256: sha, PID: 7}},
	}
}

func newEvidence(store *memStore, c bot.EvidenceCollector, now *time.Time) *Evidence {
	return NewEvidence(store, map[bot.Product]bot.EvidenceCollector{bot.ProductGKE: c},
		EvidenceOptions{Now: func() time.Time { return *now }, BinaryLimit: 1 << 20})
}

func readManifest(t *testing.T, store *memStore, prefix string) evidenceManifest {
	t.Helper()
	var m evidenceManifest
	if err := json.Unmarshal(store.get(t, prefix+ManifestName), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEvidenceVerdicts(t *testing.T) {
	bin := []byte("\x7fELF the compiler")
	big := bytes.Repeat([]byte("x"), 1<<20+10)
	tests := []struct {
		name    string
		binary  []byte
		finding string
		verdict bot.HashVerdict
		summary string
	}{
		{"match", bin, sha(bin), bot.HashMatch, "SHA-256 ✅ matches the finding"},
		{"mismatch", bin, sha([]byte("other")), bot.HashMismatch, "❌ DOES NOT MATCH the finding"},
		{"no hash", bin, "", bot.HashAbsent, "no hash in the finding"},
		{"cut", big, sha(big), bot.HashCut, "cut at 1.0 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, now := newMemStore(), evidenceTime
			e := newEvidence(store, &fakeCollector{binary: tt.binary}, &now)
			req := bot.ActionRequest{ID: "req-1", Action: ActionCollectEvidence, Reason: "before delete",
				RequestedBy: "U0ALICE", RequestedAt: evidenceTime.Add(-time.Minute),
				DecidedBy: "U0BOB", DecidedAt: evidenceTime}
			res, err := e.ExecuteRequest(context.Background(), evidenceFinding(tt.finding), req)
			if err != nil {
				t.Fatal(err)
			}
			prefix := "evidence/f1/20261120T103000.000000000Z/"
			if !strings.Contains(res.Summary, tt.summary) || !strings.Contains(res.Summary, "gs://ev/"+prefix) {
				t.Errorf("summary = %q, want %q and the prefix", res.Summary, tt.summary)
			}
			m := readManifest(t, store, prefix)
			if m.Binary.Verdict != tt.verdict {
				t.Errorf("verdict = %s, want %s", m.Binary.Verdict, tt.verdict)
			}
			stored := store.get(t, prefix+"binary")
			want := tt.binary[:min(len(tt.binary), 1<<20)]
			if !bytes.Equal(stored, want) {
				t.Errorf("binary: %d bytes stored, want %d", len(stored), len(want))
			}
			// Every object the manifest lists is in the bucket with that
			// size and hash.
			names := map[string]bool{}
			for _, o := range m.Objects {
				b := store.get(t, o.Name)
				if o.SHA256 != sha(b) || o.Size != int64(len(b)) {
					t.Errorf("manifest says %s has %d bytes, %s; bucket has %d, %s", o.Name, o.Size, o.SHA256, len(b), sha(b))
				}
				names[strings.TrimPrefix(o.Name, prefix)] = true
			}
			for _, n := range []string{"pod.json", "binary", "finding.json"} {
				if !names[n] {
					t.Errorf("manifest lacks %s: %+v", n, m.Objects)
				}
			}
			if m.Request.RequestedBy != "U0ALICE" || m.Request.ApprovedBy != "U0BOB" || m.Workload.PodUID != "uid-1" ||
				m.Workload.ImageDigest != "sha256:abc" || m.Finding.Name != evidenceFinding("").Name ||
				m.Bucket == nil || m.Bucket.RetentionPeriod != 90*24*time.Hour {
				t.Errorf("manifest = %+v", m)
			}
			if tt.verdict == bot.HashMatch && (len(res.Links) != 2 || res.Links[1].URL != bot.VirusTotalURL(sha(bin))) {
				t.Errorf("links = %+v, want the manifest and VirusTotal", res.Links)
			}
		})
	}
}

// A second collection goes under its own prefix; one at the very same
// instant cannot overwrite the first.
func TestEvidenceNeverOverwrites(t *testing.T) {
	store, now := newMemStore(), evidenceTime
	bin := []byte("bin")
	e := newEvidence(store, &fakeCollector{binary: bin}, &now)
	f := evidenceFinding(sha(bin))
	req := bot.ActionRequest{Action: ActionCollectEvidence}
	if _, err := e.ExecuteRequest(context.Background(), f, req); err != nil {
		t.Fatal(err)
	}
	first := bytes.Clone(store.get(t, "evidence/f1/20261120T103000.000000000Z/manifest.json"))
	if _, err := e.ExecuteRequest(context.Background(), f, req); bot.ErrorCode(err) != bot.EConflict {
		t.Errorf("same instant: err = %v, want a conflict", err)
	}
	if !bytes.Equal(first, store.get(t, "evidence/f1/20261120T103000.000000000Z/manifest.json")) {
		t.Error("the first manifest changed")
	}
	now = now.Add(time.Second)
	if _, err := e.ExecuteRequest(context.Background(), f, req); err != nil {
		t.Fatal(err)
	}
	readManifest(t, store, "evidence/f1/20261120T103001.000000000Z/")
}

// Names from a finding cannot leave the evidence prefix.
func TestEvidencePrefixIsPlain(t *testing.T) {
	for _, name := range []string{
		"organizations/1/sources/2/findings/..", "organizations/1/sources/2/findings/a b",
		"x/findings/" + strings.Repeat("a", 100), "x/findings/%2e%2e", "",
	} {
		p := EvidencePrefix(bot.Finding{Name: name}, evidenceTime)
		segs := strings.Split(strings.TrimSuffix(p, "/"), "/")
		if len(segs) != 3 || segs[0] != "evidence" || !idPattern.MatchString(segs[1]) || segs[1] == ".." {
			t.Errorf("prefix for %q = %q", name, p)
		}
	}
	store, now := newMemStore(), evidenceTime
	e := newEvidence(store, &fakeCollector{binary: []byte("x"), name: "../escape"}, &now)
	_, err := e.ExecuteRequest(context.Background(), evidenceFinding(""), bot.ActionRequest{Action: ActionCollectEvidence})
	if err == nil {
		t.Fatal("an object name with .. was accepted")
	}
	for _, n := range store.names() {
		if !strings.HasPrefix(n, "evidence/f1/") || strings.Contains(n, "..") {
			t.Errorf("object %q outside the prefix", n)
		}
	}
}

func TestEvidenceDryRunWritesNothing(t *testing.T) {
	store, now := newMemStore(), evidenceTime
	bin := []byte("bin")
	e := newEvidence(store, &fakeCollector{binary: bin}, &now)
	res, err := e.Execute(context.Background(), evidenceFinding(sha(bin)), ActionCollectEvidence, true)
	if err != nil {
		t.Fatal(err)
	}
	if n := store.names(); len(n) != 0 {
		t.Errorf("dry run wrote %v", n)
	}
	if !strings.HasPrefix(res.Summary, "Dry run: ") || !strings.Contains(res.Summary, "✅") ||
		!strings.Contains(res.Summary, "nothing was written") {
		t.Errorf("summary = %q", res.Summary)
	}
}

// A collection that fails after writing still leaves a manifest saying
// what was kept and what failed.
func TestEvidenceFailureKeepsManifest(t *testing.T) {
	store, now := newMemStore(), evidenceTime
	e := newEvidence(store, &fakeCollector{err: bot.Errorf(bot.EUnavailable, "cluster went away")}, &now)
	_, err := e.ExecuteRequest(context.Background(), evidenceFinding(""), bot.ActionRequest{Action: ActionCollectEvidence})
	if bot.ErrorMessage(err) != "cluster went away" {
		t.Fatalf("err = %v", err)
	}
	m := readManifest(t, store, "evidence/f1/20261120T103000.000000000Z/")
	if m.Error != "cluster went away" || len(m.Objects) != 1 {
		t.Errorf("manifest = %+v", m)
	}
}

// require_evidence: the action is refused (and audited) until a
// collect_evidence request is done; a dry run does not count.
func TestRequireEvidence(t *testing.T) {
	h := newHarness(t, nil, nil)
	bin := []byte("bin")
	store, now := newMemStore(), evidenceTime
	ev := newEvidence(store, &fakeCollector{binary: bin}, &now)
	runner := func(rules map[string]Rule) *Runner {
		return NewRunner(h.store, NewPolicy(rules, h.groups), []bot.Responder{h.resp, ev},
			RunnerOptions{Now: h.clock.Now})
	}
	r := runner(map[string]Rule{bot.ActionIsolatePod: {RequireEvidence: true}, bot.ActionCollectEvidence: {DryRun: true}})
	ctx := context.Background()
	_, msg, err := r.Request(ctx, h.finding, bot.ActionIsolatePod, alice, "contain")
	if err != nil || msg != MsgNeedsEvidence {
		t.Fatalf("before evidence: msg %q, err %v", msg, err)
	}
	if req, _, err := r.Request(ctx, h.finding, bot.ActionCollectEvidence, alice, "dry"); err != nil || req.State != bot.RequestDone {
		t.Fatalf("dry-run collection: %+v, %v", req, err)
	}
	if _, msg, _ = r.Request(ctx, h.finding, bot.ActionIsolatePod, alice, "contain"); msg != MsgNeedsEvidence {
		t.Errorf("after a dry run: msg %q, want still refused", msg)
	}
	r = runner(map[string]Rule{bot.ActionIsolatePod: {RequireEvidence: true}, bot.ActionCollectEvidence: {}})
	h.clock.Advance(time.Second)
	if req, msg, err := r.Request(ctx, h.finding, bot.ActionCollectEvidence, alice, "before delete"); err != nil || req.State != bot.RequestDone {
		t.Fatalf("collection: %+v, %q, %v", req, msg, err)
	}
	req, msg, err := r.Request(ctx, h.finding, bot.ActionIsolatePod, alice, "contain")
	if err != nil || msg != "" || req.State != bot.RequestDone {
		t.Fatalf("after evidence: %+v, %q, %v", req, msg, err)
	}
	evs, err := h.db.AuditForFinding(ctx, h.finding.Name)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, e := range evs {
		if e.Event == bot.AuditRefused && e.Action == bot.ActionIsolatePod && e.Detail == MsgNeedsEvidence {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d refusals audited, want 2", refused)
	}
}

type fakeLogs struct{}

func (fakeLogs) Search(_ context.Context, q bot.LogQuery) (bot.LogResult, error) {
	if q.Title == "broken" {
		return bot.LogResult{}, bot.Errorf(bot.EPermission, "grant roles/logging.viewer")
	}
	return bot.LogResult{Entries: []bot.LogEntry{{Time: q.Start, Summary: "compiling " + q.Filter}}}, nil
}

// The finding's log queries are kept around the event; a failing one is
// a note and an error in logs.json, not a failed collection.
func TestEvidenceKeepsLogs(t *testing.T) {
	store, now := newMemStore(), evidenceTime
	bin := []byte("bin")
	e := NewEvidence(store, map[bot.Product]bot.EvidenceCollector{bot.ProductGKE: &fakeCollector{binary: bin}},
		EvidenceOptions{Now: func() time.Time { return now }, Logs: fakeLogs{},
			LogQueries: func(f bot.Finding, start, end time.Time, limit int) []bot.LogQuery {
				return []bot.LogQuery{{Title: "pod", Filter: `resource.labels.pod_name="checkout-x"`, Start: start, End: end, Limit: limit},
					{Title: "broken", Start: start, End: end}}
			}})
	f := evidenceFinding(sha(bin))
	f.EventTime = evidenceTime.Add(-time.Hour)
	res, err := e.ExecuteRequest(context.Background(), f, bot.ActionRequest{Action: ActionCollectEvidence})
	if err != nil {
		t.Fatal(err)
	}
	var logs []loggedQuery
	if err := json.Unmarshal(store.get(t, "evidence/f1/20261120T103000.000000000Z/logs.json"), &logs); err != nil {
		t.Fatal(err)
	}
	if len(logs) != 2 || len(logs[0].Entries) != 1 || !logs[0].Start.Equal(f.EventTime.Add(-time.Hour)) ||
		logs[1].Error != "grant roles/logging.viewer" {
		t.Errorf("logs.json = %+v", logs)
	}
	if !strings.Contains(strings.Join(res.Details, "\n"), `Logs "broken" could not be read`) {
		t.Errorf("details = %q", res.Details)
	}
}

// cancelling stops the collection's context after the pod's spec, as the
// runner's deadline would in the middle of a slow stream.
type cancelling struct{ cancel context.CancelFunc }

func (c cancelling) CollectEvidence(ctx context.Context, f bot.Finding, req bot.EvidenceRequest,
	sink bot.EvidenceSink) (bot.EvidenceOrigin, error) {
	if _, err := sink.Put(ctx, bot.EvidenceItem{Name: "pod.json"}, strings.NewReader("{}")); err != nil {
		return bot.EvidenceOrigin{}, err
	}
	c.cancel()
	return bot.EvidenceOrigin{}, ctx.Err()
}

func TestEvidenceDeadlineStillWritesManifest(t *testing.T) {
	store, now := newMemStore(), evidenceTime
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEvidence(store, cancelling{cancel}, &now)
	_, err := e.ExecuteRequest(ctx, evidenceFinding(""), bot.ActionRequest{Action: ActionCollectEvidence})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	m := readManifest(t, store, "evidence/f1/20261120T103000.000000000Z/")
	if len(m.Objects) != 1 || m.Error == "" {
		t.Errorf("manifest = %+v", m)
	}
}
