package findingcmd

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

const (
	testFullName = "organizations/123/sources/456/locations/global/findings/6d1f0e4c9b2a47f3a8e5c7b0d2f4a6c8"
	testShortID  = "6d1f0e4c9b2a47f3a8e5c7b0d2f4a6c8"
	testCategory = "Defense Evasion: Launch Code Compiler Tool In Container"
)

type commandCase struct {
	name string
	text string
	want Command
	// err is the exact message of the expected *CommandError.
	err string
}

func listOf(f ListFilters) Command {
	if f.Limit == 0 {
		f.Limit = DefaultListLimit
	}
	return Command{Name: CommandList, Filters: f}
}

func silenceOf(d time.Duration, reason string, ms ...bot.Matcher) Command {
	return Command{Name: CommandSilence, Reason: reason, Silence: SilenceArgs{Op: SilenceCreate, For: d, Matchers: ms}}
}

// okCases parse. Each is also a seed of FuzzParseCommand.
func okCases() []commandCase {
	return []commandCase{
		{name: "empty is help", text: "", want: Command{Name: CommandHelp}},
		{name: "blank is help", text: " \t\n ", want: Command{Name: CommandHelp}},
		{name: "help", text: "help", want: Command{Name: CommandHelp}},
		{name: "question mark", text: "?", want: Command{Name: CommandHelp}},
		{name: "help topic any case", text: "HELP List", want: Command{Name: CommandHelp, Topic: CommandList}},
		{name: "sub help", text: "silence --help", want: Command{Name: CommandHelp, Topic: CommandSilence}},
		{name: "show short id", text: "show " + testShortID, want: Command{Name: CommandShow, Finding: testShortID}},
		{name: "show full name, capitalised", text: "Show " + testFullName, want: Command{Name: CommandShow, Finding: testFullName}},
		{name: "show name without location", text: "show folders/9/sources/8/findings/f-1", want: Command{Name: CommandShow, Finding: "folders/9/sources/8/findings/f-1"}},
		{name: "show quoted id", text: "show “abc_1”", want: Command{Name: CommandShow, Finding: "abc_1"}},
		{name: "related", text: "related abc", want: Command{Name: CommandRelated, Finding: "abc"}},
		{name: "logs", text: "logs projects/p-1/sources/2/locations/us-central1/findings/x", want: Command{Name: CommandLogs, Finding: "projects/p-1/sources/2/locations/us-central1/findings/x"}},
		{name: "ack", text: "ack abc", want: Command{Name: CommandAck, Finding: "abc"}},
		{name: "unmute", text: "unmute abc", want: Command{Name: CommandUnmute, Finding: "abc"}},
		{name: "resolve verdict only", text: "resolve abc verdict=false_positive", want: Command{Name: CommandResolve, Finding: "abc", Verdict: bot.VerdictFalsePositive}},
		{name: "resolve verdict any case with note", text: "Resolve abc Verdict:Benign expected: nightly CI", want: Command{Name: CommandResolve, Finding: "abc", Verdict: bot.VerdictBenign, Reason: "expected: nightly CI"}},
		{name: "resolve hostile note", text: "resolve abc verdict=test <!channel> *b* `x` <http://x|y> \u202eab", want: Command{Name: CommandResolve, Finding: "abc", Verdict: bot.VerdictTest, Reason: "@channel *b* `x` http://x ab"}},
		{name: "resolve quoted verdict with space", text: "resolve abc verdict=\"true positive\"", want: Command{Name: CommandResolve, Finding: "abc", Verdict: bot.VerdictTruePositive}},
		{name: "mute-rule proposal", text: "mute-rule abc", want: Command{Name: CommandMuteRule, Finding: "abc"}},
		{name: "mute-rule request", text: "MUTE-RULE abc CI compiles here", want: Command{Name: CommandMuteRule, Finding: "abc", Reason: "CI compiles here"}},
		{name: "list verdict", text: "list verdict=false_positive", want: listOf(ListFilters{Verdict: bot.VerdictFalsePositive})},
		{name: "list verdict plural key and dash", text: "list verdicts:false-positive severity>=HIGH", want: listOf(ListFilters{Verdict: bot.VerdictFalsePositive, MinSeverity: bot.SeverityHigh})},
		{name: "mitre id lower case", text: "mitre t1027.004", want: Command{Name: CommandMitre, Technique: "T1027.004"}},
		{name: "mitre parent id", text: "mitre T1059", want: Command{Name: CommandMitre, Technique: "T1059"}},
		{name: "mitre url form", text: "mitre T1027/004", want: Command{Name: CommandMitre, Technique: "T1027.004"}},
		{name: "mitre enum", text: "mitre compile-after-delivery", want: Command{Name: CommandMitre, Technique: "COMPILE_AFTER_DELIVERY"}},
		{name: "mute", text: "mute abc expected: CI compiles here", want: Command{Name: CommandMute, Finding: "abc", Reason: "expected: CI compiles here"}},
		{name: "mute reason whitespace folded", text: "mute abc \"known   build\tjob\"  ok", want: Command{Name: CommandMute, Finding: "abc", Reason: "known build job ok"}},
		{name: "mute reason controls and bidi dropped", text: "mute abc a\u202eb\x07c\u2066d", want: Command{Name: CommandMute, Finding: "abc", Reason: "abcd"}},
		{name: "mute reason link is its url", text: "mute abc see <https://t.example.com/1?a=1&amp;b=2|T-1>", want: Command{Name: CommandMute, Finding: "abc", Reason: "see https://t.example.com/1?a=1&b=2"}},
		{name: "mute reason mentions are text", text: "mute abc ask <@U123|alice> <#C9|sec> <!here> <@U7>", want: Command{Name: CommandMute, Finding: "abc", Reason: "ask @alice #sec @here @U7"}},
		{name: "mute reason entities decoded once", text: "mute abc a&amp;lt;b &lt;x&gt;", want: Command{Name: CommandMute, Finding: "abc", Reason: "a&lt;b <x>"}},
		{name: "mute reason 500 runes", text: "mute abc " + strings.Repeat("é", 500), want: Command{Name: CommandMute, Finding: "abc", Reason: strings.Repeat("é", 500)}},
		{name: "digest", text: "digest", want: Command{Name: CommandDigest}},
		{name: "digest now", text: "digest now", want: Command{Name: CommandDigest}},
		{name: "stats", text: "stats", want: Command{Name: CommandStats}},
		{name: "stats since", text: "stats since=7d", want: Command{Name: CommandStats, Filters: ListFilters{Since: 7 * 24 * time.Hour}}},
		{name: "list default limit", text: "list", want: listOf(ListFilters{})},
		{name: "list comma severities deduplicated", text: "list severity=HIGH,critical,HIGH", want: listOf(ListFilters{Severities: []bot.Severity{bot.SeverityHigh, bot.SeverityCritical}})},
		{name: "list repeated keys, colon, alias", text: "list sev:high severity=LOW", want: listOf(ListFilters{Severities: []bot.Severity{bot.SeverityHigh, bot.SeverityLow}})},
		{name: "list min severity", text: "list severity>=HIGH", want: listOf(ListFilters{MinSeverity: bot.SeverityHigh})},
		{name: "list min severity as Slack sends it", text: "list severity&gt;=high", want: listOf(ListFilters{MinSeverity: bot.SeverityHigh})},
		{name: "list quoted category", text: "list category=\"" + testCategory + "\"", want: listOf(ListFilters{Categories: []string{testCategory}})},
		{name: "list smart quotes", text: "list category=“Execution: Added Binary Executed”", want: listOf(ListFilters{Categories: []string{"Execution: Added Binary Executed"}})},
		{name: "list comma inside quotes is kept", text: "list category=\"A, B\",C", want: listOf(ListFilters{Categories: []string{"A, B", "C"}})},
		{name: "list escapes in quotes", text: `list category="say \"hi\" \\ ok"`, want: listOf(ListFilters{Categories: []string{`say "hi" \ ok`}})},
		{name: "list entity in category", text: "list category=\"Foo &amp; Bar\"", want: listOf(ListFilters{Categories: []string{"Foo & Bar"}})},
		{name: "list all filters", text: "list project=my-proj projects=123456 product=cloud-run state=active limit=50 since=90m",
			want: listOf(ListFilters{Projects: []string{"my-proj", "123456"}, Products: []bot.Product{bot.ProductCloudRun}, States: []string{"ACTIVE"}, Limit: 50, Since: 90 * time.Minute})},
		{name: "list since date", text: "list since=2026-11-20", want: listOf(ListFilters{SinceTime: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)})},
		{name: "list since RFC 3339 in UTC", text: "list since=2026-11-20T10:00:00+02:00", want: listOf(ListFilters{SinceTime: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)})},
		{name: "list since weeks", text: "list since:2w", want: listOf(ListFilters{Since: 14 * 24 * time.Hour})},
		{name: "list limit bounds", text: "list limit=100", want: listOf(ListFilters{Limit: 100})},
		{name: "list 4000 bytes", text: "list" + strings.Repeat(" ", MaxCommandBytes-4), want: listOf(ListFilters{})},
		{name: "list 64 arguments", text: "list" + strings.Repeat(" state=active", 64), want: listOf(ListFilters{States: []string{"ACTIVE"}})},
		{name: "silence list", text: "silence list", want: Command{Name: CommandSilence, Silence: SilenceArgs{Op: SilenceList}}},
		{name: "silence remove", text: "silence remove sil-0a1b2c3d4e5f", want: Command{Name: CommandSilence, Silence: SilenceArgs{Op: SilenceRemove, ID: "sil-0a1b2c3d4e5f"}}},
		{name: "silence create", text: "silence category=\"Execution: Added Binary Executed\" namespace=ci-* for=4h nightly build",
			want: silenceOf(4*time.Hour, "nightly build", bot.Matcher{Field: "category", Value: "Execution: Added Binary Executed"}, bot.Matcher{Field: "namespace", Value: "ci-*"})},
		{name: "silence every matcher", text: "silence severity>=low product=run cluster=c1 service=s1 job=j1 pod=p-? image=us-docker.pkg.dev/p/r/app:1 project=p for=7d \"ticket=SEC-1\" ok",
			want: silenceOf(7*24*time.Hour, "ticket=SEC-1 ok", bot.Matcher{Field: "severity", Value: "LOW"}, bot.Matcher{Field: "product", Value: "cloud_run"},
				bot.Matcher{Field: "cluster", Value: "c1"}, bot.Matcher{Field: "service", Value: "s1"}, bot.Matcher{Field: "job", Value: "j1"},
				bot.Matcher{Field: "pod", Value: "p-?"}, bot.Matcher{Field: "image", Value: "us-docker.pkg.dev/p/r/app:1"}, bot.Matcher{Field: "project", Value: "p"})},
		{name: "silence reason keeps links", text: "silence cluster=c1 for=1h see <https://jira.example.com/SEC-1|SEC-1> <@U1>",
			want: silenceOf(time.Hour, "see https://jira.example.com/SEC-1 @U1", bot.Matcher{Field: "cluster", Value: "c1"})},
		{name: "silence reason word with empty value is prose", text: "silence cluster=c1 for=5m note: tests", want: silenceOf(5*time.Minute, "note: tests", bot.Matcher{Field: "cluster", Value: "c1"})},
	}
}

// errCases fail with exactly err.
func errCases() []commandCase {
	long := strings.Repeat("a", 65)
	return []commandCase{
		{name: "unknown command suggestion", text: "shw abc", err: "unknown command `shw` — did you mean `show`?"},
		{name: "unknown command prefix", text: "sil category=x", err: "unknown command `sil` — did you mean `silence`?"},
		{name: "resolve needs id", text: "resolve", err: "`resolve` needs a finding id and a verdict, as in resolve <id> verdict=false_positive"},
		{name: "resolve needs verdict", text: "resolve abc", err: "`resolve` needs a finding id and a verdict, as in resolve <id> verdict=false_positive; the verdicts are true_positive, false_positive, benign, duplicate, test"},
		{name: "resolve bare verdict", text: "resolve abc benign", err: "`benign` is not a verdict= — did you mean `verdict=benign`?"},
		{name: "resolve note first", text: "resolve abc it was CI", err: "`resolve` needs a finding id and a verdict, as in resolve <id> verdict=false_positive; `it` is not a verdict="},
		{name: "resolve unknown verdict", text: "resolve abc verdict=fp", err: "verdict `fp` is not one of true_positive, false_positive, benign, duplicate, test"},
		{name: "resolve two verdicts", text: "resolve abc verdict=test,benign", err: "`verdict` takes one value, one of true_positive, false_positive, benign, duplicate, test"},
		{name: "resolve note too long", text: "resolve abc verdict=test " + strings.Repeat("é", 501), err: "the reason is 501 characters long; keep it to 500"},
		{name: "mute-rule needs id", text: "mute-rule", err: "`mute-rule` needs a finding id: the rule is proposed from that finding's fields"},
		{name: "list unknown verdict", text: "list verdict=maybe", err: "verdict `maybe` is not one of true_positive, false_positive, benign, duplicate, test"},
		{name: "list verdict twice", text: "list verdict=test verdict=benign", err: "`verdict` is given twice"},
		{name: "list bare verdict", text: "list false_positive", err: "`false_positive` is not a filter — did you mean `verdict=false_positive`?"},
		{name: "list verdict typo", text: "list verdit=test", err: "unknown filter `verdit` — did you mean `verdict`?"},
		{name: "silence takes no verdict", text: "silence verdict=test for=1h x", err: "`silence` does not take `verdict`; it takes category, project, severity, product, cluster, service, job, namespace, pod, image, for"},
		{name: "unknown command", text: "frobnicate", err: "unknown command `frobnicate` — the commands are show, list, related, logs, mitre, mute, mute-rule, resolve, unmute, ack, digest, stats, silence, help"},
		{name: "bare finding name", text: testFullName, err: "unknown command `organizations/123/sources/456/locations…` — to see a finding, use show <finding id>"},
		{name: "link as command", text: "<https://console.cloud.google.com/x>", err: "unknown command: that looks like a link; to see a finding, use show <finding id>"},
		{name: "help unknown topic", text: "help lsit", err: "unknown command `lsit` — did you mean `list`?"},
		{name: "help two topics", text: "help list show", err: "`help` takes one command name, as in help list"},
		{name: "show needs id", text: "show", err: "`show` needs a finding id"},
		{name: "show one id", text: "show a b", err: "`show` takes only a finding id; `b` is one word too many"},
		{name: "show link refused", text: "show <https://console.cloud.google.com/security/command-center/findingsv2;name=x|finding>", err: "that looks like a link; give the finding id"},
		{name: "show mention refused", text: "show <@U123>", err: "that looks like a link; give the finding id"},
		{name: "show channel refused", text: "related <#C123|general>", err: "that looks like a link; give the finding id"},
		{name: "show unclosed markup refused", text: "logs abc<", err: "that looks like a link; give the finding id"},
		{name: "show typed brackets are not markup", text: "show &lt;@U123&gt;", err: "`<@U123>` is not a finding id: ids are up to 64 letters, digits, - and _"},
		{name: "show bad full name", text: "show organizations/1/sources/2/findings", err: "`organizations/1/sources/2/findings` is not a finding name: a full name looks like organizations/ORG/sources/SOURCE/findings/ID (or give just the ID)"},
		{name: "show id too long", text: "show " + long, err: "`" + long[:39] + "…` is not a finding id: ids are up to 64 letters, digits, - and _"},
		{name: "show empty quoted id", text: `show ""`, err: "the finding id is empty"},
		{name: "ack extra word", text: "ack abc please", err: "`ack` takes only a finding id; `please` is one word too many"},
		{name: "mitre needs technique", text: "mitre", err: "`mitre` takes a technique id like T1027.004 or an SCC enum like COMPILE_AFTER_DELIVERY"},
		{name: "mitre bad id", text: "mitre T1027.4", err: "`T1027.4` is not a technique: `mitre` takes a technique id like T1027.004 or an SCC enum like COMPILE_AFTER_DELIVERY"},
		{name: "mitre bad enum", text: "mitre drop;table", err: "`drop;table` is not a technique: `mitre` takes a technique id like T1027.004 or an SCC enum like COMPILE_AFTER_DELIVERY"},
		{name: "mitre link", text: "mitre <https://attack.mitre.org/techniques/T1027/004/>", err: "that looks like a link; give a technique id like T1027.004 or an SCC enum like COMPILE_AFTER_DELIVERY"},
		{name: "mute needs id", text: "mute", err: "`mute` needs a finding id and a reason"},
		{name: "mute needs reason", text: "mute abc", err: "`mute` needs a reason after the finding id: muting hides the finding from everyone, so say why"},
		{name: "mute reason of controls only", text: "mute abc \"\x01\u202e\"", err: "`mute` needs a reason after the finding id: muting hides the finding from everyone, so say why"},
		{name: "mute reason too long", text: "mute abc " + strings.Repeat("é", 501), err: "the reason is 501 characters long; keep it to 500"},
		{name: "digest takes nothing", text: "digest please", err: "`digest` takes no arguments: it sends you the digest now"},
		{name: "stats takes since only", text: "stats severity=HIGH", err: "`stats` does not take `severity`; it takes since"},
		{name: "unknown filter suggestion", text: "list sevrity=HIGH", err: "unknown filter `sevrity` — did you mean `severity`?"},
		{name: "unknown filter", text: "list owner=bob", err: "unknown filter `owner` — `list` takes severity, category, project, product, state, verdict, since, limit"},
		{name: "filter of another command", text: "list cluster=prod", err: "`list` does not take `cluster`; it takes severity, category, project, product, state, verdict, since, limit"},
		{name: "bad severity", text: "list severity=SEVERE", err: "severity `SEVERE` is not one of CRITICAL, HIGH, MEDIUM, LOW"},
		{name: "unspecified severity", text: "list severity=UNSPECIFIED", err: "severity `UNSPECIFIED` is not one of CRITICAL, HIGH, MEDIUM, LOW"},
		{name: "empty value", text: "list severity=", err: "`severity` needs a value, like severity=HIGH"},
		{name: "both severity forms", text: "list severity=LOW severity>=HIGH", err: "give severity=… or severity>=…, not both"},
		{name: "min severity list", text: "list severity>=HIGH,LOW", err: "severity>= takes one severity, once, as in severity>=HIGH"},
		{name: "operator on other key", text: "list category>=X", err: "`category>=X` is not a filter: write category=\"Execution: Added Binary Executed\" (only severity takes >=, as in severity>=HIGH)"},
		{name: "bare severity guessed", text: "list high", err: "`high` is not a filter — did you mean `severity=HIGH`?"},
		{name: "bare state guessed", text: "list severity=HIGH, inactive", err: "`inactive` is not a filter — did you mean `state=INACTIVE`?"},
		{name: "bare word", text: "list everything", err: "`list` takes filters like severity=HIGH; `everything` is not one"},
		{name: "quoted filter is a word", text: `list "severity=HIGH"`, err: "`list` takes filters like severity=HIGH; `severity=HIGH` is not one"},
		{name: "link as filter", text: "list <https://x.example>", err: "that looks like a link; `list` takes filters like severity=HIGH"},
		{name: "link as filter value", text: "list project=<https://console.cloud.google.com/home?project=p>", err: "that looks like a link; give `project` a plain value, like project=my-project"},
		{name: "link as matcher value", text: "silence cluster=c1 image=<http://evil.example/x> for=1h x", err: "that looks like a link; give `image` a plain value, like image=us-docker.pkg.dev/p/repo/app:1.2"},
		{name: "bare unspecified is not guessed", text: "list unspecified", err: "`list` takes filters like severity=HIGH; `unspecified` is not one"},
		{name: "too many values", text: "list category=" + strings.Repeat("a,", 65), err: "the command has more than 64 filter values"},
		{name: "limit too big", text: "list limit=101", err: "limit must be a number from 1 to 100"},
		{name: "limit zero", text: "list limit=0", err: "limit must be a number from 1 to 100"},
		{name: "limit twice", text: "list limit=5 limit=6", err: "`limit` is given twice"},
		{name: "since words", text: "list since=yesterday", err: "since `yesterday` is not a duration like 24h or 7d, a date like 2026-11-20 or a time like 2026-11-20T10:00:00Z"},
		{name: "since negative", text: "list since=-5h", err: "since `-5h` is not a duration like 24h or 7d, a date like 2026-11-20 or a time like 2026-11-20T10:00:00Z"},
		{name: "since list", text: "list since=1d,2d", err: "`since` takes one value, not a list"},
		{name: "bad product", text: "list product=lambda", err: "product `lambda` is not one of gke, cloud_run, other"},
		{name: "bad state", text: "list state=open", err: "state `open` is not one of ACTIVE, INACTIVE"},
		{name: "bad project", text: "list project=My_Project", err: "project `My_Project` is not valid: give a project id or number, like my-project (a silence may use * and ? as wildcards)"},
		{name: "unclosed quote", text: "list category=\"Execution", err: "a quote is not closed: add the closing \""},
		{name: "silence needs args", text: "silence", err: "`silence` needs matchers, a duration and a reason, or list, or remove <silence id>"},
		{name: "silence needs matcher", text: "silence for=4h because", err: "`silence` needs at least one matcher: category=, project=, severity=, product=, cluster=, service=, job=, namespace=, pod=, image="},
		{name: "silence subcommand typo", text: "silence lst", err: "unknown silence command `lst` — did you mean `silence list`?"},
		{name: "silence needs for", text: "silence cluster=c1 maintenance", err: "`silence` needs for=<duration>, like for=4h (from 5m to 30d)"},
		{name: "silence too short", text: "silence cluster=c1 for=1m x", err: "for=`1m`: a silence lasts from 5m to 30d, like for=4h or for=7d"},
		{name: "silence too long", text: "silence cluster=c1 for=31d x", err: "for=`31d`: a silence lasts from 5m to 30d, like for=4h or for=7d"},
		{name: "silence for twice", text: "silence cluster=c1 for=1h for=2h x", err: "`for` is given twice"},
		{name: "silence needs reason", text: "silence cluster=c1 for=1h", err: "`silence` needs a reason after the matchers: a silence hides findings from everyone, so say why"},
		{name: "silence typo never widens", text: "silence cluster=c1 for=1h nightly sevrity=LOW", err: "unknown filter `sevrity` — did you mean `severity`?"},
		{name: "silence unknown key in reason", text: "silence cluster=c1 for=1h ticket=SEC-1", err: "unknown filter `ticket` — `silence` takes category, project, severity, product, cluster, service, job, namespace, pod, image, for; put a reason that holds = or : in quotes"},
		{name: "silence severity needs >=", text: "silence severity=low for=1h x", err: "a silence matches a severity and every severity above it: write severity>=LOW"},
		{name: "silence one value", text: "silence cluster=a,b for=1h x", err: "`cluster` takes one value: every matcher of a silence must match (create two silences for two values)"},
		{name: "silence field twice", text: "silence cluster=a cluster=b for=1h x", err: "`cluster` is given twice: every matcher of a silence must match, so a field takes one value (create two silences for two values)"},
		{name: "silence wildcard only", text: "silence project=* for=1h x", err: "project `*` is not valid: give a project id or number, like my-project (a silence may use * and ? as wildcards)"},
		{name: "silence since is not a matcher", text: "silence since=1h for=1h x", err: "`silence` does not take `since`; it takes category, project, severity, product, cluster, service, job, namespace, pod, image, for"},
		{name: "silence remove needs id", text: "silence remove", err: "`silence remove` takes one silence id, as shown by silence list"},
		{name: "silence remove bad id", text: "silence remove ../x", err: "`../x` is not a silence id: ids are letters, digits, - and _, as shown by silence list"},
		{name: "silence list extra", text: "silence list all", err: "`silence list` takes no arguments"},
		{name: "too long", text: "list" + strings.Repeat(" ", MaxCommandBytes-3), err: "the command is 4001 bytes long; the most /finding takes is 4000"},
		{name: "too many arguments", text: "list" + strings.Repeat(" state=active", 65), err: "the command has more than 64 words; put a long reason in quotes"},
		{name: "invalid UTF-8", text: "show abc\xff", err: "the command is not valid UTF-8 text"},
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range okCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand(tc.text)
			if err != nil {
				t.Fatalf("ParseCommand(%q) error: %v", tc.text, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseCommand(%q)\n got %+v\nwant %+v", tc.text, got, tc.want)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	for _, tc := range errCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand(tc.text)
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseCommand(%q) = %+v, %v; want *CommandError %q", tc.text, got, err, tc.err)
			}
			if ce.Message != tc.err {
				t.Errorf("ParseCommand(%q) message\n got %q\nwant %q", tc.text, ce.Message, tc.err)
			}
			if !reflect.DeepEqual(got, Command{}) {
				t.Errorf("ParseCommand(%q) returned %+v with its error; want the zero Command", tc.text, got)
			}
		})
	}
}

func TestParseCommandErrorUsage(t *testing.T) {
	for _, tc := range []struct{ text, usageOf string }{
		{"list sevrity=HIGH", CommandList},
		{"silence cluster=c1 for=1h", CommandSilence},
		{"mitre", CommandMitre},
		{"frobnicate", ""},
		{"list category=\"x", ""},
	} {
		_, err := ParseCommand(tc.text)
		var ce *CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("ParseCommand(%q) error = %v, want *CommandError", tc.text, err)
		}
		if want := SubcommandHelp(tc.usageOf); ce.Usage != want {
			t.Errorf("ParseCommand(%q) usage\n got %q\nwant %q", tc.text, ce.Usage, want)
		}
	}
}

func TestHelpExamplesParse(t *testing.T) {
	for _, d := range commandDocs() {
		got, err := ParseCommand(d.example)
		if err != nil {
			t.Errorf("example of %s, %q: %v", d.name, d.example, err)
			continue
		}
		if got.Name != d.name {
			t.Errorf("example of %s, %q, parses as %q", d.name, d.example, got.Name)
		}
	}
}

func TestHelpTextNamesEverySubcommand(t *testing.T) {
	help := HelpText()
	for _, d := range commandDocs() {
		if !strings.Contains(help, d.usage) || !strings.Contains(help, "/finding "+d.example) {
			t.Errorf("HelpText lacks %q or its example", d.usage)
		}
		if sub := SubcommandHelp(d.name); d.name != CommandHelp && !strings.HasPrefix(sub, "/finding "+d.usage) {
			t.Errorf("SubcommandHelp(%q) = %q", d.name, sub)
		}
	}
	if got := SubcommandHelp("nope"); got != help {
		t.Errorf("SubcommandHelp of an unknown name = %q, want HelpText", got)
	}
}

func TestListFiltersFrom(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		f    ListFilters
		want time.Time
	}{
		{ListFilters{Since: 24 * time.Hour}, now.Add(-24 * time.Hour)},
		{ListFilters{SinceTime: day}, day},
		{ListFilters{}, time.Time{}},
	} {
		if got := tc.f.From(now); !got.Equal(tc.want) {
			t.Errorf("%+v.From(now) = %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := commandNames()
	for _, tc := range []struct {
		word, want string
		ok         bool
	}{
		{"lst", "list", true},
		{"mitr", "mitre", true},
		{"unmte", "unmute", true},
		{"rel", "related", true},
		{"zzzzzz", "", false},
		{"s", "", false},
		{strings.Repeat("x", 33), "", false},
	} {
		got, ok := suggest(tc.word, names)
		if got != tc.want || ok != tc.ok {
			t.Errorf("suggest(%q) = %q, %v; want %q, %v", tc.word, got, ok, tc.want, tc.ok)
		}
	}
}
