package scc

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

func category(c string) edit {
	return func(f *securitycenterpb.Finding, _ *securitycenterpb.Resource) { f.Category = c }
}

func project(p string) edit {
	return func(_ *securitycenterpb.Finding, r *securitycenterpb.Resource) {
		r.GetGcpMetadata().ProjectDisplayName = p
	}
}

// createRule proposes a rule from the seed finding "self" and creates it
// through the real client; it returns the rule and its name.
func createRule(t *testing.T, env clientEnv, key string, edits ...edit) (bot.MuteRule, string) {
	t.Helper()
	f := env.self(key, edits...)
	rule := MuteRuleFor(f)
	name, err := env.client.CreateMuteRule(context.Background(), rule)
	if err != nil {
		t.Fatalf("CreateMuteRule(%+v): %v", rule, err)
	}
	return rule, name
}

// wantMatches checks which stored findings the rule would mute.
func wantMatches(t *testing.T, env clientEnv, rule string, want map[string]bool) {
	t.Helper()
	for id, w := range want {
		got, err := env.fake.MuteRuleMatches(rule, gkeSourceOf(env, id))
		if err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("rule %s on finding %q: matches %v, want %v", rule, id, got, w)
		}
	}
}

// gkeSourceOf returns the full name of the stored finding with short id.
func gkeSourceOf(env clientEnv, id string) string {
	for _, key := range []string{sccfake.SeedGKECompiler, sccfake.SeedCloudRunCompiler, sccfake.SeedCloudRunMaliciousBinary} {
		f, _ := sccfake.SeedVariant(key, id, time.Time{})
		if _, ok := env.fake.Finding(f.GetName()); ok {
			return f.GetName()
		}
	}
	return "missing/" + id
}

// TestMuteRuleMatchesItsFinding: a rule proposed from a GKE finding
// mutes that finding and findings like it on the same cluster, and not a
// finding of another category, project or cluster.
func TestMuteRuleMatchesItsFinding(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	rule, name := createRule(t, env, sccfake.SeedGKECompiler)
	env.add(sccfake.SeedGKECompiler, "same-kind", time.Hour)
	env.add(sccfake.SeedGKECompiler, "other-category", 0, category("Execution: Added Binary Executed"))
	env.add(sccfake.SeedGKECompiler, "other-project", 0, project("demo-staging"))
	env.add(sccfake.SeedGKECompiler, "other-cluster", 0,
		resourceName("//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/other"))
	wantMatches(t, env, name, map[string]bool{
		"self": true, "same-kind": true, "other-category": false, "other-project": false, "other-cluster": false,
	})
	if want := "organizations/123456789012/locations/global/muteConfigs/" + rule.ID; name != want {
		t.Errorf("created %q, want %q", name, want)
	}
	for _, part := range []string{`category = "Defense Evasion: Launch Code Compiler Tool In Container"`,
		`resource.project_display_name = "demo-prod"`, `resource.name = "//container.googleapis.com/`} {
		if !strings.Contains(rule.Filter, part) {
			t.Errorf("filter %q lacks %q", rule.Filter, part)
		}
	}
	reqs := env.fake.Requests("CreateMuteConfig")
	if len(reqs) != 1 {
		t.Fatalf("%d CreateMuteConfig requests, want 1", len(reqs))
	}
	mc := reqs[0].(*securitycenterpb.CreateMuteConfigRequest)
	if mc.GetParent() != rule.Parent || mc.GetMuteConfigId() != rule.ID || mc.GetMuteConfig().GetType() != securitycenterpb.MuteConfig_DYNAMIC ||
		mc.GetMuteConfig().GetDescription() != rule.Description {
		t.Errorf("request %v does not carry the proposed rule %+v", mc, rule)
	}
}

// TestMuteRuleCloudRun: a Cloud Run rule is bound to the service.
func TestMuteRuleCloudRun(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	_, name := createRule(t, env, sccfake.SeedCloudRunCompiler)
	env.add(sccfake.SeedCloudRunCompiler, "same-service", time.Hour)
	env.add(sccfake.SeedCloudRunCompiler, "other-service", 0,
		resourceName("//run.googleapis.com/projects/demo-web/locations/europe-west1/services/other"))
	wantMatches(t, env, name, map[string]bool{"self": true, "same-service": true, "other-service": false})
}

// TestMuteRuleCloudRunRevision: a finding on a revision gives a rule for
// its service, which mutes the service's other revisions and the service
// itself, and not a service whose name merely starts the same.
func TestMuteRuleCloudRunRevision(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	const service = "//run.googleapis.com/projects/demo-web/locations/europe-west1/services/image-resizer"
	rule, name := createRule(t, env, sccfake.SeedCloudRunMaliciousBinary)
	if !strings.Contains(rule.Filter, `(resource.name = "`+service+`" OR resource.name : "`+service+`/")`) {
		t.Errorf("filter %q does not bind the service", rule.Filter)
	}
	env.add(sccfake.SeedCloudRunMaliciousBinary, "next-revision", time.Hour, resourceName(service+"/revisions/image-resizer-00008-abc"))
	env.add(sccfake.SeedCloudRunMaliciousBinary, "on-service", time.Hour, resourceName(service))
	env.add(sccfake.SeedCloudRunMaliciousBinary, "prefix-service", 0, resourceName(service+"-2/revisions/image-resizer-2-00001-xyz"))
	wantMatches(t, env, name, map[string]bool{"self": true, "next-revision": true, "on-service": true, "prefix-service": false})
}

// TestMuteRuleHostileValues: category and project values that try to
// close their quotes, add clauses or end the line neither break the
// filter (the fake accepts it) nor widen it (an unrelated finding in the
// same project stays unmuted, and so does one whose category is a
// fragment of the hostile one).
func TestMuteRuleHostileValues(t *testing.T) {
	hostile := []string{
		`Evil" OR category : "`,
		`back\slash\" OR resource.name : "`,
		`trailing backslash\`,
		"line\nOR category : \"\"",
		"only\r\n",
		`x") OR (category : "`,
		"tab\there \x1b[31m OR -category : \"y\"",
		`" OR ""="`,
	}
	for _, h := range hostile {
		t.Run(h, func(t *testing.T) {
			env := newClientEnv(t, ClientOptions{})
			_, name := createRule(t, env, sccfake.SeedGKECompiler, category(h), project("p-"+h))
			env.add(sccfake.SeedGKECompiler, "unrelated", 0, category("Defense Evasion: Launch Code Compiler Tool In Container"), project("p-"+h))
			env.add(sccfake.SeedGKECompiler, "fragment", 0, category("Evil"), project("p-"+h))
			env.add(sccfake.SeedGKECompiler, "other-project", 0, category(h), project("p-other"))
			wantMatches(t, env, name, map[string]bool{"self": true, "unrelated": false, "fragment": false, "other-project": false})
		})
	}
}

// TestCreateMuteRuleRepeatAndConflict: creating the same proposal again
// returns the existing rule; an id taken by another filter is EConflict.
func TestCreateMuteRuleRepeatAndConflict(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	rule, name := createRule(t, env, sccfake.SeedGKECompiler)
	again, err := env.client.CreateMuteRule(context.Background(), rule)
	if err != nil || again != name {
		t.Errorf("creating the same rule again = %q, %v; want %q, nil", again, err, name)
	}
	other := rule
	other.Filter = `category = "something else"`
	_, err = env.client.CreateMuteRule(context.Background(), other)
	if bot.ErrorCode(err) != bot.EConflict || !strings.Contains(bot.ErrorMessage(err), rule.ID) {
		t.Errorf("another filter under a taken id: %v, want EConflict naming the id", err)
	}
}

// TestCreateMuteRuleErrors: invalid rules send nothing; SCC's errors are
// translated and transient ones retried, as for every call.
func TestCreateMuteRuleErrors(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	good := MuteRuleFor(env.self(sccfake.SeedGKECompiler))
	bad := map[string]func(r *bot.MuteRule){
		"id with capitals":  func(r *bot.MuteRule) { r.ID = "Sccbot-x" },
		"id too long":       func(r *bot.MuteRule) { r.ID = "a" + strings.Repeat("b", 63) },
		"id ends in hyphen": func(r *bot.MuteRule) { r.ID = "sccbot-" },
		"parent":            func(r *bot.MuteRule) { r.Parent = "organizations/1" },
		"parent injection":  func(r *bot.MuteRule) { r.Parent = "organizations/1/locations/global/x" },
		"no filter":         func(r *bot.MuteRule) { r.Filter = " " },
		"type":              func(r *bot.MuteRule) { r.Type = "FOREVER" },
		"static expiry":     func(r *bot.MuteRule) { r.Type, r.Expiry = bot.MuteRuleStatic, time.Now().Add(time.Hour) },
	}
	for name, change := range bad {
		r := good
		change(&r)
		if _, err := env.client.CreateMuteRule(context.Background(), r); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("%s: %v, want EInvalid", name, err)
		}
	}
	if n := len(env.fake.Requests("CreateMuteConfig")); n != 0 {
		t.Errorf("invalid rules sent %d requests", n)
	}

	env.fake.FailNext("CreateMuteConfig", codes.PermissionDenied, 1)
	_, err := env.client.CreateMuteRule(context.Background(), good)
	if bot.ErrorCode(err) != bot.EPermission || !strings.Contains(bot.ErrorMessage(err), RoleMuteConfigsEditor) {
		t.Errorf("permission denied: %v, want EPermission naming %s", err, RoleMuteConfigsEditor)
	}
	env.fake.FailNext("CreateMuteConfig", codes.Unavailable, 1)
	expiring := good
	expiring.Expiry = time.Now().Add(24 * time.Hour).Truncate(time.Second)
	name, err := env.client.CreateMuteRule(context.Background(), expiring)
	if err != nil || !strings.HasSuffix(name, "/muteConfigs/"+good.ID) {
		t.Fatalf("after one Unavailable: %q, %v; want the rule created on the retry", name, err)
	}
	stored, err := env.client.sc.GetMuteConfig(context.Background(), &securitycenterpb.GetMuteConfigRequest{Name: name})
	if err != nil || !stored.GetExpiryTime().AsTime().Equal(expiring.Expiry) {
		t.Errorf("stored rule %v, %v; want the expiry %s", stored, err, expiring.Expiry)
	}
}

// TestVerdictMarksSelectable: the verdict marks SetMarks writes are what
// a ListFindings filter on security_marks.marks.sccbot_verdict selects.
func TestVerdictMarksSelectable(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	ctx := context.Background()
	env.add(sccfake.SeedGKECompiler, "fp1", 0)
	env.add(sccfake.SeedGKECompiler, "fp2", time.Minute)
	env.add(sccfake.SeedGKECompiler, "tp", 2*time.Minute)
	env.add(sccfake.SeedGKECompiler, "none", 3*time.Minute)
	set := map[string]bot.Verdict{"fp1": bot.VerdictFalsePositive, "fp2": bot.VerdictFalsePositive, "tp": bot.VerdictTruePositive}
	for id, v := range set {
		r := bot.VerdictRecord{Finding: gkeSource + "/findings/" + id, Verdict: v, By: "U0123ABC"}
		if err := env.client.SetMarks(ctx, r.Finding, r.Marks()); err != nil {
			t.Fatal(err)
		}
	}
	stored, _ := env.fake.Finding(gkeSource + "/findings/fp1")
	if m := stored.GetSecurityMarks().GetMarks(); m["sccbot_verdict"] != "false_positive" || m["sccbot_verdict_by"] != "U0123ABC" {
		t.Errorf("marks of fp1 = %v", m)
	}
	it := env.client.sc.ListFindings(ctx, &securitycenterpb.ListFindingsRequest{
		Parent: gkeSource, Filter: `security_marks.marks.sccbot_verdict="false_positive"`, OrderBy: "name"})
	var got []string
	for {
		res, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.GetFinding().GetName()[len(gkeSource+"/findings/"):])
	}
	if strings.Join(got, ",") != "fp1,fp2" {
		t.Errorf("findings marked false_positive = %v, want [fp1 fp2]", got)
	}
}

func TestMuteRuleID(t *testing.T) {
	long := bot.Finding{Name: selfName, Category: strings.Repeat("Very Long Category Name ", 10), Resource: bot.Resource{Project: "p"}}
	for _, f := range []bot.Finding{
		long,
		{Name: selfName, Category: "日本語 only"},
		{Name: selfName, Category: ""},
		{Name: selfName, Category: "---"},
		{Name: selfName, Category: "9 starts with a digit"},
	} {
		r := MuteRuleFor(f)
		if !validMuteID.MatchString(r.ID) {
			t.Errorf("MuteRuleFor(category %q).ID = %q, not a valid mute config id", f.Category, r.ID)
		}
		if again := MuteRuleFor(f); again.ID != r.ID || again.Filter != r.Filter {
			t.Errorf("MuteRuleFor is not deterministic: %q then %q", r.ID, again.ID)
		}
	}
	other := long
	other.Resource.Project = "q"
	if MuteRuleFor(other).ID == MuteRuleFor(long).ID {
		t.Error("rules for two projects have the same id")
	}
}

// FuzzMuteRuleFor: whatever a finding's category, project and resource
// hold, the proposed rule has a valid id, its filter is accepted by the
// fake (every restriction parses, over fields mute rules support), and it
// matches the finding it was proposed from.
func FuzzMuteRuleFor(f *testing.F) {
	f.Add("Defense Evasion: Launch Code Compiler Tool In Container", "demo-prod",
		"//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod-cluster", false)
	f.Add(`Evil" OR category : "`, `p\`, `//run.googleapis.com/projects/p/locations/l/services/s"`, true)
	f.Add("line\nOR category : \"\"", "\r\n", "\x00", false)
	f.Add("", "", "", true)
	f.Add("Execution: Built in Malicious Binary Executed", "demo-web",
		"//run.googleapis.com/projects/p/locations/l/services/s\"/revisions/r\n", true)
	f.Add("c", "p", "//run.googleapis.com/projects/p/locations/l/jobs/j/executions/e", true)
	f.Add("bad\xffutf8\x1b", "é\u2028", "AND", false)
	fake := sccfake.New() // one for every input: each rule is deleted after use
	f.Fuzz(func(t *testing.T, cat, proj, resource string, run bool) {
		key := sccfake.SeedGKECompiler
		if run {
			key = sccfake.SeedCloudRunCompiler
		}
		pf, pr := seed(key, "self", 0, category(cat), project(proj))
		if resource != "" {
			resourceName(resource)(pf, pr)
		}
		fake.AddFinding(pf, pr)
		bf := FromProto(pf, pr)
		rule := MuteRuleFor(bf)
		if !validMuteID.MatchString(rule.ID) {
			t.Fatalf("id %q is not a valid mute config id", rule.ID)
		}
		req, _, err := muteConfigRequest(rule)
		if inexpressible(bf.Category, bf.Resource.Project, workloadResource(bf)) {
			// Nothing printable to require: no rule rather than a wider one.
			if rule.Filter != "" || bot.ErrorCode(err) != bot.EInvalid {
				t.Fatalf("a finding with an inexpressible field got filter %q (%v), want none, refused", rule.Filter, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("the proposed rule %+v is refused: %v", rule, err)
		}
		created, err := fake.CreateMuteConfig(context.Background(), req)
		if err != nil {
			t.Fatalf("the fake refuses filter %q: %v", rule.Filter, err)
		}
		defer fake.DeleteMuteConfig(context.Background(), &securitycenterpb.DeleteMuteConfigRequest{Name: created.GetName()}) //nolint:errcheck // it was just created
		ok, err := fake.MuteRuleMatches(created.GetName(), pf.GetName())
		if err != nil || !ok {
			t.Fatalf("filter %q does not match its own finding (category %q, project %q, resource %q): %v",
				rule.Filter, cat, proj, resource, err)
		}
	})
}

// inexpressible reports whether a value is non-empty with no printable
// run that a filter could require.
func inexpressible(values ...string) bool {
	for _, v := range values {
		if v != "" && len(cleanRuns(v)) == 0 {
			return true
		}
	}
	return false
}

// TestMuteRuleInexpressible: a category with nothing printable cannot be
// required, and dropping it would mute the whole project; the proposal
// has no filter and creating it is refused.
func TestMuteRuleInexpressible(t *testing.T) {
	env := newClientEnv(t, ClientOptions{})
	rule := MuteRuleFor(env.self(sccfake.SeedGKECompiler, category("\x01\n\x7f")))
	if rule.Filter != "" {
		t.Errorf("filter %q, want none", rule.Filter)
	}
	if _, err := env.client.CreateMuteRule(context.Background(), rule); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("CreateMuteRule: %v, want EInvalid", err)
	}
	if n := len(env.fake.Requests("CreateMuteConfig")); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
