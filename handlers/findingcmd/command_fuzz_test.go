package findingcmd

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// oracle holds checks written apart from the parser's own, so that the
// fuzz test does not grade the parser with the parser.
type oracle struct {
	shortID, findingName, technique *regexp.Regexp
}

func newOracle() oracle {
	return oracle{
		shortID:     regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`),
		findingName: regexp.MustCompile(`^(organizations|folders|projects)/[A-Za-z0-9_-]{1,64}/sources/[A-Za-z0-9_-]{1,64}(/locations/[A-Za-z0-9_-]{1,64})?/findings/[A-Za-z0-9_-]{1,64}$`),
		technique:   regexp.MustCompile(`^(T[0-9]{4}(\.[0-9]{3})?|[A-Z][A-Z0-9_]{0,62}[A-Z0-9])$`),
	}
}

// worstCases are inputs built to make a careless parser slow or big.
func worstCases() []string {
	return []string{
		strings.Repeat("<", MaxCommandBytes),
		"mute abc " + strings.Repeat("<x", (MaxCommandBytes-10)/2),
		strings.Repeat("&amp;", MaxCommandBytes/5),
		strings.Repeat("\"", MaxCommandBytes),
		strings.Repeat("“", MaxCommandBytes/3),
		"list category=" + strings.Repeat("a,", (MaxCommandBytes-14)/2),
		"list " + strings.Repeat("x", MaxCommandBytes-10) + "=1",
		"silence " + strings.Repeat("s", MaxCommandBytes-20) + " x",
		"mute abc \"" + strings.Repeat(`\"`, (MaxCommandBytes-12)/2) + "\"",
		"list" + strings.Repeat(" a", 2000),
		"resolve abc verdict=test " + strings.Repeat("<!channel>", (MaxCommandBytes-30)/10),
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, tc := range append(okCases(), errCases()...) {
		f.Add(tc.text)
	}
	for _, s := range worstCases() {
		f.Add(s)
	}
	for _, s := range []string{"&lt;@U1&gt;", "show <@U1", "list severity&gt;=LOW,HIGH", "silence remove “sil-1”",
		"mute x \\\"", "list category=\"a\"b,c", "help help", "list since=9999d", "silence pod=?? for=1w x",
		"resolve x verdict=\"false positive\" <@U1>", "resolve x verdict=<http://a|b>", "list verdict=,", "mute-rule x “\u202e”"} {
		f.Add(s)
	}
	o := newOracle()
	f.Fuzz(func(t *testing.T, text string) {
		c, err := parseWithin(t, text, 2*time.Second)
		c2, err2 := ParseCommand(text)
		if !reflect.DeepEqual(c, c2) || !reflect.DeepEqual(err, err2) {
			t.Fatalf("ParseCommand(%q) is not deterministic", text)
		}
		if err != nil {
			checkCommandError(t, text, err)
			return
		}
		o.checkCommand(t, text, c)
	})
}

// parseWithin fails the test if ParseCommand does not return in time, so
// that a hang is reported with its input instead of stalling a worker.
func parseWithin(t *testing.T, text string, limit time.Duration) (Command, error) {
	type result struct {
		c   Command
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ParseCommand(text)
		done <- result{c, err}
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.c, r.err
	case <-timer.C:
		t.Fatalf("ParseCommand(%q) did not return within %v", text, limit)
		return Command{}, nil
	}
}

func checkCommandError(t *testing.T, text string, err error) {
	t.Helper()
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("ParseCommand(%q) error %T %v, want *CommandError", text, err, err)
	}
	if n := utf8.RuneCountInString(ce.Message); n == 0 || n > 500 || !utf8.ValidString(ce.Message) {
		t.Errorf("ParseCommand(%q) message of %d runes: %q", text, n, ce.Message)
	}
	if strings.ContainsFunc(ce.Message, unicode.IsControl) {
		t.Errorf("ParseCommand(%q) message has control characters: %q", text, ce.Message)
	}
	if ce.Usage == "" {
		t.Errorf("ParseCommand(%q) error has no usage", text)
	}
}

// checkCommand asserts the invariants handlers rely on.
func (o oracle) checkCommand(t *testing.T, text string, c Command) {
	t.Helper()
	fail := func(what string, v any) { t.Errorf("ParseCommand(%q): %s: %#v", text, what, v) }
	names := commandNames()
	if !slices.Contains(names, c.Name) {
		fail("name not allow-listed", c.Name)
	}
	if c.Topic != "" && (c.Name != CommandHelp || c.Topic == CommandHelp || !slices.Contains(names, c.Topic)) {
		fail("bad topic", c)
	}
	needsFinding := slices.Contains([]string{CommandShow, CommandRelated, CommandLogs, CommandMute, CommandUnmute, CommandAck,
		CommandResolve, CommandMuteRule}, c.Name)
	if validRef := o.shortID.MatchString(c.Finding) || o.findingName.MatchString(c.Finding); needsFinding != validRef {
		fail("finding", c.Finding)
	}
	if (c.Name == CommandMitre) != o.technique.MatchString(c.Technique) {
		fail("technique", c.Technique)
	}
	if (c.Name == CommandResolve) != c.Verdict.Valid() {
		fail("verdict", c.Verdict)
	}
	checkReason(t, text, c)
	checkFilters(t, text, c)
	o.checkSilence(t, text, c)
}

func checkReason(t *testing.T, text string, c Command) {
	t.Helper()
	needs := c.Name == CommandMute || c.Name == CommandSilence && c.Silence.Op == SilenceCreate
	optional := c.Name == CommandResolve || c.Name == CommandMuteRule
	if !optional && needs == (c.Reason == "") {
		t.Errorf("ParseCommand(%q): reason %q for %s", text, c.Reason, c.Name)
	}
	bad := strings.ContainsFunc(c.Reason, func(r rune) bool {
		return unicode.IsControl(r) || isBidi(r) || r == utf8.RuneError || r != ' ' && unicode.IsSpace(r)
	})
	if bad || utf8.RuneCountInString(c.Reason) > MaxReasonRunes || strings.TrimSpace(c.Reason) != c.Reason {
		t.Errorf("ParseCommand(%q): unclean reason %q", text, c.Reason)
	}
}

func checkFilters(t *testing.T, text string, c Command) {
	t.Helper()
	f := c.Filters
	fail := func(what string) { t.Errorf("ParseCommand(%q): %s: %+v", text, what, f) }
	switch c.Name {
	case CommandList:
		if f.Limit < 1 || f.Limit > MaxListLimit {
			fail("limit out of range")
		}
	case CommandStats:
		if !reflect.DeepEqual(f, ListFilters{Since: f.Since, SinceTime: f.SinceTime}) {
			fail("stats takes only since")
		}
	default:
		if !reflect.DeepEqual(f, ListFilters{}) {
			fail("filters on a command without filters")
		}
	}
	for _, s := range append(slices.Clone(f.Severities), f.MinSeverity) {
		if s < bot.SeverityUnspecified || s > bot.SeverityCritical {
			fail("severity out of range")
		}
	}
	if slices.Contains(f.Severities, bot.SeverityUnspecified) || len(f.Severities) > 0 && f.MinSeverity != bot.SeverityUnspecified {
		fail("severities")
	}
	for _, s := range f.States {
		if s != "ACTIVE" && s != "INACTIVE" {
			fail("state")
		}
	}
	for _, p := range f.Products {
		if _, ok := bot.ParseProduct(string(p)); !ok {
			fail("product")
		}
	}
	if f.Verdict != "" && !f.Verdict.Valid() {
		fail("verdict")
	}
	if f.Since < 0 || f.Since > 0 && !f.SinceTime.IsZero() {
		fail("since")
	}
	for _, cat := range f.Categories {
		if cat == "" || strings.ContainsFunc(cat, unicode.IsControl) || utf8.RuneCountInString(cat) > 200 {
			fail("category")
		}
	}
}

func (o oracle) checkSilence(t *testing.T, text string, c Command) {
	t.Helper()
	s := c.Silence
	fail := func(what string) { t.Errorf("ParseCommand(%q): %s: %+v", text, what, s) }
	if c.Name != CommandSilence {
		if !reflect.DeepEqual(s, SilenceArgs{}) {
			fail("silence args on another command")
		}
		return
	}
	switch s.Op {
	case SilenceList:
		if !reflect.DeepEqual(s, SilenceArgs{Op: SilenceList}) {
			fail("silence list with arguments")
		}
	case SilenceRemove:
		if !o.shortID.MatchString(s.ID) || s.For != 0 || s.Matchers != nil {
			fail("silence remove")
		}
	case SilenceCreate:
		if len(s.Matchers) == 0 || s.For < 5*time.Minute || s.For > 30*24*time.Hour || s.ID != "" {
			fail("silence create")
		}
		seen := map[string]bool{}
		for _, m := range s.Matchers {
			globbed := m.Field == bot.MatchProject || m.Field == bot.MatchNamespace || m.Field == bot.MatchPod
			if seen[m.Field] || !slices.Contains(silenceKeys()[:10], m.Field) || m.Value == "" || globbed && strings.Trim(m.Value, "*?") == "" {
				fail("matcher")
			}
			seen[m.Field] = true
		}
	default:
		fail("silence op")
	}
}

// TestParseCommandWorstCases runs the inputs meant to be slow; the fuzz
// test repeats them with a time check.
func TestParseCommandWorstCases(t *testing.T) {
	o := newOracle()
	for _, s := range worstCases() {
		c, err := ParseCommand(s)
		if err != nil {
			checkCommandError(t, s, err)
			continue
		}
		o.checkCommand(t, s, c)
	}
}

func BenchmarkParseCommandWorstCase(b *testing.B) {
	cases := worstCases()
	for b.Loop() {
		for _, s := range cases {
			_, _ = ParseCommand(s)
		}
	}
}
