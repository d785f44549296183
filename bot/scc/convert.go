package scc

import (
	"slices"
	"sort"
	"strings"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sccbot/sccbot/bot"
)

// FromProto converts a finding and its resource, as ListFindings returns
// them, into the bot's Finding. Either may be nil. It shares its conversion
// with DecodeNotification, so both sources yield identical Findings.
func FromProto(f *securitycenterpb.Finding, r *securitycenterpb.Resource) bot.Finding {
	return convert(f, r, nil)
}

// FromListResult converts one ListFindings result.
func FromListResult(res *securitycenterpb.ListFindingsResponse_ListFindingsResult) bot.Finding {
	return FromProto(res.GetFinding(), ResourceFromList(res.GetResource()))
}

// ResourceFromList converts ListFindings' resource type, which has the same
// fields as a notification's Resource under another name.
func ResourceFromList(r *securitycenterpb.ListFindingsResponse_ListFindingsResult_Resource) *securitycenterpb.Resource {
	if r == nil {
		return nil
	}
	out := &securitycenterpb.Resource{
		Name:               r.GetName(),
		DisplayName:        r.GetDisplayName(),
		Type:               r.GetType(),
		CloudProvider:      r.GetCloudProvider(),
		Service:            r.GetService(),
		Location:           r.GetLocation(),
		ResourcePath:       r.GetResourcePath(),
		ResourcePathString: r.GetResourcePathString(),
	}
	if md := r.GetGcpMetadata(); md != nil {
		out.CloudProviderMetadata = &securitycenterpb.Resource_GcpMetadata{GcpMetadata: md}
	}
	return out
}

func convert(f *securitycenterpb.Finding, r *securitycenterpb.Resource, s *side) bot.Finding {
	sev, _ := bot.ParseSeverity(f.GetSeverity().String())
	out := bot.Finding{
		Name:          f.GetName(),
		CanonicalName: f.GetCanonicalName(),
		Parent:        f.GetParent(),
		Source:        f.GetParentDisplayName(),
		Category:      f.GetCategory(),
		Module:        f.GetModuleName(),
		Class:         enumName(f.GetFindingClass()),
		Severity:      sev,
		State:         enumName(f.GetState()),
		Mute:          enumName(f.GetMute()),
		EventTime:     utc(f.GetEventTime()),
		CreateTime:    utc(f.GetCreateTime()),
		Description:   f.GetDescription(),
		NextSteps:     f.GetNextSteps(),
		ExternalURI:   f.GetExternalUri(),
		Resource:      resourceOf(f, r, s),
		Containers:    containersOf(f),
		Processes:     processesOf(f.GetProcesses()),
		FileHashes:    fileHashes(f.GetFiles()),
		Indicator:     indicatorOf(f.GetIndicator()),
		Contacts:      contactsOf(f.GetContacts()),
	}
	mitre := mitreNamesOf(f.GetMitreAttack())
	if s != nil && s.mitre != nil {
		mitre = s.mitre
	}
	out.Attack = attackOf(mitre)
	out.Target = targetOf(f, r, &out)
	return out
}

// enumName returns SCC's name for an enum value, or "" when unspecified.
func enumName(e interface {
	Number() protoreflect.EnumNumber
	String() string
}) string {
	if e.Number() == 0 {
		return ""
	}
	return e.String()
}

func utc(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime().UTC()
}

func resourceOf(f *securitycenterpb.Finding, r *securitycenterpb.Resource, s *side) bot.Resource {
	md := r.GetGcpMetadata()
	project, projectID, org := md.GetProject(), md.GetProjectDisplayName(), md.GetOrganization()
	if s != nil && s.resource != nil {
		project = first(project, s.resource.Project)
		projectID = first(projectID, s.resource.ProjectDisplayName)
		org = first(org, s.resource.Organization)
	}
	return bot.Resource{
		Name:          first(r.GetName(), f.GetResourceName()),
		Type:          r.GetType(),
		DisplayName:   r.GetDisplayName(),
		Service:       r.GetService(),
		Location:      r.GetLocation(),
		Project:       projectID,
		ProjectNumber: first(projectNumber(project), projectNumber(f.GetCanonicalName())),
		Organization:  first(organizationID(org), organizationID(f.GetName())),
	}
}

// projectNumber extracts 123 from //cloudresourcemanager.googleapis.com/projects/123
// or projects/123/...; it returns "" unless the segment is numeric, because
// the same place may hold a project ID.
func projectNumber(name string) string {
	p := parseResourceName(name).project
	if !isDigits(p) {
		return ""
	}
	return p
}

// organizationID accepts organizations/123, a bare 123, or a name that
// starts with organizations/123/.
func organizationID(s string) string {
	s = strings.TrimPrefix(s, "organizations/")
	id, _, _ := strings.Cut(s, "/")
	if !isDigits(id) {
		return ""
	}
	return id
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// first returns the first non-empty string.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// containersOf prefers finding.containers, then the first pod's containers,
// then the legacy Container Threat Detection source properties.
func containersOf(f *securitycenterpb.Finding) []bot.Container {
	cs := f.GetContainers()
	if len(cs) == 0 {
		if pods := f.GetKubernetes().GetPods(); len(pods) > 0 {
			cs = pods[0].GetContainers()
		}
	}
	if len(cs) == 0 {
		name := stringProp(f, "Container_Name")
		uri := stringProp(f, "Container_Image_Uri")
		if name == "" && uri == "" {
			return nil
		}
		return []bot.Container{{Name: name, ImageURI: uri}}
	}
	out := make([]bot.Container, len(cs))
	for i, c := range cs {
		out[i] = bot.Container{Name: c.GetName(), ImageURI: c.GetUri(), ImageID: c.GetImageId()}
	}
	return out
}

func processesOf(ps []*securitycenterpb.Process) []bot.Process {
	if len(ps) == 0 {
		return nil
	}
	out := make([]bot.Process, len(ps))
	for i, p := range ps {
		out[i] = bot.Process{
			Name:          p.GetName(),
			Binary:        p.GetBinary().GetPath(),
			Args:          slices.Clone(p.GetArgs()),
			ArgsTruncated: p.GetArgumentsTruncated(),
			SHA256:        p.GetBinary().GetSha256(),
			PID:           p.GetPid(),
			ParentPID:     p.GetParentPid(),
			Script:        p.GetScript().GetPath(),
		}
	}
	return out
}

func fileHashes(files []*securitycenterpb.File) []string {
	var out []string
	for _, f := range files {
		if h := f.GetSha256(); h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

func indicatorOf(ind *securitycenterpb.Indicator) bot.Indicator {
	return bot.Indicator{
		Domains: slices.Clone(ind.GetDomains()),
		IPs:     slices.Clone(ind.GetIpAddresses()),
		URIs:    slices.Clone(ind.GetUris()),
	}
}

// contactsOf lists the "security" contacts first, because those are the
// people Essential Contacts names for security notifications, then the
// other categories in name order, without duplicates.
func contactsOf(m map[string]*securitycenterpb.ContactDetails) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "security" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	keys = append([]string{"security"}, keys...)
	var out []string
	for _, k := range keys {
		for _, c := range m[k].GetContacts() {
			if e := c.GetEmail(); e != "" && !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}
