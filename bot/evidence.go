package bot

import (
	"context"
	"io"
	"strings"
	"time"
)

// ActionCollectEvidence copies a finding's executed binary and the
// workload's records to the evidence bucket before anything is deleted.
const ActionCollectEvidence = "collect_evidence"

// HashVerdict compares a collected binary's SHA-256 with the finding's.
type HashVerdict string

// Hash verdicts.
const (
	// HashMatch: the bytes collected are the bytes SCC hashed.
	HashMatch HashVerdict = "match"
	// HashMismatch: the file changed since detection (or another file was
	// read); said loudly.
	HashMismatch HashVerdict = "mismatch"
	// HashAbsent: the finding carries no hash to compare with.
	HashAbsent HashVerdict = "no_hash"
	// HashCut: the binary was cut at the size limit, so its hash cannot
	// be compared.
	HashCut HashVerdict = "cut"
	// HashNotCollected: no binary was collected (Cloud Run has no exec).
	HashNotCollected HashVerdict = "not_collected"
)

// CompareSHA256 gives the verdict for a binary of hash got, against the
// finding's want; cut says the binary was cut at the size limit.
func CompareSHA256(want, got string, cut bool) HashVerdict {
	switch {
	case got == "":
		return HashNotCollected
	case cut:
		return HashCut
	case !ValidSHA256(want):
		return HashAbsent
	case strings.EqualFold(want, got):
		return HashMatch
	}
	return HashMismatch
}

// EvidenceItem is one object a collector asks to store.
type EvidenceItem struct {
	// Name is the object's name within the collection ("binary",
	// "pod.json"); the store puts it under the collection's prefix.
	Name        string
	ContentType string
	// Limit cuts the object at this many bytes; 0 means no limit.
	Limit int64
}

// EvidenceObject is one object written to the evidence store.
type EvidenceObject struct {
	// Name is the object's full name in the bucket.
	Name string `json:"name"`
	// URL is where it is: gs://bucket/name.
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	// Truncated says the object was cut at the size limit.
	Truncated bool `json:"truncated,omitempty"`
}

// EvidenceSink receives the objects of one collection. It hashes and
// counts what it stores; a dry run's sink reads and hashes but stores
// nothing.
type EvidenceSink interface {
	Put(ctx context.Context, item EvidenceItem, r io.Reader) (EvidenceObject, error)
}

// EvidenceOrigin is what a collector learnt about where the evidence
// came from, for the manifest.
type EvidenceOrigin struct {
	Cluster     string `json:"cluster,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Pod         string `json:"pod,omitempty"`
	PodUID      string `json:"pod_uid,omitempty"`
	Node        string `json:"node,omitempty"`
	Container   string `json:"container,omitempty"`
	Image       string `json:"image,omitempty"`
	ImageDigest string `json:"image_digest,omitempty"`
	Service     string `json:"service,omitempty"`
	Job         string `json:"job,omitempty"`
	Revision    string `json:"revision,omitempty"`
	// BinaryPath is the path read; Method says how ("cat in the
	// container", "/proc/PID/exe through ephemeral container X").
	BinaryPath string `json:"binary_path,omitempty"`
	Method     string `json:"method,omitempty"`
	// Binary is the object that holds the executable, when one was read.
	Binary *EvidenceObject `json:"-"`
	// Notes are what a responder should know (the file was gone, the
	// container has no cat, ...).
	Notes []string `json:"notes,omitempty"`
}

// EvidenceRequest is what a collector needs beyond the finding.
type EvidenceRequest struct {
	// DryRun reads and hashes but changes nothing in the workload (no
	// debug container) and stores nothing.
	DryRun bool
	// BinaryLimit cuts the binary at this many bytes.
	BinaryLimit int64
	// LogLines is how many of the container's latest log lines to keep.
	LogLines int
}

// EvidenceCollector gathers a finding's evidence from its workload into
// a sink: the executed binary where it can, and the workload's spec and
// logs.
type EvidenceCollector interface {
	CollectEvidence(ctx context.Context, f Finding, req EvidenceRequest, sink EvidenceSink) (EvidenceOrigin, error)
}

// SourceError is a Put that failed because its reader did (the source
// stream broke or the command behind it failed), not because the store
// did: nothing was stored, and the collector may try another way.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return "reading the source: " + e.Err.Error() }

// Unwrap returns the reader's error.
func (e *SourceError) Unwrap() error { return e.Err }

// EvidenceBucket is what the evidence store says about its bucket.
type EvidenceBucket struct {
	Name string `json:"name"`
	// RetentionPeriod is the bucket's retention policy: no object can be
	// deleted or replaced before it is this old. Zero means none.
	RetentionPeriod time.Duration `json:"retention_period,omitempty"`
	RetentionLocked bool          `json:"retention_locked,omitempty"`
}
