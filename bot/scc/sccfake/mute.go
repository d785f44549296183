package sccfake

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

// muteConfigID is the API's rule for a mute config id: lowercase letters,
// digits and hyphens, starting with a letter, ending with a letter or a
// digit, at most 63 characters.
var muteConfigID = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// muteFilterFields are the fields a mute config's filter may name, as the
// v2 MuteConfig.filter reference lists them, less those the evaluator does
// not know (resource.folders.resource_folder, indicator.*), which a test
// therefore cannot use.
var muteFilterFields = []string{
	"severity", "category", "finding_class",
	"resource.name", "resource.project_name", "resource.project_display_name",
	"resource.parent_name", "resource.parent_display_name", "resource.type",
}

func muteFilterField(field string) bool { return slices.Contains(muteFilterFields, field) }

// muteRule is a stored mute config with its compiled filter.
type muteRule struct {
	config *securitycenterpb.MuteConfig
	scope  sourcePath // the parent as a scope: source "-"
	filter node
}

// parseMuteParent accepts {organizations|folders|projects}/ID with an
// optional /locations/L (global when absent), as a scope over every
// source.
func parseMuteParent(parent string) (sourcePath, bool) {
	scope, location, located := strings.Cut(parent, "/locations/")
	segs := strings.Split(scope, "/")
	if len(segs) != 2 || segs[1] == "" || (located && (location == "" || strings.Contains(location, "/"))) {
		return sourcePath{}, false
	}
	switch segs[0] {
	case "organizations", "folders", "projects":
	default:
		return sourcePath{}, false
	}
	if !located {
		location = "global"
	}
	return sourcePath{scope: scope, source: "-", location: location}, true
}

func (p sourcePath) muteParent() string { return p.scope + "/locations/" + p.location }

// CreateMuteConfig validates and stores a mute config: a known parent, a
// valid id that is not taken, a filter the fake can evaluate over the
// fields mute configs support, and a type (an expiry only on a dynamic
// config, in the future).
func (s *Server) CreateMuteConfig(_ context.Context, req *securitycenterpb.CreateMuteConfigRequest) (*securitycenterpb.MuteConfig, error) {
	rule, err := s.newMuteRule(req)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := rule.config.GetName()
	if _, taken := s.muteRules[name]; taken {
		return nil, status.Errorf(codes.AlreadyExists, "mute config %q already exists", name)
	}
	now := timestamppb.New(s.now())
	rule.config.CreateTime, rule.config.UpdateTime = now, now
	if s.muteRules == nil {
		s.muteRules = map[string]*muteRule{}
	}
	s.muteRules[name] = rule
	return proto.CloneOf(rule.config), nil
}

func (s *Server) newMuteRule(req *securitycenterpb.CreateMuteConfigRequest) (*muteRule, error) {
	scope, ok := parseMuteParent(req.GetParent())
	if !ok {
		return nil, fmt.Errorf("invalid parent %q", req.GetParent())
	}
	if !muteConfigID.MatchString(req.GetMuteConfigId()) {
		return nil, fmt.Errorf("invalid mute_config_id %q", req.GetMuteConfigId())
	}
	mc := req.GetMuteConfig()
	if strings.TrimSpace(mc.GetFilter()) == "" {
		return nil, fmt.Errorf("mute_config.filter is required")
	}
	filter, err := parseFilterOf(mc.GetFilter(), muteFilterField)
	if err != nil {
		return nil, fmt.Errorf("invalid mute_config.filter: %w", err)
	}
	switch mc.GetType() {
	case securitycenterpb.MuteConfig_STATIC:
		if mc.GetExpiryTime() != nil {
			return nil, fmt.Errorf("only a DYNAMIC mute config can expire")
		}
	case securitycenterpb.MuteConfig_DYNAMIC:
		if exp := mc.GetExpiryTime(); exp != nil && !exp.AsTime().After(s.now()) {
			return nil, fmt.Errorf("mute_config.expiry_time %s is not in the future", exp.AsTime())
		}
	default:
		return nil, fmt.Errorf("mute_config.type must be STATIC or DYNAMIC")
	}
	config := proto.CloneOf(mc)
	config.Name = scope.muteParent() + "/muteConfigs/" + req.GetMuteConfigId()
	config.MostRecentEditor = "sccfake"
	return &muteRule{config: config, scope: scope, filter: filter}, nil
}

// normalizeMuteName spells a mute config name with its location.
func normalizeMuteName(name string) string {
	parent, id, ok := strings.Cut(name, "/muteConfigs/")
	scope, okp := parseMuteParent(parent)
	if !ok || !okp || id == "" {
		return name
	}
	return scope.muteParent() + "/muteConfigs/" + id
}

// GetMuteConfig returns a stored mute config.
func (s *Server) GetMuteConfig(_ context.Context, req *securitycenterpb.GetMuteConfigRequest) (*securitycenterpb.MuteConfig, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rule, ok := s.muteRules[normalizeMuteName(req.GetName())]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "mute config %q not found", req.GetName())
	}
	return proto.CloneOf(rule.config), nil
}

// DeleteMuteConfig removes a stored mute config.
func (s *Server) DeleteMuteConfig(_ context.Context, req *securitycenterpb.DeleteMuteConfigRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := normalizeMuteName(req.GetName())
	if _, ok := s.muteRules[name]; !ok {
		return nil, status.Errorf(codes.NotFound, "mute config %q not found", req.GetName())
	}
	delete(s.muteRules, name)
	return &emptypb.Empty{}, nil
}

// ListMuteConfigs lists the mute configs of a parent by name, paged.
func (s *Server) ListMuteConfigs(_ context.Context, req *securitycenterpb.ListMuteConfigsRequest) (*securitycenterpb.ListMuteConfigsResponse, error) {
	scope, ok := parseMuteParent(req.GetParent())
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "invalid parent %q", req.GetParent())
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	fingerprint := grpcfake.Fingerprint(scope.muteParent())
	offset, err := grpcfake.ParsePageToken(req.GetPageToken(), fingerprint)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	all := s.muteConfigsUnder(scope.muteParent())
	start, end, next, err := page(offset, size, len(all), fingerprint)
	if err != nil {
		return nil, err
	}
	return &securitycenterpb.ListMuteConfigsResponse{MuteConfigs: all[start:end], NextPageToken: next}, nil
}

func (s *Server) muteConfigsUnder(parent string) []*securitycenterpb.MuteConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*securitycenterpb.MuteConfig
	for name, rule := range s.muteRules {
		if strings.HasPrefix(name, parent+"/muteConfigs/") {
			out = append(out, proto.CloneOf(rule.config))
		}
	}
	slices.SortFunc(out, func(a, b *securitycenterpb.MuteConfig) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}

// MuteRuleMatches reports whether the stored mute config ruleName would
// mute the stored finding findingName: the finding is under the rule's
// parent and the rule's filter, evaluated as ListFindings evaluates
// filters, matches it. It is for tests; either name missing is an error.
func (s *Server) MuteRuleMatches(ruleName, findingName string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rule, ok := s.muteRules[normalizeMuteName(ruleName)]
	if !ok {
		return false, fmt.Errorf("no mute config %q", ruleName)
	}
	e, ok := s.findings[normalizeName(findingName)]
	if !ok {
		return false, fmt.Errorf("no finding %q", findingName)
	}
	return rule.scope.matches(e) && rule.filter.match(e), nil
}
