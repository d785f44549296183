package scc

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

const (
	gkeFindingName = "organizations/123456789012/sources/11434510651542839261/locations/global/findings/7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e"
	gkeImage       = "us-docker.pkg.dev/demo-prod/apps/checkout@sha256:3f1c8e2a9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"
)

func seedJSON(t testing.TB, key string) []byte {
	t.Helper()
	data, ok := sccfake.SeedJSON(key)
	if !ok {
		t.Fatalf("no seed %q", key)
	}
	return data
}

// wantGKE is the whole conversion of the GKE seed: every field the bot
// reads, in one place.
func wantGKE() bot.Finding {
	return bot.Finding{
		Name:          gkeFindingName,
		CanonicalName: "projects/456789012345/sources/11434510651542839261/locations/global/findings/7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e",
		Parent:        "organizations/123456789012/sources/11434510651542839261/locations/global",
		Source:        "Container Threat Detection",
		Category:      "Defense Evasion: Launch Code Compiler Tool In Container",
		Module:        "LAUNCH_CODE_COMPILER_TOOL_IN_CONTAINER",
		Class:         "THREAT",
		Severity:      bot.SeverityLow,
		State:         "ACTIVE",
		Mute:          "UNDEFINED",
		EventTime:     time.Date(2026, 11, 20, 10, 15, 30, 123e6, time.UTC),
		CreateTime:    time.Date(2026, 11, 20, 10, 15, 32, 456e6, time.UTC),
		Description:   "A process started a code compiler inside a running container. Compiling code inside a container that is not built for it can mean that an attacker is building tools or tampering with binaries away from host-based controls.",
		NextSteps:     "Check whether the pod is expected to compile code. Review the process arguments and the pod, cluster audit and node logs, copy the compiled output for analysis, and stop or replace the container if the activity is not legitimate.",
		Resource: bot.Resource{
			Name:          "//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod-cluster",
			Type:          "google.container.Cluster",
			DisplayName:   "prod-cluster",
			Service:       "container.googleapis.com",
			Location:      "us-central1",
			Project:       "demo-prod",
			ProjectNumber: "456789012345",
			Organization:  "123456789012",
		},
		Target: bot.Target{
			Product: bot.ProductGKE, Project: "demo-prod", Location: "us-central1", Cluster: "prod-cluster",
			Namespace: "payments", Pod: "checkout-7d9f8b6c5-x2x9q", Node: "gke-prod-cluster-pool-1-abcd",
			Container: "checkout",
		},
		Containers: []bot.Container{{Name: "checkout", ImageURI: gkeImage,
			ImageID: "sha256:3f1c8e2a9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"}},
		Processes: []bot.Process{
			{Name: "gcc", Binary: "/usr/bin/gcc",
				Args:   []string{"gcc", "-O2", "-static", "-o", "/tmp/.cache/kworkerd", "/tmp/.cache/kworkerd.c", "-lpthread"},
				SHA256: "7a5479eda4d9d6e0e843b8508089a8d94a7e86dcb2974865ca2b2fbe4a0a31c4", PID: 48213, ParentPID: 48190},
			{Name: "sh", Binary: "/bin/sh",
				Args:   []string{"/bin/sh", "-c", "cd /tmp/.cache && gcc -O2 -static -o kworkerd kworkerd.c -lpthread"},
				SHA256: "e6bb4d8e2f3c1a0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c", PID: 48190, ParentPID: 1},
		},
		Attack: bot.Attack{
			Tactic: bot.TechniqueRef{Enum: "DEFENSE_EVASION", ID: "TA0005"},
			Techniques: []bot.TechniqueRef{
				{Enum: "OBFUSCATED_FILES_OR_INFO", ID: "T1027"},
				{Enum: "COMPILE_AFTER_DELIVERY", ID: "T1027.004"},
			},
			Version: "16.1",
		},
		Contacts:           []string{"payments-oncall@example.com", "platform-team@example.com"},
		NotificationConfig: "organizations/123456789012/locations/global/notificationConfigs/sccbot-container-threats",
	}
}

func TestDecodeNotificationGKESeed(t *testing.T) {
	got, err := DecodeNotification(seedJSON(t, sccfake.SeedGKECompiler))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantGKE(), got); diff != "" {
		t.Errorf("GKE seed (-want +got):\n%s", diff)
	}
}

// TestDecodeNotificationSeeds checks what each scenario's responders read.
func TestDecodeNotificationSeeds(t *testing.T) {
	tests := []struct {
		key      string
		target   bot.Target
		project  string
		severity bot.Severity
		binary   string
		sha256   string
		attack   []bot.TechniqueRef
	}{{
		key: sccfake.SeedCloudRunCompiler,
		target: bot.Target{Product: bot.ProductCloudRun, Project: "demo-web", Location: "europe-west1",
			Service: "checkout-api", Revision: "checkout-api-00042-xuz", Container: "api"},
		project: "demo-web", severity: bot.SeverityLow, binary: "/usr/bin/clang",
		sha256: "4c9e0a7f1b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
		attack: []bot.TechniqueRef{{Enum: "OBFUSCATED_FILES_OR_INFO", ID: "T1027"}, {Enum: "COMPILE_AFTER_DELIVERY", ID: "T1027.004"}},
	}, {
		key: sccfake.SeedCloudRunMaliciousBinary,
		target: bot.Target{Product: bot.ProductCloudRun, Project: "demo-web", Location: "europe-west1",
			Service: "image-resizer", Revision: "image-resizer-00007-kmb", Container: "resizer"},
		project: "demo-web", severity: bot.SeverityCritical, binary: "/app/bin/updater",
		sha256: "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
		attack: []bot.TechniqueRef{{Enum: "INGRESS_TOOL_TRANSFER", ID: "T1105"}, {Enum: "NATIVE_API", ID: "T1106"}},
	}, {
		key: sccfake.SeedGKECompilerV1,
		target: bot.Target{Product: bot.ProductGKE, Project: "demo-prod", Location: "us-central1",
			Cluster: "prod-cluster", Namespace: "payments", Pod: "checkout-7d9f8b6c5-k7m2p",
			Node: "gke-prod-cluster-pool-1-efgh", Container: "checkout"},
		project: "demo-prod", severity: bot.SeverityLow, binary: "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
		sha256: "c7239583b1400b5b9790e76eb0d2355641bbb6a664f2bca17c5286e83bc57bb2",
		attack: []bot.TechniqueRef{{Enum: "OBFUSCATED_FILES_OR_INFO", ID: "T1027"}, {Enum: "COMPILE_AFTER_DELIVERY", ID: "T1027.004"}},
	}}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			f, err := DecodeNotification(seedJSON(t, tt.key))
			if err != nil {
				t.Fatal(err)
			}
			p, _ := f.Process()
			got := []any{f.Target, f.Resource.Project, f.Severity, p.Binary, f.SHA256(), f.AllTechniques()}
			want := []any{tt.target, tt.project, tt.severity, tt.binary, tt.sha256, tt.attack}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeNotificationV1 shows that the v1 format keeps the project
// fields that the v2 type alone would drop.
func TestDecodeNotificationV1(t *testing.T) {
	f, err := DecodeNotification(seedJSON(t, sccfake.SeedGKECompilerV1))
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Resource{
		Name: "//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod-cluster",
		Type: "google.container.Cluster", DisplayName: "prod-cluster",
		Project: "demo-prod", ProjectNumber: "456789012345", Organization: "123456789012",
	}
	if diff := cmp.Diff(want, f.Resource); diff != "" {
		t.Errorf("resource (-want +got):\n%s", diff)
	}
	if got := f.NotificationConfig; got != "organizations/123456789012/notificationConfigs/sccbot-container-threats-v1" {
		t.Errorf("NotificationConfig = %q", got)
	}
}

func TestDecodeNotificationMalformed(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"not json", []byte("hello"), ReasonInvalidJSON},
		{"truncated", seedJSON(t, sccfake.SeedGKECompiler)[:200], ReasonInvalidJSON},
		{"array", []byte(`[{"finding":{"name":"x"}}]`), ReasonInvalidJSON},
		{"bad int64", []byte(`{"finding":{"name":"x","processes":[{"pid":"abc"}]}}`), ReasonInvalidJSON},
		{"empty object", []byte(`{}`), ReasonNotNotification},
		{"null finding", []byte(`{"finding":null,"resource":{"name":"r"}}`), ReasonNotNotification},
		{"finding without name", []byte(`{"finding":{"category":"x"}}`), ReasonMissingName},
		{"too large", bytes.Repeat([]byte(" "), MaxNotificationSize+1), ReasonTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeNotification(tt.data)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if de.Reason != tt.reason {
				t.Errorf("reason = %q, want %q (%v)", de.Reason, tt.reason, err)
			}
		})
	}
}

// TestDecodeNotificationTolerates covers inputs that must still yield a
// card: unknown fields and enum values, broken text, a bare name.
func TestDecodeNotificationTolerates(t *testing.T) {
	tests := []struct {
		name string
		data string
		got  func(f bot.Finding) any
		want any
	}{
		{"name only", `{"finding":{"name":"organizations/1/sources/2/findings/3"}}`,
			func(f bot.Finding) any { return []any{f.Name, f.Target.Product, f.Resource.Organization} },
			[]any{"organizations/1/sources/2/findings/3", bot.ProductOther, "1"}},
		{"unknown fields", `{"finding":{"name":"n","findingProviderId":"x","future":{"a":[1]}},"extra":1}`,
			func(f bot.Finding) any { return f.Name }, "n"},
		{"unknown enum values", `{"finding":{"name":"n","state":"WEIRD","severity":"SUPER","category":"c"}}`,
			func(f bot.Finding) any { return []any{f.State, f.Severity, f.Category} },
			[]any{"", bot.SeverityUnspecified, "c"}},
		{"made-up technique", `{"finding":{"name":"n","category":"c","mitreAttack":{"primaryTactic":"NEW_TACTIC",
			"primaryTechniques":["NEW_TECHNIQUE","NATIVE_API"],"additionalTechniques":["OTHER_NEW"]}}}`,
			func(f bot.Finding) any { return []any{f.Category, f.Attack} },
			[]any{"c", bot.Attack{
				Tactic:               bot.TechniqueRef{Enum: "NEW_TACTIC"},
				Techniques:           []bot.TechniqueRef{{Enum: "NEW_TECHNIQUE"}, {Enum: "NATIVE_API", ID: "T1106"}},
				AdditionalTechniques: []bot.TechniqueRef{{Enum: "OTHER_NEW"}},
			}}},
		{"technique as number", `{"finding":{"name":"n","mitreAttack":{"primaryTechniques":[9999]}}}`,
			func(f bot.Finding) any { return f.Attack.Techniques }, []bot.TechniqueRef{{Enum: "9999"}}},
		{"invalid utf-8", "{\"finding\":{\"name\":\"n\",\"category\":\"a\xffb\"}}",
			func(f bot.Finding) any { return f.Category }, "a\uFFFDb"},
		{"lone surrogate", `{"finding":{"name":"n","category":"a\udc00b\ud83d\ude00\\ud800"}}`,
			func(f bot.Finding) any { return f.Category }, "a\uFFFDb\U0001F600\\ud800"},
		{"snake case names", `{"finding":{"name":"n","resource_name":"//run.googleapis.com/projects/p/locations/r/jobs/j/executions/e"}}`,
			func(f bot.Finding) any { return f.Target },
			bot.Target{Product: bot.ProductCloudRun, Project: "p", Location: "r", Job: "j", Execution: "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := DecodeNotification([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.got(f)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeNotificationHostile: hostile strings come through intact (the
// renderer escapes them), only repaired to valid UTF-8.
func TestDecodeNotificationHostile(t *testing.T) {
	data := sccfake.Hostile()
	if utf8.Valid(data) || !bytes.Contains(data, []byte(`\udc00`)) {
		t.Fatal("Hostile() should carry invalid UTF-8 and a lone surrogate escape")
	}
	f, err := DecodeNotification(data)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := f.Process()
	if len(p.Args) != sccfake.HostileArgs || len(p.Args[1]) < 10*1024 || !p.ArgsTruncated {
		t.Errorf("args: %d args, second is %d bytes, truncated=%v", len(p.Args), len(p.Args[1]), p.ArgsTruncated)
	}
	for _, s := range append([]string{f.Description, p.Binary, f.Target.Namespace, f.Target.Pod}, p.Args...) {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 survived: %q", s)
		}
	}
	want := bot.Target{Product: bot.ProductGKE, Project: `demo-prod" OR resource.type="x`, Location: "us-central1",
		Cluster: `prod"clu\ster`, Namespace: "pay`ments\n<!channel>", Pod: "checkout\"pod\\x\n`rm -rf /`",
		Node: "node\"\\<!here>", Container: "<@U123>`c`\nontainer"}
	if diff := cmp.Diff(want, f.Target); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
	if got := f.Attack.Techniques; len(got) != 2 || got[1] != (bot.TechniqueRef{Enum: "MADE_UP_TECHNIQUE_FROM_THE_FUTURE"}) {
		t.Errorf("techniques = %v", got)
	}
	if !strings.Contains(f.Description, "\uFFFD") {
		t.Errorf("description lost its replacement characters: %q", f.Description)
	}
}

// TestFromProtoMatchesDecode: the poll path and the Pub/Sub path give the
// same Finding for the same data.
func TestFromProtoMatchesDecode(t *testing.T) {
	for _, s := range sccfake.Seeds() {
		t.Run(s.Key, func(t *testing.T) {
			want, err := DecodeNotification(s.JSON)
			if err != nil {
				t.Fatal(err)
			}
			want.NotificationConfig = ""
			f, r := sccfake.SeedFinding(s.Key)
			if diff := cmp.Diff(want, FromProto(f, r)); diff != "" {
				t.Errorf("FromProto differs from DecodeNotification (-decode +proto):\n%s", diff)
			}
			res := &securitycenterpb.ListFindingsResponse_ListFindingsResult{Finding: f, Resource: listResourceOf(r)}
			if diff := cmp.Diff(want, FromListResult(res)); diff != "" {
				t.Errorf("FromListResult differs (-decode +list):\n%s", diff)
			}
		})
	}
}

func listResourceOf(r *securitycenterpb.Resource) *securitycenterpb.ListFindingsResponse_ListFindingsResult_Resource {
	out := &securitycenterpb.ListFindingsResponse_ListFindingsResult_Resource{
		Name: r.GetName(), DisplayName: r.GetDisplayName(), Type: r.GetType(), Service: r.GetService(),
		Location: r.GetLocation(),
	}
	if md := r.GetGcpMetadata(); md != nil {
		out.CloudProviderMetadata = &securitycenterpb.ListFindingsResponse_ListFindingsResult_Resource_GcpMetadata{GcpMetadata: md}
	}
	return out
}

func TestFromProtoNil(t *testing.T) {
	if diff := cmp.Diff(bot.Finding{Target: bot.Target{Product: bot.ProductOther}}, FromProto(nil, nil)); diff != "" {
		t.Errorf("FromProto(nil, nil) (-want +got):\n%s", diff)
	}
	if got := FromListResult(nil); got.Name != "" {
		t.Errorf("FromListResult(nil).Name = %q", got.Name)
	}
}

func TestContactsOrder(t *testing.T) {
	c := func(emails ...string) *securitycenterpb.ContactDetails {
		d := &securitycenterpb.ContactDetails{}
		for _, e := range emails {
			d.Contacts = append(d.Contacts, &securitycenterpb.Contact{Email: e})
		}
		return d
	}
	got := contactsOf(map[string]*securitycenterpb.ContactDetails{
		"technical": c("t@x", "s@x"),
		"billing":   c("b@x", ""),
		"security":  c("s@x", "s2@x"),
	})
	if diff := cmp.Diff([]string{"s@x", "s2@x", "b@x", "t@x"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReplaceLoneSurrogates(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"plain"`, `"plain"`},
		{`"\ud800"`, `"\ufffd"`},
		{`"\udc00x"`, `"\ufffdx"`},
		{`"\ud83d\ude00"`, `"\ud83d\ude00"`},
		{`"\\ud800"`, `"\\ud800"`},
		{`"\ud800\u0041"`, `"\ufffd\u0041"`},
		{`"\ud80`, `"\ud80`},
	}
	for _, tt := range tests {
		got, _ := replaceLoneSurrogates([]byte(tt.in))
		if string(got) != tt.want {
			t.Errorf("replaceLoneSurrogates(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
