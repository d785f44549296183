package slack

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from golden file; run go test -update and review the diff\ngot:\n%s", path, got)
	}
}

func renderJSON(t *testing.T, m bot.Message) []byte {
	t.Helper()
	blocks, text := Render(m)
	out, err := json.MarshalIndent(map[string]any{"text": text, "blocks": blocks}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func gkeFinding() bot.Finding {
	return bot.Finding{
		Name:      "organizations/123/sources/456/locations/global/findings/f1",
		Category:  "Defense Evasion: Launch Code Compiler Tool In Container",
		Severity:  bot.SeverityHigh,
		State:     "ACTIVE",
		Source:    "Container Threat Detection",
		EventTime: time.Date(2026, 11, 20, 10, 15, 30, 0, time.UTC),
		Resource:  bot.Resource{Organization: "123", Project: "demo-prod"},
		Target: bot.Target{Product: bot.ProductGKE, Project: "demo-prod", Location: "us-central1", Cluster: "prod-cluster",
			Namespace: "payments", Pod: "checkout-7d9f8b6c5-x2x9q", Node: "gke-prod-pool-1-abcd", Container: "checkout"},
		Containers: []bot.Container{{Name: "checkout", ImageURI: "us-docker.pkg.dev/demo-prod/apps/checkout:1.4"}},
		Processes: []bot.Process{{Binary: "/usr/bin/gcc", Args: []string{"gcc", "-o", "/tmp/.x", "/tmp/.x.c"},
			SHA256: strings.Repeat("0f", 32)}},
		Attack: bot.Attack{Tactic: bot.TechniqueRef{Enum: "DEFENSE_EVASION", ID: "TA0005"},
			Techniques: []bot.TechniqueRef{{Enum: "COMPILE_AFTER_DELIVERY", ID: "T1027.004"}}},
	}
}

func hostileFinding() bot.Finding {
	f := gkeFinding()
	f.Category = "<!channel> Execution: `x`\n*bold* <https://evil.example|Open in GCP console>"
	f.Target.Pod = "pod`\n<@U123>"
	f.Target.Namespace = "ns<!here>&amp;"
	f.Target.Cluster = "c\u202eeulav" // a right-to-left override
	f.Containers[0].ImageURI = "<https://evil.example|image>"
	args := []string{"\xff\xfe invalid utf8", "<!channel>", "```", "<https://evil.example|x>"}
	for i := 0; i < 300; i++ {
		args = append(args, strings.Repeat("A", 30))
	}
	args = append(args, strings.Repeat("B", 10*1024))
	f.Processes[0].Args = args
	f.Processes[0].SHA256 = "<https://evil.example|sha>"
	return f
}

func TestRenderGoldenGKECard(t *testing.T) {
	golden(t, "gke_card", renderJSON(t, handlers.Card(gkeFinding(), nil, nil, handlers.CardState{})))
}

func TestRenderGoldenHostileCard(t *testing.T) {
	golden(t, "hostile_card", renderJSON(t, handlers.Card(hostileFinding(), nil, nil, handlers.CardState{})))
}

// liveMarkup finds Slack control sequences: mentions, channel pings and
// links. The only links allowed are the bot's own.
var liveMarkup = regexp.MustCompile(`<[^>]*>`)

func TestRenderHostileHasNoLiveMarkup(t *testing.T) {
	blocks, text := Render(handlers.Card(hostileFinding(), nil, nil, handlers.CardState{}))
	raw, _ := json.Marshal(blocks)
	var all []string
	collectTexts(blocks, &all)
	all = append(all, text)
	for _, s := range all {
		for _, m := range liveMarkup.FindAllString(s, -1) {
			if !strings.HasPrefix(m, "<https://console.cloud.google.com/") && !strings.HasPrefix(m, "<https://attack.mitre.org/") {
				t.Errorf("live markup %q in %q", m, s)
			}
		}
		if strings.ContainsRune(s, '\u202e') {
			t.Errorf("bidi override survived in %q", s)
		}
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 in %q", s)
		}
	}
	if strings.Contains(string(raw), `\u003chttps://evil`) {
		t.Error("a hostile masked link survived rendering")
	}
	checkLimits(t, blocks)
}

func collectTexts(blocks []goslack.Block, out *[]string) {
	for _, b := range blocks {
		switch b := b.(type) {
		case *goslack.HeaderBlock:
			*out = append(*out, b.Text.Text)
		case *goslack.SectionBlock:
			if b.Text != nil {
				*out = append(*out, b.Text.Text)
			}
			for _, f := range b.Fields {
				*out = append(*out, f.Text)
			}
		case *goslack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*goslack.TextBlockObject); ok {
					*out = append(*out, t.Text)
				}
			}
		}
	}
}

// checkLimits asserts Block Kit's limits (notes/slack.md 2.4).
func checkLimits(t *testing.T, blocks []goslack.Block) {
	t.Helper()
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks, limit %d", len(blocks), maxBlocks)
	}
	n := func(s string) int { return utf8.RuneCountInString(s) }
	for _, b := range blocks {
		switch b := b.(type) {
		case *goslack.HeaderBlock:
			if n(b.Text.Text) > maxHeaderText {
				t.Errorf("header %d chars", n(b.Text.Text))
			}
		case *goslack.SectionBlock:
			if b.Text != nil && n(b.Text.Text) > maxSectionText {
				t.Errorf("section text %d chars", n(b.Text.Text))
			}
			if len(b.Fields) > maxFields {
				t.Errorf("%d fields", len(b.Fields))
			}
			for _, f := range b.Fields {
				if n(f.Text) > maxFieldText {
					t.Errorf("field %d chars", n(f.Text))
				}
			}
		}
	}
}

func TestRenderCutsLongCodeWithNote(t *testing.T) {
	blocks, _ := Render(bot.Message{Blocks: []bot.Block{bot.Code{Text: strings.Repeat("x&", 5000)}}})
	if len(blocks) != 2 {
		t.Fatalf("got %d blocks, want code and a truncation note", len(blocks))
	}
	code := blocks[0].(*goslack.SectionBlock).Text.Text
	if n := utf8.RuneCountInString(code); n > maxSectionText {
		t.Errorf("code block has %d chars", n)
	}
	if strings.Contains(code, "&amp…") || strings.HasSuffix(strings.TrimSuffix(code, "…\n```"), "&") {
		t.Errorf("cut split an entity: ...%q", code[len(code)-20:])
	}
	note := blocks[1].(*goslack.ContextBlock).ContextElements.Elements[0].(*goslack.TextBlockObject).Text
	if !strings.Contains(note, "truncated") || !strings.Contains(note, "of 10000 characters") {
		t.Errorf("note = %q", note)
	}
}

func TestRenderSplitsFieldsAndCapsBlocks(t *testing.T) {
	var fields []bot.Field
	for range 25 {
		fields = append(fields, bot.Field{Label: "L", Value: bot.R(bot.T("v"))})
	}
	blocks, _ := Render(bot.Message{Blocks: []bot.Block{bot.Section{Fields: fields}}})
	if len(blocks) != 3 {
		t.Errorf("25 fields rendered in %d sections, want 3", len(blocks))
	}
	var many []bot.Block
	for range 80 {
		many = append(many, bot.Divider{})
	}
	blocks, _ = Render(bot.Message{Blocks: many})
	if len(blocks) != maxBlocks {
		t.Errorf("80 blocks rendered as %d, want %d", len(blocks), maxBlocks)
	}
}

func TestEscapeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<!channel> & <@U1>", "&lt;!channel&gt; &amp; &lt;@U1&gt;"},
		{"a`b", "aˋb"},
		{"line\nbreak\ttab\x00nul", "line⏎break tab\uFFFDnul"},
		{"\xffx", "\uFFFDx"},
		{"ab\u202ecd", "abcd"},
	}
	for _, tt := range tests {
		if got := escapeText(tt.in, false); got != tt.want {
			t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLinkTarget(t *testing.T) {
	tests := map[string]string{
		"https://console.cloud.google.com/x?a=1&b=2": "https://console.cloud.google.com/x?a=1&amp;b=2",
		"https://e.example/a|b>c":                    "https://e.example/a%7Cb%3Ec",
		"javascript:alert(1)":                        "",
		"/relative":                                  "",
	}
	for in, want := range tests {
		if got := linkTarget(in); got != want {
			t.Errorf("linkTarget(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderMentionsAndChannelLinks(t *testing.T) {
	cases := []struct {
		span bot.Span
		want string
	}{
		{bot.Mention("U0ALICE"), "<@U0ALICE>"},
		{bot.Mention("S0LEADS"), "<!subteam^S0LEADS>"},
		{bot.Mention("<!channel>"), "&lt;!channel&gt;"},
		{bot.ChannelLink("C0SECOPS"), "<#C0SECOPS>"},
		{bot.ChannelLink("G0PRIVATE"), "<#G0PRIVATE>"},
		{bot.ChannelLink("C0X|<!here>"), "C0X|&lt;!here&gt;"},
	}
	for _, c := range cases {
		if got := renderRich(bot.R(c.span), false); got != c.want {
			t.Errorf("render %+v = %q, want %q", c.span, got, c.want)
		}
	}
}
