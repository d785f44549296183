package playbooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// ManifestSchema names the manifest's format.
const ManifestSchema = "sccbot.evidence/v1"

// evidenceManifest is the chain of custody of one collection: what was
// kept, where from, by whose request and approval, when.
type evidenceManifest struct {
	Schema   string             `json:"schema"`
	Finding  manifestFinding    `json:"finding"`
	Request  manifestRequest    `json:"request"`
	Workload bot.EvidenceOrigin `json:"workload"`
	Binary   manifestBinary     `json:"binary"`
	// Objects lists every object of the collection but the manifest.
	Objects    []bot.EvidenceObject `json:"objects"`
	Bucket     *bot.EvidenceBucket  `json:"bucket,omitempty"`
	StartedAt  time.Time            `json:"started_at"`
	FinishedAt time.Time            `json:"finished_at"`
	Notes      []string             `json:"notes,omitempty"`
	// Error says why the collection stopped early.
	Error string `json:"error,omitempty"`
}

type manifestFinding struct {
	Name      string    `json:"name"`
	ShortID   string    `json:"short_id"`
	Category  string    `json:"category"`
	Severity  string    `json:"severity"`
	Project   string    `json:"project"`
	EventTime time.Time `json:"event_time"`
}

type manifestRequest struct {
	ID          string    `json:"id,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	RequestedBy string    `json:"requested_by,omitempty"`
	RequestedAt time.Time `json:"requested_at,omitzero"`
	ApprovedBy  string    `json:"approved_by,omitempty"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
	DryRun      bool      `json:"dry_run,omitempty"`
}

type manifestBinary struct {
	Path   string `json:"path,omitempty"`
	Method string `json:"method,omitempty"`
	// Object is the binary's object name, when it was collected.
	Object         string          `json:"object,omitempty"`
	Size           int64           `json:"size,omitempty"`
	SHA256         string          `json:"sha256,omitempty"`
	FindingSHA256  string          `json:"finding_sha256,omitempty"`
	Verdict        bot.HashVerdict `json:"verdict"`
	Truncated      bool            `json:"truncated,omitempty"`
	VirusTotalLink string          `json:"virustotal,omitempty"`
}

func (e *Evidence) manifest(ctx context.Context, f bot.Finding, req bot.ActionRequest, origin bot.EvidenceOrigin,
	sink *evidenceSink, started time.Time, collectErr error) evidenceManifest {
	m := evidenceManifest{
		Schema: ManifestSchema,
		Finding: manifestFinding{Name: f.Name, ShortID: f.ShortID(), Category: f.Category, Severity: f.Severity.String(),
			Project: f.Project(), EventTime: f.EventTime},
		Request: manifestRequest{ID: req.ID, Reason: req.Reason, RequestedBy: req.RequestedBy, RequestedAt: req.RequestedAt,
			DryRun: req.DryRun},
		Workload: origin, Objects: sink.stored(), StartedAt: started, Notes: origin.Notes,
	}
	if req.DecidedBy != "" && req.DecidedBy != System {
		m.Request.ApprovedBy, m.Request.ApprovedAt = req.DecidedBy, req.DecidedAt
	}
	m.Binary = binaryOf(f, origin)
	if b, err := e.store.Bucket(ctx); err == nil {
		m.Bucket = &b
	} else {
		m.Notes = append(m.Notes, "The bucket's retention policy could not be read: "+bot.ErrorMessage(err))
	}
	if collectErr != nil {
		m.Error = bot.ErrorMessage(collectErr)
	}
	m.FinishedAt = e.opts.Now().UTC()
	return m
}

func binaryOf(f bot.Finding, o bot.EvidenceOrigin) manifestBinary {
	b := manifestBinary{Path: o.BinaryPath, Method: o.Method}
	if p, ok := f.Process(); ok {
		b.FindingSHA256 = strings.ToLower(p.SHA256)
	}
	if o.Binary != nil {
		b.Object, b.Size, b.SHA256, b.Truncated = o.Binary.Name, o.Binary.Size, o.Binary.SHA256, o.Binary.Truncated
		b.VirusTotalLink = bot.VirusTotalURL(b.SHA256)
	}
	b.Verdict = bot.CompareSHA256(b.FindingSHA256, b.SHA256, b.Truncated)
	return b
}

func (m evidenceManifest) encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode evidence manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// findingJSON is the finding as sccbot decoded it.
func findingJSON(f bot.Finding) []byte {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil { // a Finding holds only strings, numbers and times
		return []byte(fmt.Sprintf("{\"error\": %q}", err.Error()))
	}
	return b
}

func readerOf(b []byte) io.Reader { return bytes.NewReader(b) }

// result says what was kept, for the thread: the location, the binary's
// size and hash verdict, each object, the notes, and links.
func (e *Evidence) result(m evidenceManifest, manifestURL string, dry bool) bot.ActionResult {
	where := e.store.URL(manifestObjectPrefix(m))
	res := bot.ActionResult{Summary: verdictLine(m) + " in " + where}
	if dry {
		res.Summary = "Dry run: " + verdictLine(m) + "; nothing was written to " + e.store.URL(EvidencePrefix(findingOf(m), time.Time{}))
	}
	for _, o := range m.Objects {
		loc := o.URL
		if loc == "" {
			loc = o.Name
		}
		line := fmt.Sprintf("%s: %s, SHA-256 %s", loc, formatSize(o.Size), o.SHA256)
		if o.Truncated {
			line += " (cut at the limit)"
		}
		res.Details = append(res.Details, line)
	}
	if manifestURL != "" {
		res.Details = append(res.Details, manifestURL+": the manifest (every object's size and SHA-256, the workload, "+
			"who asked and approved, when)")
		res.Links = append(res.Links, bot.ResultLink{Label: "Manifest", URL: manifestURL})
	}
	res.Details = append(res.Details, m.Notes...)
	if m.Bucket != nil {
		res.Details = append(res.Details, retentionLine(*m.Bucket))
	}
	if m.Binary.VirusTotalLink != "" {
		res.Links = append(res.Links, bot.ResultLink{Label: "VirusTotal", URL: m.Binary.VirusTotalLink})
	}
	return res
}

func manifestObjectPrefix(m evidenceManifest) string {
	return EvidencePrefix(findingOf(m), m.StartedAt)
}

func findingOf(m evidenceManifest) bot.Finding { return bot.Finding{Name: m.Finding.Name} }

// verdictLine is the collection's one-line outcome, loud on a mismatch.
func verdictLine(m evidenceManifest) string {
	b := m.Binary
	switch b.Verdict {
	case bot.HashMatch:
		return fmt.Sprintf("Evidence kept: binary %s, SHA-256 ✅ matches the finding", formatSize(b.Size))
	case bot.HashMismatch:
		return fmt.Sprintf("Evidence kept: binary %s, SHA-256 ❌ DOES NOT MATCH the finding (%s, finding %s): the file "+
			"changed since detection", formatSize(b.Size), short(b.SHA256), short(b.FindingSHA256))
	case bot.HashAbsent:
		return fmt.Sprintf("Evidence kept: binary %s, SHA-256 %s; no hash in the finding to compare with",
			formatSize(b.Size), short(b.SHA256))
	case bot.HashCut:
		return fmt.Sprintf("Evidence kept: binary cut at %s, so its hash cannot be compared with the finding's",
			formatSize(b.Size))
	}
	if m.Workload.Revision != "" || m.Workload.Service != "" || m.Workload.Job != "" {
		return "Evidence kept: the revision's spec and image digest, the finding and its logs (Cloud Run has no exec: no binary)"
	}
	why := "see the notes"
	if len(m.Notes) > 0 {
		why = m.Notes[len(m.Notes)-1]
	}
	return "Evidence kept WITHOUT the binary (" + why + ")"
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12] + "…"
	}
	return sha
}

func retentionLine(b bot.EvidenceBucket) string {
	if b.RetentionPeriod <= 0 {
		return fmt.Sprintf("Bucket %s has no retention policy: the objects can be deleted by anyone allowed to", b.Name)
	}
	locked := "not locked"
	if b.RetentionLocked {
		locked = "locked"
	}
	return fmt.Sprintf("Bucket %s keeps every object at least %s (retention policy, %s)", b.Name,
		b.RetentionPeriod.Round(time.Second), locked)
}

// formatSize says a size in bytes for people.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// maxLogEntries bounds each query's entries kept in logs.json.
const maxLogEntries = 200

// loggedQuery is one query's part of logs.json.
type loggedQuery struct {
	Title   string         `json:"title"`
	Project string         `json:"project"`
	Filter  string         `json:"filter"`
	Start   time.Time      `json:"start"`
	End     time.Time      `json:"end"`
	Entries []bot.LogEntry `json:"entries"`
	More    bool           `json:"more,omitempty"`
	Error   string         `json:"error,omitempty"`
}

// keepLogs stores the finding's playbook queries and their entries around
// the event as logs.json. What fails is a note: logs add to the evidence,
// they do not make it.
func (e *Evidence) keepLogs(ctx context.Context, f bot.Finding, sink *evidenceSink) []string {
	if e.opts.Logs == nil || e.opts.LogQueries == nil || f.EventTime.IsZero() {
		return nil
	}
	qs := e.opts.LogQueries(f, f.EventTime.Add(-e.opts.LogWindow), f.EventTime.Add(e.opts.LogWindow), maxLogEntries)
	if len(qs) == 0 {
		return nil
	}
	var notes []string
	out := make([]loggedQuery, 0, len(qs))
	for _, q := range qs {
		l := loggedQuery{Title: q.Title, Project: q.Project, Filter: q.Filter, Start: q.Start, End: q.End}
		res, err := e.opts.Logs.Search(ctx, q)
		if err != nil {
			l.Error = bot.ErrorMessage(err)
			notes = append(notes, fmt.Sprintf("Logs %q could not be read: %s", q.Title, l.Error))
		}
		l.Entries, l.More = res.Entries, res.More
		out = append(out, l)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err == nil {
		_, err = sink.Put(ctx, bot.EvidenceItem{Name: "logs.json", ContentType: "application/json"}, readerOf(b))
	}
	if err != nil {
		notes = append(notes, "The logs could not be kept: "+bot.ErrorMessage(err))
	}
	return notes
}
