package sccfake_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

const muteParent = "organizations/123456789012/locations/global"

func muteReq(id, filter string) *securitycenterpb.CreateMuteConfigRequest {
	return &securitycenterpb.CreateMuteConfigRequest{Parent: muteParent, MuteConfigId: id,
		MuteConfig: &securitycenterpb.MuteConfig{Filter: filter, Type: securitycenterpb.MuteConfig_DYNAMIC}}
}

// TestMuteConfigLifecycle drives create, get, list (paged), match and
// delete through the real client.
func TestMuteConfigLifecycle(t *testing.T) {
	fake, c := start(t)
	ctx := context.Background()
	f, r := sccfake.SeedFinding(sccfake.SeedGKECompiler)
	fake.AddFinding(f, r)
	created, err := c.CreateMuteConfig(ctx, muteReq("compiler", `category = "`+f.GetCategory()+`" AND resource.project_display_name = "demo-prod"`))
	if err != nil {
		t.Fatal(err)
	}
	if want := muteParent + "/muteConfigs/compiler"; created.GetName() != want || created.GetCreateTime() == nil {
		t.Errorf("created %q (create time %v), want %q with a time", created.GetName(), created.GetCreateTime(), want)
	}
	for i := range 3 {
		if _, err := c.CreateMuteConfig(ctx, muteReq(fmt.Sprintf("other-%d", i), `severity = "CRITICAL"`)); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreateMuteConfig(ctx, muteReq("compiler", `severity = "LOW"`))
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("duplicate id: %v, want AlreadyExists", err)
	}
	got, err := c.GetMuteConfig(ctx, &securitycenterpb.GetMuteConfigRequest{Name: created.GetName()})
	if err != nil || got.GetFilter() != created.GetFilter() {
		t.Errorf("GetMuteConfig = %v, %v", got, err)
	}
	for name, want := range map[string]bool{created.GetName(): true, muteParent + "/muteConfigs/other-0": false} {
		ok, err := fake.MuteRuleMatches(name, f.GetName())
		if err != nil || ok != want {
			t.Errorf("MuteRuleMatches(%s) = %v, %v; want %v", name, ok, err, want)
		}
	}
	var names []string
	it := c.ListMuteConfigs(ctx, &securitycenterpb.ListMuteConfigsRequest{Parent: muteParent, PageSize: 1})
	for {
		mc, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, mc.GetName()[len(muteParent+"/muteConfigs/"):])
	}
	if fmt.Sprint(names) != "[compiler other-0 other-1 other-2]" {
		t.Errorf("listed %v", names)
	}
	if err := c.DeleteMuteConfig(ctx, &securitycenterpb.DeleteMuteConfigRequest{Name: created.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetMuteConfig(ctx, &securitycenterpb.GetMuteConfigRequest{Name: created.GetName()}); status.Code(err) != codes.NotFound {
		t.Errorf("get after delete: %v, want NotFound", err)
	}
	if _, err := fake.MuteRuleMatches(created.GetName(), f.GetName()); err == nil {
		t.Error("MuteRuleMatches of a deleted rule: no error")
	}
}

// TestMuteConfigRejects: what the API refuses, the fake refuses.
func TestMuteConfigRejects(t *testing.T) {
	_, c := start(t)
	past := timestamppb.New(time.Now().Add(-time.Hour))
	tests := map[string]*securitycenterpb.CreateMuteConfigRequest{
		"id with capitals":     muteReq("Compiler", `severity = "LOW"`),
		"id ending in hyphen":  muteReq("compiler-", `severity = "LOW"`),
		"id of 64 characters":  muteReq("a"+fmt.Sprintf("%063d", 0), `severity = "LOW"`),
		"id starting digit":    muteReq("1compiler", `severity = "LOW"`),
		"empty filter":         muteReq("a", " "),
		"unparsable filter":    muteReq("a", `category = "open`),
		"unsupported field":    muteReq("a", `external_uri = "x"`),
		"marks not in a rule":  muteReq("a", `security_marks.marks.x = "y"`),
		"source as the parent": {Parent: orgParent, MuteConfigId: "a", MuteConfig: muteReq("a", `severity = "LOW"`).MuteConfig},
		"no type": {Parent: muteParent, MuteConfigId: "a",
			MuteConfig: &securitycenterpb.MuteConfig{Filter: `severity = "LOW"`}},
		"static with expiry": {Parent: muteParent, MuteConfigId: "a", MuteConfig: &securitycenterpb.MuteConfig{
			Filter: `severity = "LOW"`, Type: securitycenterpb.MuteConfig_STATIC, ExpiryTime: timestamppb.Now()}},
		"expiry in the past": {Parent: muteParent, MuteConfigId: "a", MuteConfig: &securitycenterpb.MuteConfig{
			Filter: `severity = "LOW"`, Type: securitycenterpb.MuteConfig_DYNAMIC, ExpiryTime: past}},
	}
	for name, req := range tests {
		if _, err := c.CreateMuteConfig(context.Background(), req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
	ok := muteReq(fmt.Sprintf("a%062d", 0), `category : "x"`)
	if _, err := c.CreateMuteConfig(context.Background(), ok); err != nil {
		t.Errorf("a 63-character id: %v", err)
	}
}
