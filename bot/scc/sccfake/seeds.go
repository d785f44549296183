package sccfake

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The seed notifications are synthetic: no verbatim Container or Cloud Run
// Threat Detection finding is public. They follow the v2 NotificationMessage
// shape and fill every field SCC sets for these detectors.
//
//go:embed seeds/*.json
var seedFiles embed.FS

// Seed keys.
const (
	// SeedGKECompiler is "Defense Evasion: Launch Code Compiler Tool In
	// Container" on GKE (demo-prod, prod-cluster, payments namespace).
	SeedGKECompiler = "gke-compiler"
	// SeedCloudRunCompiler is the same category on a Cloud Run service
	// whose revision is only in the container labels.
	SeedCloudRunCompiler = "run-compiler"
	// SeedCloudRunMaliciousBinary is "Execution: Built in Malicious Binary
	// Executed" on a Cloud Run revision.
	SeedCloudRunMaliciousBinary = "run-malicious-binary"
	// SeedGKECompilerV1 is a v1-format notification of the GKE scenario.
	SeedGKECompilerV1 = "gke-compiler-v1"
)

// Seed is one embedded NotificationMessage, as SCC publishes it to Pub/Sub.
type Seed struct {
	Key   string
	Title string
	JSON  []byte
}

func seedTitles() []Seed {
	return []Seed{
		{Key: SeedGKECompiler, Title: "GKE: Defense Evasion: Launch Code Compiler Tool In Container"},
		{Key: SeedCloudRunCompiler, Title: "Cloud Run: Defense Evasion: Launch Code Compiler Tool In Container"},
		{Key: SeedCloudRunMaliciousBinary, Title: "Cloud Run: Execution: Built in Malicious Binary Executed"},
		{Key: SeedGKECompilerV1, Title: "GKE (v1 notification format): Defense Evasion: Launch Code Compiler Tool In Container"},
	}
}

// Seeds returns fresh copies of all seed notifications, in a fixed order.
func Seeds() []Seed {
	seeds := seedTitles()
	for i := range seeds {
		seeds[i].JSON, _ = SeedJSON(seeds[i].Key)
	}
	return seeds
}

// SeedJSON returns a fresh copy of one seed notification.
func SeedJSON(key string) ([]byte, bool) {
	b, err := seedFiles.ReadFile("seeds/" + path.Base(key) + ".json")
	if err != nil {
		return nil, false
	}
	return b, true
}

// SeedFinding returns the finding and resource of a seed, or nils for an
// unknown key. The v1 seed's project fields are moved to gcpMetadata, where
// the v2 types keep them.
func SeedFinding(key string) (*securitycenterpb.Finding, *securitycenterpb.Resource) {
	data, ok := SeedJSON(key)
	if !ok {
		return nil, nil
	}
	f, r, err := ParseNotification(data)
	if err != nil {
		panic(fmt.Sprintf("sccfake: embedded seed %s: %v", key, err))
	}
	return f, r
}

// SeedVariant is SeedFinding with another finding ID and event time, for
// tests that need many distinct findings.
func SeedVariant(key, id string, eventTime time.Time) (*securitycenterpb.Finding, *securitycenterpb.Resource) {
	f, r := SeedFinding(key)
	if f == nil {
		return nil, nil
	}
	old := path.Base(f.GetName())
	f.Name = strings.Replace(f.GetName(), "/findings/"+old, "/findings/"+id, 1)
	f.CanonicalName = strings.Replace(f.GetCanonicalName(), "/findings/"+old, "/findings/"+id, 1)
	if sm := f.GetSecurityMarks(); sm != nil {
		sm.Name = f.GetName() + "/securityMarks"
		if f.GetCanonicalName() != "" {
			sm.CanonicalName = f.GetCanonicalName() + "/securityMarks"
		}
	}
	f.EventTime = timestamppb.New(eventTime)
	return f, r
}

// ParseNotification decodes a NotificationMessage (v1 or v2 format) into
// the v2 finding and resource. Invalid UTF-8 is replaced with U+FFFD.
func ParseNotification(data []byte) (*securitycenterpb.Finding, *securitycenterpb.Resource, error) {
	data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	var msg securitycenterpb.NotificationMessage
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &msg); err != nil {
		return nil, nil, err
	}
	if msg.GetFinding() == nil {
		return nil, nil, fmt.Errorf("no finding in notification")
	}
	r := msg.GetResource()
	if r != nil && r.GetCloudProviderMetadata() == nil {
		if md := v1Metadata(data); md != nil {
			r.CloudProviderMetadata = &securitycenterpb.Resource_GcpMetadata{GcpMetadata: md}
		}
	}
	return msg.GetFinding(), r, nil
}

// v1Metadata reads the project fields that a v1 resource has at top level
// and that the v2 type silently drops.
func v1Metadata(data []byte) *securitycenterpb.GcpMetadata {
	var v1 struct {
		Resource struct {
			Project            string `json:"project"`
			ProjectDisplayName string `json:"projectDisplayName"`
			Parent             string `json:"parent"`
			ParentDisplayName  string `json:"parentDisplayName"`
			Organization       string `json:"organization"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(data, &v1); err != nil || v1.Resource.ProjectDisplayName == "" {
		return nil
	}
	rs := v1.Resource
	return &securitycenterpb.GcpMetadata{Project: rs.Project, ProjectDisplayName: rs.ProjectDisplayName,
		Parent: rs.Parent, ParentDisplayName: rs.ParentDisplayName, Organization: rs.Organization}
}

// AddNotification stores the finding of a NotificationMessage, so that the
// fake lists what a Pub/Sub fake delivered.
func (s *Server) AddNotification(data []byte) error {
	f, r, err := ParseNotification(data)
	if err != nil {
		return fmt.Errorf("sccfake: add notification: %w", err)
	}
	s.AddFinding(f, r)
	return nil
}

// WithEventTime returns a copy of a notification whose finding has event
// time t.
func WithEventTime(data []byte, t time.Time) []byte {
	return editFinding(data, func(f map[string]any) {
		f["eventTime"] = t.UTC().Format(time.RFC3339Nano)
	})
}

// WithFindingID returns a copy of a notification whose finding has ID id
// (in its name, canonical name and security marks names).
func WithFindingID(data []byte, id string) []byte {
	return editFinding(data, func(f map[string]any) {
		name, _ := f["name"].(string)
		old := "/findings/" + path.Base(name)
		for _, k := range []string{"name", "canonicalName"} {
			if v, ok := f[k].(string); ok {
				f[k] = strings.Replace(v, old, "/findings/"+id, 1)
			}
		}
		if sm, ok := f["securityMarks"].(map[string]any); ok {
			for _, k := range []string{"name", "canonicalName"} {
				if v, ok := sm[k].(string); ok {
					sm[k] = strings.Replace(v, old, "/findings/"+id, 1)
				}
			}
		}
	})
}

// editFinding round-trips the JSON through a generic map; numbers stay
// exact. It returns the input unchanged if it is not a notification.
func editFinding(data []byte, edit func(f map[string]any)) []byte {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var msg map[string]any
	if err := dec.Decode(&msg); err != nil {
		return bytes.Clone(data)
	}
	f, ok := msg["finding"].(map[string]any)
	if !ok {
		return bytes.Clone(data)
	}
	edit(f)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(msg); err != nil {
		return bytes.Clone(data)
	}
	return buf.Bytes()
}
