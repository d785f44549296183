package scc

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

const (
	orgAllSources = "organizations/123456789012/sources/-/locations/global"
	gkeCluster    = "//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod-cluster"
	gkeImageID    = "sha256:3f1c8e2a9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"
	gkePod        = "checkout-7d9f8b6c5-x2x9q"
	runService    = "//run.googleapis.com/projects/demo-web/locations/europe-west1/services/image-resizer"
	runJob        = "//run.googleapis.com/projects/demo-web/locations/europe-west1/jobs/nightly-export"
)

// TestRelatedRequest checks the exact parent and filter SCC receives for
// each product, and that the filter finds a sibling on the same resource.
func TestRelatedRequest(t *testing.T) {
	gkeWindow := ` AND event_time >= "2026-11-19T10:15:30.123Z" AND event_time <= "2026-11-21T10:15:30.123Z"`
	runWindow := ` AND event_time >= "2026-11-19T11:47:05.902Z" AND event_time <= "2026-11-21T11:47:05.902Z"`
	crWindow := ` AND event_time >= "2026-11-19T11:02:11.481Z" AND event_time <= "2026-11-21T11:02:11.481Z"`
	deep := gkeCluster + "/k8s/namespaces/payments/pods/" + gkePod
	tests := []struct {
		name       string
		key        string
		edits      []edit
		window     time.Duration
		wantFilter string
		wantScope  string
	}{{
		name: "gke", key: sccfake.SeedGKECompiler,
		wantFilter: under(gkeCluster) + gkeWindow,
		wantScope:  "cluster prod-cluster, pod payments/" + gkePod + " or image " + gkeImage + ", ±24h",
	}, {
		name: "gke pod-level resource name", key: sccfake.SeedGKECompiler, edits: []edit{resourceName(deep)},
		wantFilter: under(gkeCluster) + gkeWindow,
		wantScope:  "cluster prod-cluster, pod payments/" + gkePod + " or image " + gkeImage + ", ±24h",
	}, {
		name: "gke 2h window", key: sccfake.SeedGKECompiler, window: 2 * time.Hour,
		wantFilter: under(gkeCluster) + ` AND event_time >= "2026-11-20T08:15:30.123Z" AND event_time <= "2026-11-20T12:15:30.123Z"`,
		wantScope:  "cluster prod-cluster, pod payments/" + gkePod + " or image " + gkeImage + ", ±2h",
	}, {
		name: "cloud run service, revision-level resource name", key: sccfake.SeedCloudRunMaliciousBinary,
		wantFilter: under(runService) + runWindow,
		wantScope:  "Cloud Run service image-resizer (all revisions; revision image-resizer-00007-kmb marked), ±24h",
	}, {
		name: "cloud run service, service-level resource name", key: sccfake.SeedCloudRunCompiler, window: 90 * time.Minute,
		wantFilter: under("//run.googleapis.com/projects/demo-web/locations/europe-west1/services/checkout-api") +
			` AND event_time >= "2026-11-20T09:32:11.481Z" AND event_time <= "2026-11-20T12:32:11.481Z"`,
		wantScope: "Cloud Run service checkout-api (all revisions; revision checkout-api-00042-xuz marked), ±90m",
	}, {
		name: "cloud run job", key: sccfake.SeedCloudRunCompiler, edits: []edit{jobExecution("nightly-export", "nightly-export-7xk2p")},
		wantFilter: under(runJob) + crWindow,
		wantScope:  "Cloud Run job nightly-export (all executions; execution nightly-export-7xk2p marked), ±24h",
	}, {
		name: "other product", key: sccfake.SeedGKECompiler, edits: []edit{compute},
		wantFilter: `resource_name = "//compute.googleapis.com/projects/demo-prod/zones/us-central1-a/instances/bastion-1"` + gkeWindow,
		wantScope:  "resource //compute.googleapis.com/projects/demo-prod/zones/us-central1-a/instances/bastion-1, ±24h",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newClientEnv(t, ClientOptions{})
			f := env.self(tt.key, tt.edits...)
			env.add(tt.key, "sibling", time.Minute, tt.edits...)
			rel, err := env.client.Related(context.Background(), f, tt.window)
			if err != nil {
				t.Fatal(err)
			}
			want := &securitycenterpb.ListFindingsRequest{Parent: orgAllSources, Filter: tt.wantFilter,
				OrderBy: "event_time desc", PageSize: 200}
			if diff := cmp.Diff(want, env.lastList(t), protocmp.Transform()); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			got := []any{rel.Parent, rel.Filter, rel.Scope, ids(rel.Findings), rel.Truncated, rel.Narrowed}
			wantRel := []any{orgAllSources, tt.wantFilter, tt.wantScope, []string{"sibling"}, false, 0}
			if diff := cmp.Diff(wantRel, got); diff != "" {
				t.Errorf("related (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRelatedCentre: without an event time the window centres on the
// create time, and without either on now; without a resource name on the
// finding the GKE cluster is rebuilt from the target; the parent comes
// from Finding.Parent when the name is not a finding name.
func TestRelatedCentre(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	created := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
	target := bot.Target{Product: bot.ProductGKE, Project: "demo-prod", Location: "us-central1", Cluster: "prod-cluster"}
	tests := []struct {
		name       string
		f          bot.Finding
		wantParent string
		wantFilter string
	}{{
		name:       "create time",
		f:          bot.Finding{Name: "folders/42/sources/7/findings/x", CreateTime: created, Target: target},
		wantParent: "folders/42/sources/-/locations/global",
		wantFilter: under(gkeCluster) + ` AND event_time >= "2026-11-21T06:00:00Z" AND event_time <= "2026-11-21T08:00:00Z"`,
	}, {
		name:       "now",
		f:          bot.Finding{Name: "x", Parent: "projects/demo-prod/sources/7/locations/eu", Target: target},
		wantParent: "projects/demo-prod/sources/-/locations/eu",
		wantFilter: under(gkeCluster) + ` AND event_time >= "2026-11-22T07:00:00Z" AND event_time <= "2026-11-22T09:00:00Z"`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newClientEnv(t, ClientOptions{Now: func() time.Time { return now }})
			rel, err := env.client.Related(context.Background(), tt.f, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			req := env.lastList(t)
			got := []string{req.GetParent(), req.GetFilter(), rel.Scope}
			want := []string{tt.wantParent, tt.wantFilter, "cluster prod-cluster, ±1h"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRelatedGKENarrowing: same pod or image kept, newest first; other
// pods on the cluster dropped and counted; other clusters (even one whose
// name extends this one's), the window's outside and the finding itself
// never returned; the window's bounds are inclusive.
func TestRelatedGKENarrowing(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	key := sccfake.SeedGKECompiler
	f := env.self(key)
	otherImage := image("us-docker.pkg.dev/demo-prod/apps/other@sha256:0001", "sha256:0001")
	env.add(key, "samepod", time.Hour, otherImage)
	env.add(key, "sameimage", -2*time.Hour, pod("payments", "checkout-7d9f8b6c5-zzzzz"))
	env.add(key, "sameimageid", -3*time.Hour, pod("payments", "checkout-new"), image("us-docker.pkg.dev/demo-prod/apps/checkout:v2", gkeImageID))
	env.add(key, "subresource", 2*time.Hour, resourceName(gkeCluster+"/k8s/namespaces/payments/pods/"+gkePod))
	env.add(key, "edge", -24*time.Hour)
	env.add(key, "otherpod", 30*time.Minute, pod("payments", "cart-1"), otherImage)
	env.add(key, "otherns", 40*time.Minute, pod("billing", gkePod), otherImage)
	env.add(key, "othercluster", 10*time.Minute, resourceName(strings.Replace(gkeCluster, "prod-cluster", "dev-cluster", 1)))
	env.add(key, "lookalike", 5*time.Minute, resourceName(gkeCluster+"-2"))
	env.add(key, "late", 24*time.Hour+time.Millisecond)
	env.add(key, "early", -24*time.Hour-time.Millisecond)

	rel, err := env.client.Related(context.Background(), f, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"subresource", "samepod", "sameimage", "sameimageid", "edge"}, ids(rel.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	wantWhy := map[string]Match{"subresource": MatchPod, "samepod": MatchPod, "sameimage": MatchImage,
		"sameimageid": MatchImage, "edge": MatchPod}
	if diff := cmp.Diff(wantWhy, matchesByID(rel.Matches)); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	if rel.Narrowed != 2 || rel.Truncated {
		t.Errorf("Narrowed = %d, Truncated = %v; want 2, false", rel.Narrowed, rel.Truncated)
	}
}

// TestRelatedGKEWholeCluster: a finding that names no pod or image keeps
// every finding on the cluster.
func TestRelatedGKEWholeCluster(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	key := sccfake.SeedGKECompiler
	noWorkload := func(f *securitycenterpb.Finding, _ *securitycenterpb.Resource) {
		f.Kubernetes, f.Containers, f.SourceProperties = nil, nil, nil
	}
	f := env.self(key, noWorkload)
	env.add(key, "a", time.Minute, pod("payments", "cart-1"))
	env.add(key, "b", -time.Minute)
	rel, err := env.client.Related(context.Background(), f, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{ids(rel.Findings), matchesByID(rel.Matches), rel.Narrowed, rel.Scope}
	want := []any{[]string{"a", "b"}, map[string]Match{"a": MatchResource, "b": MatchResource}, 0, "cluster prod-cluster, ±24h"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRelatedCloudRun: every revision of the service (or execution of the
// job) is kept and the finding's own is marked; other services, including
// one whose name extends this one's, are not returned.
func TestRelatedCloudRun(t *testing.T) {
	t.Run("service", func(t *testing.T) {
		env := newClientEnv(t, ClientOptions{})
		key := sccfake.SeedCloudRunMaliciousBinary
		f := env.self(key)
		env.add(key, "samerev", time.Minute)
		env.add(key, "otherrev", -time.Hour, resourceName(runService+"/revisions/image-resizer-00006-abc"),
			revisionLabel("image-resizer-00006-abc"))
		env.add(key, "service", -2*time.Hour, resourceName(runService), revisionLabel(""))
		env.add(key, "canary", 5*time.Minute, resourceName(runService+"-canary/revisions/image-resizer-00007-kmb"))
		env.add(key, "otherservice", 6*time.Minute,
			resourceName("//run.googleapis.com/projects/demo-web/locations/europe-west1/services/checkout-api"))
		rel, err := env.client.Related(context.Background(), f, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := []any{ids(rel.Findings), matchesByID(rel.Matches), rel.Narrowed}
		want := []any{[]string{"samerev", "otherrev", "service"},
			map[string]Match{"samerev": MatchRevision, "otherrev": MatchResource, "service": MatchResource}, 0}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("job", func(t *testing.T) {
		env := newClientEnv(t, ClientOptions{})
		key := sccfake.SeedCloudRunCompiler
		f := env.self(key, jobExecution("nightly-export", "e1"))
		env.add(key, "sameexec", -time.Minute, jobExecution("nightly-export", "e1"))
		env.add(key, "otherexec", time.Minute, jobExecution("nightly-export", "e2"))
		env.add(key, "otherjob", 2*time.Minute, jobExecution("nightly-import", "e1"))
		rel, err := env.client.Related(context.Background(), f, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := []any{ids(rel.Findings), matchesByID(rel.Matches)}
		want := []any{[]string{"otherexec", "sameexec"},
			map[string]Match{"sameexec": MatchExecution, "otherexec": MatchResource}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// TestRelatedTruncation: at most MaxRelated other findings are read, over
// pages, and Truncated says whether more existed.
func TestRelatedTruncation(t *testing.T) {
	tests := []struct {
		max           int
		want          []string
		wantTruncated bool
	}{
		{max: 3, want: []string{"m1", "m2", "m3"}, wantTruncated: true},
		{max: 5, want: []string{"m1", "m2", "m3", "m4", "m5"}},
		{max: 6, want: []string{"m1", "m2", "m3", "m4", "m5"}},
	}
	for _, tt := range tests {
		env := newClientEnv(t, ClientOptions{MaxRelated: tt.max})
		env.client.pageSize = 2
		f := env.self(sccfake.SeedGKECompiler)
		for i := 1; i <= 5; i++ {
			env.add(sccfake.SeedGKECompiler, "m"+string(rune('0'+i)), -time.Duration(i)*time.Minute)
		}
		rel, err := env.client.Related(context.Background(), f, 0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, ids(rel.Findings)); diff != "" || rel.Truncated != tt.wantTruncated {
			t.Errorf("max %d: Truncated = %v, want %v; findings (-want +got):\n%s", tt.max, rel.Truncated, tt.wantTruncated, diff)
		}
	}
}

// TestRelatedRetriesFailedPage: a page that fails transiently is fetched
// again with the same token, and the listing goes on from there.
func TestRelatedRetriesFailedPage(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	env.client.pageSize = 2
	f := env.self(sccfake.SeedGKECompiler)
	for i := 1; i <= 5; i++ {
		env.add(sccfake.SeedGKECompiler, "m"+string(rune('0'+i)), -time.Duration(i)*time.Minute)
	}
	env.fake.FailAfter("ListFindings", 1, codes.Unavailable, 1)
	rel, err := env.client.Related(context.Background(), f, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"m1", "m2", "m3", "m4", "m5"}, ids(rel.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	var tokens []string
	for _, r := range env.fake.Requests("ListFindings") {
		tokens = append(tokens, r.(*securitycenterpb.ListFindingsRequest).GetPageToken())
	}
	if len(tokens) != 4 || tokens[0] != "" || tokens[1] == "" || tokens[1] != tokens[2] || tokens[3] == tokens[2] {
		t.Errorf("page tokens = %q, want first page, second page twice, third page", tokens)
	}
}

// TestRelatedHostileResource: quotes, a backslash and an OR clause in the
// resource name stay inside one quoted value, so the fake parses a single
// resource restriction and returns only findings on that very resource;
// a hostile pod name is compared exactly. A line break is dropped by
// quoting, so such a name matches nothing at all.
func TestRelatedHostileResource(t *testing.T) {
	hostile := gkeCluster + `\" OR resource_name:"container`
	hostilePod := pod("pay\"ments\\", "checkout\" OR resource_name:\"x\n`pod`")
	t.Run("quotes", func(t *testing.T) {
		env := newClientEnv(t, ClientOptions{})
		key := sccfake.SeedGKECompiler
		f := env.self(key, resourceName(hostile), hostilePod)
		env.add(key, "sibling", time.Minute, resourceName(hostile), hostilePod)
		env.add(key, "otherpod", 2*time.Minute, resourceName(hostile), pod("pay\"ments\\", "checkout"),
			image("x", "y"))
		env.add(key, "normal", 3*time.Minute)
		rel, err := env.client.Related(context.Background(), f, 0)
		if err != nil {
			t.Fatal(err)
		}
		quoted := gkeCluster + `\\\" OR resource_name:\"container`
		wantFilter := `(resource_name = "` + quoted + `" OR resource_name : "` + quoted + `/")` +
			` AND event_time >= "2026-11-19T10:15:30.123Z" AND event_time <= "2026-11-21T10:15:30.123Z"`
		got := []any{env.lastList(t).GetFilter(), ids(rel.Findings), rel.Narrowed}
		want := []any{wantFilter, []string{"sibling"}, 1}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("hostile seed", func(t *testing.T) {
		env := newClientEnv(t, ClientOptions{})
		// The fake's parser rejects the seed's lone surrogate escape, which
		// DecodeNotification repairs; repair it here too.
		stored := bytes.ReplaceAll(sccfake.Hostile(), []byte(`\udc00`), []byte(`\ufffd`))
		for _, n := range [][]byte{stored, sccfake.WithFindingID(stored, "sibling")} {
			if err := env.fake.AddNotification(n); err != nil {
				t.Fatal(err)
			}
		}
		env.add(sccfake.SeedGKECompiler, "normal", time.Minute)
		f, err := DecodeNotification(sccfake.Hostile())
		if err != nil {
			t.Fatal(err)
		}
		rel, err := env.client.Related(context.Background(), f, 0)
		if err != nil {
			t.Fatal(err)
		}
		quoted := `"//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod\"clu\\ster`
		wantFilter := `(resource_name = ` + quoted + `" OR resource_name : ` + quoted + `/")` +
			` AND event_time >= "2026-11-19T12:00:00.000000001Z" AND event_time <= "2026-11-21T12:00:00.000000001Z"`
		got := []any{env.lastList(t).GetFilter(), ids(rel.Findings), matchesByID(rel.Matches)}
		if diff := cmp.Diff([]any{wantFilter, []string{"sibling"}, map[string]Match{"sibling": MatchPod}}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("line break", func(t *testing.T) {
		env := newClientEnv(t, ClientOptions{})
		key := sccfake.SeedGKECompiler
		withBreak := hostile + "\n" + `" OR resource_name:"`
		f := env.self(key, resourceName(withBreak))
		env.add(key, "sibling", time.Minute, resourceName(withBreak))
		env.add(key, "normal", 3*time.Minute)
		rel, err := env.client.Related(context.Background(), f, 0)
		if err != nil {
			t.Fatal(err)
		}
		if filter := env.lastList(t).GetFilter(); strings.ContainsAny(filter, "\r\n") {
			t.Errorf("filter has a line break: %q", filter)
		}
		if len(rel.Findings) != 0 {
			t.Errorf("findings = %v, want none", ids(rel.Findings))
		}
	})
}

// TestRelatedInvalid: a finding without a usable name or resource is
// EInvalid before any call.
func TestRelatedInvalid(t *testing.T) {
	tests := []struct {
		name string
		f    bot.Finding
	}{
		{"no name", bot.Finding{Resource: bot.Resource{Name: gkeCluster}}},
		{"bad name", bot.Finding{Name: "organizations/1/findings/x", Parent: "organizations/1", Resource: bot.Resource{Name: gkeCluster}}},
		{"no resource", bot.Finding{Name: "organizations/1/sources/2/findings/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newClientEnv(t, ClientOptions{})
			_, err := env.client.Related(context.Background(), tt.f, 0)
			if bot.ErrorCode(err) != bot.EInvalid {
				t.Errorf("err = %v, want %s", err, bot.EInvalid)
			}
			if n := len(env.fake.Requests("ListFindings")); n != 0 {
				t.Errorf("%d requests sent, want 0", n)
			}
		})
	}
}

func TestCutAfter(t *testing.T) {
	tests := []struct {
		name, collection, want string
		ok                     bool
	}{
		{runService + "/revisions/r1", "services", runService, true},
		{runService, "services", runService, true},
		{runJob + "/executions/e", "jobs", runJob, true},
		{gkeCluster + "/k8s/pods/p", "clusters", gkeCluster, true},
		{"//run.googleapis.com/projects/p/locations/l/services/", "services", "", false},
		{"//run.googleapis.com/projects/p/locations/l/services//x", "services", "", false},
		{runJob, "services", "", false},
	}
	for _, tt := range tests {
		got, ok := cutAfter(tt.name, tt.collection)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cutAfter(%q, %q) = %q, %v; want %q, %v", tt.name, tt.collection, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFormatWindow(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24h", 90 * time.Minute: "90m", 1500 * time.Millisecond: "1.5s",
	} {
		if got := formatWindow(d); got != want {
			t.Errorf("formatWindow(%v) = %q, want %q", d, got, want)
		}
	}
}
