// Package bot is the domain of sccbot: a Security Command Center finding as the
// bot understands it, the neutral chat message that handlers build, and the
// errors a user may see. It imports only the standard library. Adapters (Slack,
// SCC, Cloud Logging, the store) convert to and from these types; nothing here
// knows about any SDK.
//
// Every string in a Finding comes from the finding itself and is therefore
// attacker-controlled: process arguments, paths, pod and container names and
// image URIs are chosen by whoever runs code in the workload. Code that renders
// or embeds these strings must escape them for the place they go.
package bot

import (
	"path"
	"strings"
	"time"
)

// Product is the Google Cloud product that runs the affected workload.
type Product string

// Products the bot tells apart. Everything else is ProductOther.
const (
	ProductGKE      Product = "gke"
	ProductCloudRun Product = "cloud_run"
	ProductOther    Product = "other"
)

// ParseProduct accepts the spellings used in configuration.
func ParseProduct(s string) (Product, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "gke", "kubernetes":
		return ProductGKE, true
	case "cloud_run", "cloudrun", "cloud-run", "run":
		return ProductCloudRun, true
	case "other":
		return ProductOther, true
	}
	return "", false
}

// Label is the product name shown to people.
func (p Product) Label() string {
	switch p {
	case ProductGKE:
		return "GKE"
	case ProductCloudRun:
		return "Cloud Run"
	}
	return "Other"
}

// Finding is one SCC finding notification, decoded. Times are UTC. Fields that
// the source did not carry are zero.
type Finding struct {
	// Name is the finding's full resource name, e.g.
	// organizations/1/sources/2/locations/global/findings/abc. It is the
	// finding's identity everywhere in the bot.
	Name string
	// CanonicalName uses the closest CRM ancestor (projects/{number}/...).
	CanonicalName string
	// Parent is the source the finding belongs to (organizations/1/sources/2).
	Parent string
	// Source is the display name of the source, e.g. "Container Threat Detection".
	Source string
	// Category is the detector's category, e.g.
	// "Defense Evasion: Launch Code Compiler Tool In Container".
	Category string
	// Module is the detector module name, when SCC sends it.
	Module string
	// Class is the finding class (THREAT, VULNERABILITY, ...).
	Class    string
	Severity Severity
	// State is ACTIVE or INACTIVE.
	State string
	// Mute is MUTED, UNMUTED or UNDEFINED.
	Mute string
	// EventTime is when the activity happened (it moves when SCC updates the
	// finding); CreateTime is when SCC first created it.
	EventTime  time.Time
	CreateTime time.Time

	Description string
	NextSteps   string
	ExternalURI string

	Resource   Resource
	Target     Target
	Containers []Container
	Processes  []Process
	// FileHashes are SHA-256 hashes of files named by the finding (finding.files).
	FileHashes []string
	Attack     Attack
	Indicator  Indicator
	// Contacts are e-mail addresses SCC resolved from Essential Contacts for
	// the SECURITY category (finding.contacts), in order.
	Contacts []string
	// NotificationConfig is the notification config that published the
	// finding, when it came from Pub/Sub.
	NotificationConfig string
}

// Resource is the affected cloud resource as SCC describes it.
type Resource struct {
	// Name is the full resource name, e.g.
	// //container.googleapis.com/projects/p/locations/l/clusters/c.
	Name        string
	Type        string
	DisplayName string
	Service     string
	Location    string
	// Project is the project ID (SCC's project display name).
	Project string
	// ProjectNumber is the numeric project ID, when known.
	ProjectNumber string
	// Organization is the numeric organization ID, when known.
	Organization string
}

// Target is the workload a finding points at, with the coordinates a
// responder needs to find it. Which fields are set depends on Product.
type Target struct {
	Product  Product
	Project  string
	Location string

	// GKE.
	Cluster   string
	Namespace string
	Pod       string
	Node      string

	// Cloud Run.
	Service   string
	Job       string
	Revision  string
	Execution string

	// Container is the affected container's name (both products).
	Container string
}

// Container is a container named by the finding.
type Container struct {
	Name     string
	ImageURI string
	ImageID  string
}

// Process is a process named by the finding.
type Process struct {
	Name   string
	Binary string
	Args   []string
	// ArgsTruncated is set when SCC itself cut the argument list.
	ArgsTruncated bool
	SHA256        string
	PID           int64
	ParentPID     int64
	Script        string
}

// Attack is the finding's own MITRE ATT&CK classification.
type Attack struct {
	Tactic               TechniqueRef
	Techniques           []TechniqueRef
	AdditionalTactics    []TechniqueRef
	AdditionalTechniques []TechniqueRef
	Version              string
}

// TechniqueRef names an ATT&CK tactic or technique the way SCC does (an enum
// such as COMPILE_AFTER_DELIVERY) together with its ATT&CK id (T1027.004),
// when the id is known.
type TechniqueRef struct {
	Enum string
	ID   string
}

// Empty reports whether the reference names nothing.
func (t TechniqueRef) Empty() bool { return t.Enum == "" && t.ID == "" }

// Indicator holds indicators of compromise carried by the finding.
type Indicator struct {
	Domains []string
	IPs     []string
	URIs    []string
}

// ShortID is the last segment of the finding name: the id responders type.
func (f Finding) ShortID() string { return path.Base(f.Name) }

// Image returns the affected container image URI, if any.
func (f Finding) Image() string {
	for _, c := range f.Containers {
		if c.ImageURI != "" {
			return c.ImageURI
		}
	}
	return ""
}

// Process returns the first process named by the finding.
func (f Finding) Process() (Process, bool) {
	if len(f.Processes) == 0 {
		return Process{}, false
	}
	return f.Processes[0], true
}

// SHA256 returns the hash a responder should look up first: the first
// process binary's, then the first file's.
func (f Finding) SHA256() string {
	for _, p := range f.Processes {
		if p.SHA256 != "" {
			return p.SHA256
		}
	}
	if len(f.FileHashes) > 0 {
		return f.FileHashes[0]
	}
	return ""
}

// AllTechniques returns the primary then additional techniques, without
// duplicates.
func (f Finding) AllTechniques() []TechniqueRef {
	seen := map[TechniqueRef]bool{}
	var out []TechniqueRef
	for _, group := range [][]TechniqueRef{f.Attack.Techniques, f.Attack.AdditionalTechniques} {
		for _, t := range group {
			if t.Empty() || seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Project returns the best known project ID for the finding.
func (f Finding) Project() string {
	if f.Target.Project != "" {
		return f.Target.Project
	}
	return f.Resource.Project
}

// NotificationKey identifies one notification of a finding: SCC re-publishes
// a finding when it changes, and event time moves when the activity recurs.
type NotificationKey struct {
	Name      string
	EventTime time.Time
}

// Key returns the dedupe key of this notification.
func (f Finding) Key() NotificationKey {
	return NotificationKey{Name: f.Name, EventTime: f.EventTime.UTC()}
}

// Sighting is what the store knows of a finding when one of its
// notifications arrives: whether that notification was handled, the
// stored finding's status, and its own card. The intake reads it in one
// call, one round trip on a networked store.
type Sighting struct {
	Handled bool
	// Status is the stored finding's, when Known.
	Status FindingStatus
	Known  bool
	// Card is the finding's own card; empty when none was posted.
	Card MessageRef
}

// Rejected is an inbound message the bot could not use, kept so that nothing
// is lost silently: where it came from, why it was rejected, and (a bounded
// prefix of) what it said.
type Rejected struct {
	Source     string
	Reason     string
	Payload    []byte
	ReceivedAt time.Time
}

// FindingStatus is what SCC can change about a finding without it being a
// new one: its state, mute and severity, as of its event time.
type FindingStatus struct {
	EventTime time.Time
	State     string
	Mute      string
	Severity  Severity
}

// Status returns f's status.
func (f Finding) Status() FindingStatus {
	return FindingStatus{EventTime: f.EventTime, State: f.State, Mute: f.Mute, Severity: f.Severity}
}
