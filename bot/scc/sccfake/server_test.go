package sccfake_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"testing"
	"time"

	securitycenter "cloud.google.com/go/securitycenter/apiv2"
	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

const orgParent = "organizations/123456789012/sources/-/locations/global"

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func start(t *testing.T) (*sccfake.Server, *securitycenter.Client) {
	t.Helper()
	fake := sccfake.New()
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, err := securitycenter.NewClient(context.Background(), fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return fake, client
}

// list returns the IDs of all findings the real client's iterator yields.
func list(t *testing.T, c *securitycenter.Client, req *securitycenterpb.ListFindingsRequest) ([]string, error) {
	t.Helper()
	var ids []string
	it := c.ListFindings(context.Background(), req)
	for {
		res, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return ids, nil
		}
		if err != nil {
			return ids, err
		}
		ids = append(ids, path.Base(res.GetFinding().GetName()))
	}
}

// addScenario stores: g1 (GKE, LOW, t0+1m), r2 (Cloud Run compiler, LOW,
// t0+2m), m3 (Cloud Run malicious binary, CRITICAL, t0+3m), and i4 (GKE,
// inactive and muted, t0+4m).
func addScenario(fake *sccfake.Server) {
	fake.AddFinding(sccfake.SeedVariant(sccfake.SeedGKECompiler, "g1", t0.Add(time.Minute)))
	fake.AddFinding(sccfake.SeedVariant(sccfake.SeedCloudRunCompiler, "r2", t0.Add(2*time.Minute)))
	fake.AddFinding(sccfake.SeedVariant(sccfake.SeedCloudRunMaliciousBinary, "m3", t0.Add(3*time.Minute)))
	f, r := sccfake.SeedVariant(sccfake.SeedGKECompiler, "i4", t0.Add(4*time.Minute))
	f.State = securitycenterpb.Finding_INACTIVE
	f.Mute = securitycenterpb.Finding_MUTED
	f.SecurityMarks.Marks = map[string]string{"triage": "done"}
	fake.AddFinding(f, r)
}

func TestListFindingsFilter(t *testing.T) {
	fake, client := start(t)
	addScenario(fake)
	const (
		compiler = `category="Defense Evasion: Launch Code Compiler Tool In Container"`
		critical = `severity="CRITICAL"`
	)
	tests := []struct {
		filter string
		want   []string
	}{
		{``, []string{"g1", "r2", "m3", "i4"}},
		{`state="ACTIVE"`, []string{"g1", "r2", "m3"}},
		{`state=ACTIVE`, []string{"g1", "r2", "m3"}},
		{compiler + ` AND state="ACTIVE"`, []string{"g1", "r2"}},
		// OR binds tighter: LOW AND (compiler OR critical).
		{`severity="LOW" AND ` + compiler + ` OR ` + critical, []string{"g1", "r2", "i4"}},
		{`(severity="LOW" AND ` + compiler + `) OR ` + critical, []string{"g1", "r2", "m3", "i4"}},
		{critical + ` OR severity="LOW" AND state="INACTIVE"`, []string{"i4"}},
		{`-state="ACTIVE"`, []string{"i4"}},
		{`NOT state="ACTIVE"`, []string{"i4"}},
		{`-(` + critical + ` OR state="INACTIVE")`, []string{"g1", "r2"}},
		{`resource_name:"run.googleapis.com"`, []string{"r2", "m3"}},
		{`resource.project_display_name="demo-web"`, []string{"r2", "m3"}},
		{`resource.type="google.container.Cluster"`, []string{"g1", "i4"}},
		{`resource.display_name:"checkout"`, []string{"r2"}},
		{`finding_class="THREAT" AND mute="MUTED"`, []string{"i4"}},
		{`security_marks.marks.triage="done"`, []string{"i4"}},
		{`-security_marks.marks.triage="done"`, []string{"g1", "r2", "m3"}},
		{`name="` + "organizations/123456789012/sources/15707368271209355877/locations/global/findings/m3" + `"`, []string{"m3"}},
		{`parent:"sources/15707368271209355877"`, []string{"r2", "m3"}},
		{`event_time >= "2026-11-20T10:02:00Z"`, []string{"r2", "m3", "i4"}},
		{`event_time > "2026-11-20T10:02:00Z"`, []string{"m3", "i4"}},
		{`event_time < "2026-11-20T11:02:00+01:00"`, []string{"g1"}},
		{`event_time <= 1795168920000`, []string{"g1", "r2"}},
		{`event_time = "2026-11-20T10:03:00Z"`, []string{"m3"}},
		{`create_time > "2026-11-20T11:00:00Z"`, []string{"r2", "m3"}}, // seeds keep their create times
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			got, err := list(t, client, &securitycenterpb.ListFindingsRequest{
				Parent: orgParent, Filter: tt.filter, OrderBy: "event_time"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestListFindingsRejects: what the fake does not understand is an error,
// never a silent match.
func TestListFindingsRejects(t *testing.T) {
	fake, client := start(t)
	addScenario(fake)
	tests := []*securitycenterpb.ListFindingsRequest{
		{Parent: orgParent, Filter: `category=`},
		{Parent: orgParent, Filter: `foo="x"`},
		{Parent: orgParent, Filter: `category>"x"`},
		{Parent: orgParent, Filter: `category!="x"`},
		{Parent: orgParent, Filter: `event_time>"yesterday"`},
		{Parent: orgParent, Filter: `event_time:"2026"`},
		{Parent: orgParent, Filter: `state="ACTIVE" severity="LOW"`},
		{Parent: orgParent, Filter: `(state="ACTIVE"`},
		{Parent: orgParent, Filter: `state="ACTIVE")`},
		{Parent: orgParent, Filter: `state="ACTIVE" AND`},
		{Parent: orgParent, Filter: `category="unterminated`},
		{Parent: orgParent, OrderBy: "severity"},
		{Parent: orgParent, OrderBy: "event_time sideways"},
		{Parent: orgParent, PageSize: 1001},
		{Parent: orgParent, PageToken: "bogus"},
		{Parent: "organizations/123456789012"},
		{Parent: "organizations/123456789012/sources/-/regions/global"},
	}
	for i, req := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, err := list(t, client, req)
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("%v: err = %v, want InvalidArgument", req, err)
			}
		})
	}
}

func TestListFindingsParent(t *testing.T) {
	fake, client := start(t)
	addScenario(fake)
	tests := []struct {
		parent string
		want   []string
	}{
		// In name order: the Container Threat Detection source sorts first.
		{orgParent, []string{"g1", "i4", "m3", "r2"}},
		{"organizations/123456789012/sources/-", []string{"g1", "i4", "m3", "r2"}},
		{"organizations/123456789012/sources/15707368271209355877/locations/global", []string{"m3", "r2"}},
		{"organizations/123456789012/sources/-/locations/eu", nil},
		{"organizations/999/sources/-/locations/global", nil},
		{"projects/demo-web/sources/-/locations/global", []string{"m3", "r2"}},
		{"projects/456789012345/sources/-", []string{"g1", "i4"}},
	}
	for _, tt := range tests {
		t.Run(tt.parent, func(t *testing.T) {
			got, err := list(t, client, &securitycenterpb.ListFindingsRequest{Parent: tt.parent, OrderBy: "name"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestListFindingsPaging(t *testing.T) {
	fake, client := start(t)
	var want, wantDesc []string
	for i := range 25 {
		id := fmt.Sprintf("p%02d", i)
		fake.AddFinding(sccfake.SeedVariant(sccfake.SeedGKECompiler, id, t0.Add(time.Duration(i)*time.Second)))
		want = append(want, id)
		wantDesc = append([]string{id}, wantDesc...)
	}
	tests := []struct {
		orderBy  string
		pageSize int32
		want     []string
		calls    int
	}{
		{"event_time", 10, want, 3},
		{" event_time  desc ", 7, wantDesc, 4},
		{"name", 0, want, 3}, // default page size 10
		{"event_time desc, name", 1000, wantDesc, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.orderBy, tt.pageSize), func(t *testing.T) {
			before := len(fake.Requests("ListFindings"))
			got, err := list(t, client, &securitycenterpb.ListFindingsRequest{
				Parent: orgParent, OrderBy: tt.orderBy, PageSize: tt.pageSize})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if calls := len(fake.Requests("ListFindings")) - before; calls != tt.calls {
				t.Errorf("%d calls, want %d", calls, tt.calls)
			}
		})
	}
}

func TestMutations(t *testing.T) {
	fake, client := start(t)
	addScenario(fake)
	ctx := context.Background()
	name := "organizations/123456789012/sources/11434510651542839261/locations/global/findings/g1"
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	fake.SetClock(func() time.Time { return now })

	muted, err := client.SetMute(ctx, &securitycenterpb.SetMuteRequest{Name: name, Mute: securitycenterpb.Finding_MUTED})
	if err != nil {
		t.Fatal(err)
	}
	if muted.GetMute() != securitycenterpb.Finding_MUTED || !muted.GetMuteUpdateTime().AsTime().Equal(now) {
		t.Errorf("SetMute returned mute %v at %v", muted.GetMute(), muted.GetMuteUpdateTime())
	}
	// The location-less v1 name addresses the same finding.
	v1Name := "organizations/123456789012/sources/11434510651542839261/findings/g1"
	if _, err := client.SetFindingState(ctx, &securitycenterpb.SetFindingStateRequest{
		Name: v1Name, State: securitycenterpb.Finding_INACTIVE}); err != nil {
		t.Fatal(err)
	}
	stored, _ := fake.Finding(name)
	if stored.GetMute() != securitycenterpb.Finding_MUTED || stored.GetState() != securitycenterpb.Finding_INACTIVE {
		t.Errorf("stored mute %v state %v", stored.GetMute(), stored.GetState())
	}
	got, err := list(t, client, &securitycenterpb.ListFindingsRequest{Parent: orgParent, Filter: `mute="MUTED"`, OrderBy: "name"})
	if err != nil || !cmp.Equal([]string{"g1", "i4"}, got) {
		t.Errorf("muted findings = %v, %v", got, err)
	}
}

func TestUpdateSecurityMarks(t *testing.T) {
	fake, client := start(t)
	addScenario(fake)
	ctx := context.Background()
	marksName := "organizations/123456789012/sources/11434510651542839261/locations/global/findings/i4/securityMarks"
	steps := []struct {
		marks map[string]string
		mask  []string
		want  map[string]string
	}{
		{map[string]string{"owner": "U123"}, []string{"marks.owner"}, map[string]string{"triage": "done", "owner": "U123"}},
		{nil, []string{"marks.triage"}, map[string]string{"owner": "U123"}},
		{map[string]string{"contained": "true"}, nil, map[string]string{"contained": "true"}},
	}
	for i, s := range steps {
		req := &securitycenterpb.UpdateSecurityMarksRequest{
			SecurityMarks: &securitycenterpb.SecurityMarks{Name: marksName, Marks: s.marks}}
		if s.mask != nil {
			req.UpdateMask = &fieldmaskpb.FieldMask{Paths: s.mask}
		}
		got, err := client.UpdateSecurityMarks(ctx, req)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if diff := cmp.Diff(s.want, got.GetMarks()); diff != "" {
			t.Errorf("step %d marks (-want +got):\n%s", i, diff)
		}
	}
	bad := &securitycenterpb.UpdateSecurityMarksRequest{SecurityMarks: &securitycenterpb.SecurityMarks{Name: "organizations/1/sources/2/findings/3"}}
	if _, err := client.UpdateSecurityMarks(ctx, bad); status.Code(err) != codes.InvalidArgument {
		t.Errorf("marks name without /securityMarks: %v", err)
	}
}

func TestMutationsNotFound(t *testing.T) {
	_, client := start(t)
	ctx := context.Background()
	name := "organizations/1/sources/2/locations/global/findings/nope"
	_, errMute := client.SetMute(ctx, &securitycenterpb.SetMuteRequest{Name: name, Mute: securitycenterpb.Finding_MUTED})
	_, errState := client.SetFindingState(ctx, &securitycenterpb.SetFindingStateRequest{Name: name, State: securitycenterpb.Finding_ACTIVE})
	_, errMarks := client.UpdateSecurityMarks(ctx, &securitycenterpb.UpdateSecurityMarksRequest{
		SecurityMarks: &securitycenterpb.SecurityMarks{Name: name + "/securityMarks"}})
	for i, err := range []error{errMute, errState, errMarks} {
		if status.Code(err) != codes.NotFound {
			t.Errorf("call %d: %v, want NotFound", i, err)
		}
	}
	_, err := client.SetMute(ctx, &securitycenterpb.SetMuteRequest{Name: name})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("unspecified mute: %v, want InvalidArgument", err)
	}
}

func TestFaultInjection(t *testing.T) {
	fake, client := start(t)
	addScenario(fake)
	ctx := context.Background()
	name := "organizations/123456789012/sources/11434510651542839261/locations/global/findings/g1"
	req := &securitycenterpb.SetMuteRequest{Name: name, Mute: securitycenterpb.Finding_MUTED}
	fake.FailNext("SetMute", codes.PermissionDenied, 2)
	var codesSeen []codes.Code
	for range 3 {
		_, err := client.SetMute(ctx, req)
		codesSeen = append(codesSeen, status.Code(err))
	}
	if diff := cmp.Diff([]codes.Code{codes.PermissionDenied, codes.PermissionDenied, codes.OK}, codesSeen); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if n := len(fake.Requests("SetMute")); n != 3 {
		t.Errorf("%d SetMute requests recorded, want 3 (failed ones too)", n)
	}

	fake.SetLatency("ListFindings", time.Hour)
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := client.ListFindings(dctx, &securitycenterpb.ListFindingsRequest{Parent: orgParent}).Next()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("slow ListFindings: %v, want DeadlineExceeded", err)
	}
}

func TestFailAfter(t *testing.T) {
	fake, client := start(t)
	addScenario(fake)
	name := "organizations/123456789012/sources/11434510651542839261/locations/global/findings/g1"
	req := &securitycenterpb.SetMuteRequest{Name: name, Mute: securitycenterpb.Finding_MUTED}
	fake.FailAfter("SetMute", 1, codes.Unavailable, 1)
	var codesSeen []codes.Code
	for range 3 {
		_, err := client.SetMute(context.Background(), req)
		codesSeen = append(codesSeen, status.Code(err))
	}
	if diff := cmp.Diff([]codes.Code{codes.OK, codes.Unavailable, codes.OK}, codesSeen); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
}

func TestRequestsAreCopies(t *testing.T) {
	fake, client := start(t)
	if _, err := list(t, client, &securitycenterpb.ListFindingsRequest{Parent: orgParent, Filter: `state="ACTIVE"`}); err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests("ListFindings")
	reqs[0].(*securitycenterpb.ListFindingsRequest).Filter = "changed"
	if got := fake.Requests("ListFindings")[0].(*securitycenterpb.ListFindingsRequest).GetFilter(); got != `state="ACTIVE"` {
		t.Errorf("recorded filter = %q", got)
	}
	if got := fake.Requests("SetMute"); len(got) != 0 {
		t.Errorf("SetMute requests = %v", got)
	}
}

func TestServeAndClose(t *testing.T) {
	fake := sccfake.New()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- fake.Serve(lis) }()
	client, err := securitycenter.NewClient(context.Background(),
		option.WithEndpoint(lis.Addr().String()), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := list(t, client, &securitycenterpb.ListFindingsRequest{Parent: orgParent}); err != nil {
		t.Fatal(err)
	}
	fake.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
}
