package findingcmd

import (
	"slices"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// Silence durations: long enough for a maintenance window, short enough
// that a forgotten silence ends.
const (
	minSilenceFor = 5 * time.Minute
	maxSilenceFor = 30 * 24 * time.Hour
)

// silenceKeys are the matcher fields of bot.Matcher, then for=.
func silenceKeys() []string {
	return []string{bot.MatchCategory, bot.MatchProject, bot.MatchSeverity, bot.MatchProduct,
		bot.MatchCluster, bot.MatchService, bot.MatchJob, bot.MatchNamespace, bot.MatchPod, bot.MatchImage, "for"}
}

func parseSilence(c *Command, args []token) error {
	if len(args) == 0 {
		return fail("`silence` needs matchers, a duration and a reason, or list, or remove <silence id>")
	}
	switch w := args[0]; {
	case !w.quoted && strings.EqualFold(w.text, "list"):
		c.Silence.Op = SilenceList
		if len(args) > 1 {
			return fail("`silence list` takes no arguments")
		}
		return nil
	case !w.quoted && strings.EqualFold(w.text, "remove"):
		c.Silence.Op = SilenceRemove
		return parseSilenceRemove(c, args[1:])
	}
	c.Silence.Op = SilenceCreate
	return parseSilenceCreate(c, args)
}

func parseSilenceRemove(c *Command, args []token) error {
	if len(args) != 1 {
		return fail("`silence remove` takes one silence id, as shown by silence list")
	}
	if args[0].link || !validShortID(args[0].text) {
		return fail("`%s` is not a silence id: ids are letters, digits, - and _, as shown by silence list", shown(args[0].text))
	}
	c.Silence.ID = args[0].text
	return nil
}

// parseSilenceCreate takes every key=value word as a matcher and the other
// words as the reason. An unknown key is an error, not a reason word, so
// that a typo never widens a silence.
func parseSilenceCreate(c *Command, args []token) error {
	st := filterState{cmd: c, allowed: silenceKeys()}
	var words []token
	for _, t := range args {
		fw, ok := splitFilter(t)
		if !ok {
			words = append(words, t)
			continue
		}
		if err := st.setMatcher(fw); err != nil {
			return err
		}
	}
	if len(c.Silence.Matchers) == 0 {
		if len(words) > 0 {
			if s, ok := suggest(strings.ToLower(words[0].text), []string{"list", "remove"}); ok {
				return fail("unknown silence command `%s` — did you mean `silence %s`?", shown(words[0].text), s)
			}
		}
		keys := silenceKeys()
		return fail("`silence` needs at least one matcher: %s=", strings.Join(keys[:len(keys)-1], "=, "))
	}
	if c.Silence.For == 0 {
		return fail("`silence` needs for=<duration>, like for=4h (from 5m to 30d)")
	}
	var err error
	if c.Reason, err = reasonOf(words); err == nil && c.Reason == "" {
		err = fail("`silence` needs a reason after the matchers: a silence hides findings from everyone, so say why")
	}
	return err
}

// setMatcher adds one matcher. All matchers of a silence must match, so a
// field takes one value, once; and bot.Matcher matches a severity and
// above, so severity is written >= to say so.
func (st *filterState) setMatcher(fw filterWord) error {
	key, err := st.resolveKey(fw)
	if err != nil {
		return err
	}
	if key == "for" {
		return st.setSilenceFor(fw)
	}
	if err := matcherSyntax(key, fw); err != nil {
		return err
	}
	if slices.ContainsFunc(st.cmd.Silence.Matchers, func(m bot.Matcher) bool { return m.Field == key }) {
		return fail("`%s` is given twice: every matcher of a silence must match, so a field takes one value (create two silences for two values)", key)
	}
	v, err := matcherValue(key, fw.values[0])
	if err != nil {
		return err
	}
	st.cmd.Silence.Matchers = append(st.cmd.Silence.Matchers, bot.Matcher{Field: key, Value: v})
	return nil
}

func matcherSyntax(key string, fw filterWord) error {
	switch {
	case key == bot.MatchSeverity && fw.op != ">=":
		return fail("a silence matches a severity and every severity above it: write severity>=%s", shown(strings.ToUpper(fw.values[0])))
	case key != bot.MatchSeverity && fw.op != "=" && fw.op != ":":
		return fail("`%s` is not a matcher: write %s", shown(fw.text), keyExample(key))
	case len(fw.values) > 1:
		return fail("`%s` takes one value: every matcher of a silence must match (create two silences for two values)", key)
	}
	return nil
}

// matcherValue checks a matcher's value and writes it the way bot.Matcher
// compares it.
func matcherValue(key, v string) (string, error) {
	var ok bool
	switch key {
	case bot.MatchSeverity:
		s, valid := bot.ParseSeverity(v)
		if !valid || s == bot.SeverityUnspecified {
			return "", fail("severity `%s` is not one of CRITICAL, HIGH, MEDIUM, LOW", shown(v))
		}
		return s.String(), nil
	case bot.MatchProduct:
		p, valid := bot.ParseProduct(v)
		if !valid {
			return "", fail("product `%s` is not one of gke, cloud_run, other", shown(v))
		}
		return string(p), nil
	case bot.MatchCategory:
		ok = validCategory(v)
	case bot.MatchProject:
		ok = validGlob(v, validProject)
	case bot.MatchNamespace, bot.MatchPod:
		ok = validGlob(v, validK8sName)
	case bot.MatchImage:
		ok = validImage(v)
	default: // cluster, service, job
		ok = validK8sName(v)
	}
	if !ok {
		return "", fail("%s `%s` is not valid: %s", key, shown(v), valueRule(key))
	}
	return v, nil
}

// validGlob accepts the path.Match wildcards * and ?, but not a pattern
// of wildcards only, which would match every finding.
func validGlob(s string, valid func(string) bool) bool {
	if strings.Trim(s, "*?") == "" {
		return false
	}
	return valid(strings.Map(func(r rune) rune {
		if r == '*' || r == '?' {
			return 'x'
		}
		return r
	}, s))
}

func (st *filterState) setSilenceFor(fw filterWord) error {
	switch {
	case fw.op != "=" && fw.op != ":":
		return fail("`%s` is not a duration: write for=4h", shown(fw.text))
	case st.cmd.Silence.For != 0:
		return fail("`for` is given twice")
	case len(fw.values) > 1:
		return fail("`for` takes one value, not a list")
	}
	d, ok := parseSpan(fw.values[0])
	if !ok || d < minSilenceFor || d > maxSilenceFor {
		return fail("for=`%s`: a silence lasts from 5m to 30d, like for=4h or for=7d", shown(fw.values[0]))
	}
	st.cmd.Silence.For = d
	return nil
}
