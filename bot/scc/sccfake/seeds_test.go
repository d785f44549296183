package sccfake_test

import (
	"bytes"
	"testing"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

func TestSeeds(t *testing.T) {
	seeds := sccfake.Seeds()
	var keys []string
	for _, s := range seeds {
		keys = append(keys, s.Key)
		f, r := sccfake.SeedFinding(s.Key)
		if f.GetName() == "" || f.GetCategory() == "" || f.GetEventTime() == nil || f.GetState() != securitycenterpb.Finding_ACTIVE ||
			f.GetFindingClass() != securitycenterpb.Finding_THREAT || len(f.GetProcesses()) == 0 || len(f.GetContainers()) == 0 {
			t.Errorf("%s: incomplete finding %v", s.Key, f)
		}
		if r.GetGcpMetadata().GetProjectDisplayName() == "" {
			t.Errorf("%s: no project display name in %v", s.Key, r)
		}
		if s.Title == "" || !utf8.Valid(s.JSON) {
			t.Errorf("%s: title %q", s.Key, s.Title)
		}
	}
	want := []string{sccfake.SeedGKECompiler, sccfake.SeedCloudRunCompiler, sccfake.SeedCloudRunMaliciousBinary, sccfake.SeedGKECompilerV1}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if f, r := sccfake.SeedFinding("nope"); f != nil || r != nil {
		t.Error("unknown seed returned a finding")
	}
}

func TestSeedsAreFreshCopies(t *testing.T) {
	a, _ := sccfake.SeedJSON(sccfake.SeedGKECompiler)
	a[0] = 'X'
	b, _ := sccfake.SeedJSON(sccfake.SeedGKECompiler)
	if b[0] == 'X' {
		t.Error("SeedJSON shares its bytes")
	}
}

func TestWithEventTimeAndFindingID(t *testing.T) {
	data, _ := sccfake.SeedJSON(sccfake.SeedGKECompiler)
	when := time.Date(2027, 1, 2, 3, 4, 5, 6, time.UTC)
	out := sccfake.WithFindingID(sccfake.WithEventTime(data, when), "fresh01")
	f, _, err := sccfake.ParseNotification(out)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{f.GetName(), f.GetCanonicalName(), f.GetSecurityMarks().GetName(), f.GetEventTime().AsTime(), f.GetProcesses()[0].GetPid()}
	want := []any{
		"organizations/123456789012/sources/11434510651542839261/locations/global/findings/fresh01",
		"projects/456789012345/sources/11434510651542839261/locations/global/findings/fresh01",
		"organizations/123456789012/sources/11434510651542839261/locations/global/findings/fresh01/securityMarks",
		when, int64(48213),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !bytes.Equal(sccfake.WithEventTime([]byte("not json"), when), []byte("not json")) {
		t.Error("WithEventTime changed a non-notification")
	}
}

func TestSeedVariant(t *testing.T) {
	f, r := sccfake.SeedVariant(sccfake.SeedCloudRunCompiler, "v1", time.Unix(100, 0))
	if f.GetName() != "organizations/123456789012/sources/15707368271209355877/locations/global/findings/v1" ||
		!f.GetEventTime().AsTime().Equal(time.Unix(100, 0)) || r.GetName() == "" {
		t.Errorf("variant = %v / %v", f.GetName(), f.GetEventTime())
	}
}

func TestHostile(t *testing.T) {
	data := sccfake.Hostile()
	if utf8.Valid(data) {
		t.Error("Hostile() is valid UTF-8; it must carry invalid bytes")
	}
	for _, s := range []string{`\udc00`, "<!channel>", "<@U123>", "<https://evil.example|x>", "`", `\"`, `\\`, `\n`} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("Hostile() lacks %q", s)
		}
	}
}

func TestAddNotification(t *testing.T) {
	fake := sccfake.New()
	v1, _ := sccfake.SeedJSON(sccfake.SeedGKECompilerV1)
	if err := fake.AddNotification(v1); err != nil {
		t.Fatal(err)
	}
	// Stored under its location-less v1 name, found by either spelling.
	for _, name := range []string{
		"organizations/123456789012/sources/11434510651542839261/findings/52f0d8c3b1a94e7d9c6b3a2f1e0d9c8b",
		"organizations/123456789012/sources/11434510651542839261/locations/global/findings/52f0d8c3b1a94e7d9c6b3a2f1e0d9c8b",
	} {
		if _, ok := fake.Finding(name); !ok {
			t.Errorf("Finding(%q) not found", name)
		}
	}
	if err := fake.AddNotification([]byte(`{}`)); err == nil {
		t.Error("AddNotification accepted a message without a finding")
	}
}
