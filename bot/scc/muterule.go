package scc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sccbot/sccbot/bot"
)

// RoleMuteConfigsEditor grants creating mute rules
// (securitycenter.muteconfigs.create).
const RoleMuteConfigsEditor = "roles/securitycenter.muteConfigsEditor"

// Mute rule proposal limits.
const (
	// muteIDSlug bounds the readable part of a proposed id, so that
	// "sccbot-" + slug + "-" + hash stays within the API's 63 characters.
	muteIDSlug = 44
	// muteIDHash is how many hex digits of the fields' hash end the id.
	muteIDHash = 10
	// maxMuteDescription bounds the proposed description, in runes.
	maxMuteDescription = 1024
)

// validMuteID is the API's rule for a mute config id.
var validMuteID = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// MuteRuleFor proposes a dynamic mute rule that mutes findings like f:
// the same category, in the same project and, for a GKE or Cloud Run
// finding, on the same resource (the cluster, or the service or job).
//
// The filter uses only fields the v2 MuteConfig.filter reference lists
// (category, resource.project_display_name, resource.name); it has no
// Kubernetes namespace field, so a GKE rule covers the whole cluster,
// which the description says. Every value is attacker-controlled and is
// quoted with bot.QuoteFilter. A value QuoteFilter cannot carry exactly
// (one with control characters or invalid UTF-8, which QuoteFilter drops
// or replaces) is required piece by piece instead: each clean run must
// appear in the field (`:`), so the rule still matches f and can never
// match more than the same field holding all those pieces.
//
// A value with nothing printable in it (only control characters or
// invalid bytes) cannot be required at all; the rule's filter is then
// empty, which CreateMuteRule refuses, rather than a wider rule.
//
// The rule applies under f's organization, folder or project, in f's
// location. Its id is derived from the fields, so proposing it again for
// a similar finding gives the same id.
func MuteRuleFor(f bot.Finding) bot.MuteRule {
	// Only the resource's own project ID: resource.project_display_name
	// is what SCC filters on, and a project inferred elsewhere (the
	// target) would make a rule that matches nothing when SCC lacks it.
	project := f.Resource.Project
	resource := workloadResource(f)
	fields := [][2]string{{"category", f.Category}}
	if project != "" {
		fields = append(fields, [2]string{"resource.project_display_name", project})
	}
	if resource != "" {
		fields = append(fields, [2]string{"resource.name", resource})
	}
	var clauses []string
	for _, fv := range fields {
		r, ok := restriction(fv[0], fv[1])
		if fv[0] == "resource.name" {
			r, ok = workloadRestriction(fv[1])
		}
		if !ok {
			// Dropping the field would widen the rule; an empty filter
			// is refused by CreateMuteRule instead.
			clauses = nil
			break
		}
		clauses = append(clauses, r...)
	}
	parent := muteParent(f)
	return bot.MuteRule{
		ID:          muteRuleID(f.Category, project, cloudRunWorkload(resource), parent),
		Parent:      parent,
		Filter:      strings.Join(clauses, " AND "),
		Description: muteDescription(f, project, resource),
		Type:        bot.MuteRuleDynamic,
	}
}

// restriction is field = value, or the value's clean runs each required
// with `:` when the value cannot be quoted exactly. A non-empty value
// with no clean run at all cannot be expressed (ok false).
func restriction(field, value string) (clauses []string, ok bool) {
	if exactlyQuotable(value) {
		return []string{field + " = " + bot.QuoteFilter(value)}, true
	}
	for _, run := range cleanRuns(value) {
		clauses = append(clauses, field+" : "+bot.QuoteFilter(run))
	}
	return clauses, len(clauses) > 0
}

// workloadRestriction binds the rule to a Cloud Run service or job when
// the finding names one of its revisions or executions, which come and
// go: the service itself, or anything under it. Any other resource name
// (a GKE cluster, a service) is required exactly.
func workloadRestriction(name string) ([]string, bool) {
	base := cloudRunWorkload(name)
	if base == name || !exactlyQuotable(base) {
		return restriction("resource.name", name)
	}
	return []string{"(resource.name = " + bot.QuoteFilter(base) + " OR resource.name : " + bot.QuoteFilter(base+"/") + ")"}, true
}

// cloudRunWorkload cuts //run.googleapis.com/.../services/S/revisions/R
// to the service and .../jobs/J/executions/E to the job; other names are
// returned as they are.
func cloudRunWorkload(name string) string {
	if !strings.HasPrefix(name, "//run.googleapis.com/") {
		return name
	}
	for _, child := range []string{"/revisions/", "/executions/"} {
		if base, _, ok := strings.Cut(name, child); ok {
			return base
		}
	}
	return name
}

// exactlyQuotable reports whether QuoteFilter keeps every byte of s.
func exactlyQuotable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// cleanRuns splits s at control characters and invalid bytes.
func cleanRuns(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unicode.IsControl(r) {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + size
		}
		i += size
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// workloadResource is the resource a container finding names (a GKE
// cluster, a Cloud Run service or job, or one of their revisions or
// executions), or "" for other findings.
func workloadResource(f bot.Finding) string {
	switch f.Target.Product {
	case bot.ProductGKE, bot.ProductCloudRun:
		return f.Resource.Name
	}
	return ""
}

// muteParent is the scope of f's name with its location:
// organizations/O/locations/global, or the folder or project equivalent.
// A finding without a valid name gets its parent's scope, if that parses.
func muteParent(f bot.Finding) string {
	if n, ok := parseFindingName(f.Name); ok {
		return n.source.scope + "/locations/" + n.source.location
	}
	if s, ok := parseSourceName(f.Parent); ok {
		return s.scope + "/locations/" + s.location
	}
	return ""
}

// muteRuleID is "sccbot-", a readable slug of the category, and a hash
// of everything the rule depends on.
func muteRuleID(category, project, resource, parent string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{category, project, resource, parent}, "\x00")))
	slug := slugOf(category, muteIDSlug)
	if slug != "" {
		slug += "-"
	}
	return "sccbot-" + slug + hex.EncodeToString(sum[:])[:muteIDHash]
}

// slugOf keeps lowercase ASCII letters and digits of s, runs of anything
// else becoming one hyphen, cut to at most n bytes without a hyphen at
// either end.
func slugOf(s string, n int) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			hyphen = true
			continue
		}
		if hyphen && b.Len() > 0 {
			b.WriteByte('-')
		}
		hyphen = false
		b.WriteRune(r)
		if b.Len() >= n {
			break
		}
	}
	return strings.TrimRight(b.String()[:min(b.Len(), n)], "-")
}

// muteDescription says what the rule mutes and where it came from, in
// plain text (control characters dropped, length bounded).
func muteDescription(f bot.Finding, project, resource string) string {
	d := fmt.Sprintf("Proposed by sccbot from finding %s: mutes %q findings", f.ShortID(), f.Category)
	if project != "" {
		d += fmt.Sprintf(" in project %q", project)
	}
	if resource != "" {
		d += fmt.Sprintf(" on %s", cloudRunWorkload(resource))
		if f.Target.Product == bot.ProductGKE {
			d += " (every namespace: mute rules cannot filter by namespace)"
		}
	}
	d = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(d, "\uFFFD"))
	if runes := []rune(d); len(runes) > maxMuteDescription {
		d = string(runes[:maxMuteDescription-1]) + "…"
	}
	return d
}

// CreateMuteRule creates r as an SCC v2 mute config and returns its name.
// The id is derived from the rule's fields, so creating a rule that
// exists with the same filter returns the existing one (a retried or
// repeated request is not an error); an id taken by another filter is
// EConflict. Errors and retries are as for every Client call.
func (c *Client) CreateMuteRule(ctx context.Context, r bot.MuteRule) (string, error) {
	req, scope, err := muteConfigRequest(r)
	if err != nil {
		return "", err
	}
	name := r.Parent + "/muteConfigs/" + r.ID
	op := operation{what: "create the mute rule", verb: "create mute rules", role: RoleMuteConfigsEditor,
		scope: scope, target: name,
		notFound: fmt.Sprintf("SCC has no %s: Security Command Center may not be active there", r.Parent),
		conflict: fmt.Sprintf("SCC already has a mute rule %s with another filter", r.ID)}
	var out *securitycenterpb.MuteConfig
	err = c.call(ctx, op, func(ctx context.Context) (err error) {
		out, err = c.sc.CreateMuteConfig(ctx, req)
		return err
	})
	if status.Code(err) == codes.AlreadyExists {
		return c.existingMuteRule(ctx, op, name, r.Filter, err)
	}
	if err != nil {
		return "", err
	}
	return out.GetName(), nil
}

// existingMuteRule returns the name of the mute rule that made a create
// fail with AlreadyExists if it has the same filter, and created (the
// translated error, EConflict) if not.
func (c *Client) existingMuteRule(ctx context.Context, op operation, name, filter string, created error) (string, error) {
	var got *securitycenterpb.MuteConfig
	err := c.call(ctx, op, func(ctx context.Context) (err error) {
		got, err = c.sc.GetMuteConfig(ctx, &securitycenterpb.GetMuteConfigRequest{Name: name})
		return err
	})
	if err != nil || got.GetFilter() != filter {
		return "", created
	}
	return got.GetName(), nil
}

// muteConfigRequest validates r and builds its request; it also returns
// the organization, folder or project the rule applies under.
func muteConfigRequest(r bot.MuteRule) (*securitycenterpb.CreateMuteConfigRequest, string, error) {
	if !validMuteID.MatchString(r.ID) {
		return nil, "", bot.Errorf(bot.EInvalid, "mute rule id %q is not valid: use up to 63 lowercase letters, "+
			"digits or hyphens, starting with a letter", r.ID)
	}
	scope, ok := parseLocatedScope(r.Parent)
	if !ok {
		return nil, "", bot.Errorf(bot.EInvalid, "mute rule parent %q is not {organizations|folders|projects}/ID/locations/L", r.Parent)
	}
	if strings.TrimSpace(r.Filter) == "" {
		return nil, "", bot.Errorf(bot.EInvalid, "mute rule %s has no filter: it would mute every finding", r.ID)
	}
	mc := &securitycenterpb.MuteConfig{Description: r.Description, Filter: r.Filter}
	switch r.Type {
	case bot.MuteRuleDynamic, "":
		mc.Type = securitycenterpb.MuteConfig_DYNAMIC
		if !r.Expiry.IsZero() {
			mc.ExpiryTime = timestamppb.New(r.Expiry)
		}
	case bot.MuteRuleStatic:
		if !r.Expiry.IsZero() {
			return nil, "", bot.Errorf(bot.EInvalid, "only a dynamic mute rule can expire")
		}
		mc.Type = securitycenterpb.MuteConfig_STATIC
	default:
		return nil, "", bot.Errorf(bot.EInvalid, "mute rule type %q is not STATIC or DYNAMIC", r.Type)
	}
	return &securitycenterpb.CreateMuteConfigRequest{Parent: r.Parent, MuteConfig: mc, MuteConfigId: r.ID}, scope, nil
}

// parseLocatedScope accepts {organizations|folders|projects}/ID/locations/L
// and returns the scope before /locations/.
func parseLocatedScope(p string) (string, bool) {
	scope, location, ok := strings.Cut(p, "/locations/")
	if !ok || location == "" || strings.Contains(location, "/") {
		return "", false
	}
	_, ok = parseSourceName(scope + "/sources/x/locations/" + location)
	return scope, ok
}
