package scc

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

// selfName is the name env.self gives the GKE seed.
const (
	gkeSource = "organizations/123456789012/sources/11434510651542839261/locations/global"
	selfName  = gkeSource + "/findings/self"
)

// TestMutations: each call changes the fake's finding, sends the located
// name, and returns SCC's view of the result.
func TestMutations(t *testing.T) {
	locationless := "organizations/123456789012/sources/11434510651542839261/findings/self"
	tests := []struct {
		name    string
		call    func(ctx context.Context, c *Client) (bot.Finding, error)
		method  string
		wantReq proto.Message
		get     func(f bot.Finding) string
		want    string
	}{{
		name:    "mute",
		call:    func(ctx context.Context, c *Client) (bot.Finding, error) { return c.SetMute(ctx, selfName, true) },
		method:  "SetMute",
		wantReq: &securitycenterpb.SetMuteRequest{Name: selfName, Mute: securitycenterpb.Finding_MUTED},
		get:     func(f bot.Finding) string { return f.Mute }, want: "MUTED",
	}, {
		name:    "unmute, v1-style name",
		call:    func(ctx context.Context, c *Client) (bot.Finding, error) { return c.SetMute(ctx, locationless, false) },
		method:  "SetMute",
		wantReq: &securitycenterpb.SetMuteRequest{Name: selfName, Mute: securitycenterpb.Finding_UNMUTED},
		get:     func(f bot.Finding) string { return f.Mute }, want: "UNMUTED",
	}, {
		name:    "resolve",
		call:    func(ctx context.Context, c *Client) (bot.Finding, error) { return c.SetState(ctx, selfName, false) },
		method:  "SetFindingState",
		wantReq: &securitycenterpb.SetFindingStateRequest{Name: selfName, State: securitycenterpb.Finding_INACTIVE},
		get:     func(f bot.Finding) string { return f.State }, want: "INACTIVE",
	}, {
		name:    "reactivate",
		call:    func(ctx context.Context, c *Client) (bot.Finding, error) { return c.SetState(ctx, selfName, true) },
		method:  "SetFindingState",
		wantReq: &securitycenterpb.SetFindingStateRequest{Name: selfName, State: securitycenterpb.Finding_ACTIVE},
		get:     func(f bot.Finding) string { return f.State }, want: "ACTIVE",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newClientEnv(t, ClientOptions{})
			env.self(sccfake.SeedGKECompiler, func(f *securitycenterpb.Finding, _ *securitycenterpb.Resource) {
				f.State = securitycenterpb.Finding_STATE_UNSPECIFIED
			})
			ctx := context.Background()
			got, err := tt.call(ctx, env.client)
			if err != nil {
				t.Fatal(err)
			}
			reloaded, err := env.client.Finding(ctx, selfName)
			if err != nil {
				t.Fatal(err)
			}
			if g, r := tt.get(got), tt.get(reloaded); g != tt.want || r != tt.want {
				t.Errorf("returned %q, stored %q; want %q", g, r, tt.want)
			}
			reqs := env.fake.Requests(tt.method)
			if len(reqs) != 1 || !cmp.Equal(tt.wantReq, reqs[0], protocmp.Transform()) {
				t.Errorf("requests = %v, want [%v]", reqs, tt.wantReq)
			}
		})
	}
}

// TestFinding: a reload lists the finding's own source with a name filter
// and carries the resource metadata; a finding SCC does not list is
// ENotFound; a bad name is EInvalid before any call.
func TestFinding(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	want := env.self(sccfake.SeedGKECompiler)
	ctx := context.Background()
	got, err := env.client.Finding(ctx, selfName)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finding (-want +got):\n%s", diff)
	}
	wantReq := &securitycenterpb.ListFindingsRequest{Parent: gkeSource, Filter: `name = "` + selfName + `"`, PageSize: 1}
	if diff := cmp.Diff(wantReq, env.lastList(t), protocmp.Transform()); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}

	_, err = env.client.Finding(ctx, gkeSource+"/findings/gone")
	if bot.ErrorCode(err) != bot.ENotFound || !strings.Contains(bot.ErrorMessage(err), "finding gone") {
		t.Errorf("missing finding: %v, want %s naming it", err, bot.ENotFound)
	}
	n := len(env.fake.Requests("ListFindings"))
	if _, err := env.client.Finding(ctx, "findings/x"); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("bad name: %v, want %s", err, bot.EInvalid)
	}
	if got := len(env.fake.Requests("ListFindings")); got != n {
		t.Errorf("bad name sent a request")
	}
}

// TestSetMarks: only the named marks change; an empty value deletes its
// mark; values are trimmed; the others are kept.
func TestSetMarks(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	env.self(sccfake.SeedGKECompiler, func(f *securitycenterpb.Finding, _ *securitycenterpb.Resource) {
		f.SecurityMarks.Marks = map[string]string{"keep": "x", "a": "1", "gone": "bye"}
	})
	err := env.client.SetMarks(context.Background(), selfName, map[string]string{"a": "2", "b": " 3 ", "gone": " "})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := env.fake.Finding(selfName)
	if diff := cmp.Diff(map[string]string{"keep": "x", "a": "2", "b": "3"}, stored.GetSecurityMarks().GetMarks()); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
	want := &securitycenterpb.UpdateSecurityMarksRequest{
		SecurityMarks: &securitycenterpb.SecurityMarks{Name: selfName + "/securityMarks",
			Marks: map[string]string{"a": "2", "b": "3"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"marks.a", "marks.b", "marks.gone"}},
	}
	reqs := env.fake.Requests("UpdateSecurityMarks")
	if len(reqs) != 1 || !cmp.Equal(want, reqs[0], protocmp.Transform()) {
		t.Errorf("requests = %v, want [%v]", reqs, want)
	}
}

// TestSetMarksRejects: invalid marks are EInvalid and nothing is sent; no
// marks at all is a no-op rather than an empty mask, which would replace
// every mark.
func TestSetMarksRejects(t *testing.T) {
	tests := []struct {
		name  string
		marks map[string]string
		code  string
	}{
		{"empty key", map[string]string{"": "v"}, bot.EInvalid},
		{"dash", map[string]string{"triaged-by": "v"}, bot.EInvalid},
		{"dot", map[string]string{"a.b": "v"}, bot.EInvalid},
		{"space", map[string]string{"a b": "v"}, bot.EInvalid},
		{"non-ascii", map[string]string{"zustän": "v"}, bot.EInvalid},
		{"too long key", map[string]string{strings.Repeat("k", 257): "v"}, bot.EInvalid},
		{"same key ignoring case", map[string]string{"Triaged": "a", "triaged": "b"}, bot.EInvalid},
		{"too long value", map[string]string{"k": strings.Repeat("é", 4097)}, bot.EInvalid},
		{"longest key and value", map[string]string{strings.Repeat("k", 256): strings.Repeat("é", 4096)}, ""},
		{"no marks", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newClientEnv(t, ClientOptions{})
			env.self(sccfake.SeedGKECompiler)
			err := env.client.SetMarks(context.Background(), selfName, tt.marks)
			if tt.code == "" && err != nil || tt.code != "" && bot.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want code %q", err, tt.code)
			}
			sent := len(env.fake.Requests("UpdateSecurityMarks"))
			if wantSent := tt.code == "" && len(tt.marks) > 0; (sent == 1) != wantSent {
				t.Errorf("%d requests sent, want one: %v", sent, wantSent)
			}
		})
	}
}

func TestParseFindingName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{selfName, selfName, true},
		{"organizations/1/sources/2/findings/f", "organizations/1/sources/2/locations/global/findings/f", true},
		{"folders/1/sources/2/locations/eu/findings/f", "folders/1/sources/2/locations/eu/findings/f", true},
		{"projects/demo/sources/2/findings/f", "projects/demo/sources/2/locations/global/findings/f", true},
		{"", "", false},
		{"organizations/1/sources/2/findings/", "", false},
		{"organizations/1/sources/2/findings/f/securityMarks", "", false},
		{"organizations//sources/2/findings/f", "", false},
		{"billingAccounts/1/sources/2/findings/f", "", false},
		{"organizations/1/sources/2/regions/eu/findings/f", "", false},
		{"organizations/1/findings/f", "", false},
	}
	for _, tt := range tests {
		n, ok := parseFindingName(tt.in)
		if got := n.String(); ok != tt.ok || ok && got != tt.want {
			t.Errorf("parseFindingName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
		4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}
	var got []time.Duration
	for attempt := range want {
		got = append(got, DefaultBackoff(attempt))
	}
	got[len(got)-1] = DefaultBackoff(1 << 20)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
