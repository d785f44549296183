package findingcmd

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// Limits of ParseCommand. Input beyond them is refused rather than cut,
// because a truncated command could mean something else than the one typed.
const (
	MaxCommandBytes  = 4000
	MaxCommandArgs   = 64
	MaxReasonRunes   = 500
	DefaultListLimit = 20
	MaxListLimit     = 100
)

// Names of the /finding subcommands: the allow-list of ParseCommand.
const (
	CommandHelp     = "help"
	CommandShow     = "show"
	CommandList     = "list"
	CommandRelated  = "related"
	CommandLogs     = "logs"
	CommandMitre    = "mitre"
	CommandMute     = "mute"
	CommandMuteRule = "mute-rule"
	CommandResolve  = "resolve"
	CommandUnmute   = "unmute"
	CommandAck      = "ack"
	CommandDigest   = "digest"
	CommandStats    = "stats"
	CommandSilence  = "silence"
)

// Command is a /finding command, parsed and validated: every field holds a
// value that passed an allow-list or a syntax check, so handlers can use it
// without checking again (they still authorise the person).
type Command struct {
	// Name is one of the Command* constants.
	Name string
	// Topic is the subcommand whose help was asked for ("help list",
	// "list help"); empty for the general help.
	Topic string
	// Finding is a full finding name or a short id (the last segment of a
	// name); show, related, logs, mute, unmute and ack set it.
	Finding string
	// Technique is an ATT&CK technique id (T1027.004) or an SCC enum in
	// upper snake case (COMPILE_AFTER_DELIVERY), for mitre.
	Technique string
	// Reason is why a finding is muted, a mute rule requested or a silence
	// created, or resolve's note: one line of at most MaxReasonRunes runes,
	// without control characters.
	Reason string
	// Verdict is resolve's verdict; always one of bot.Verdicts there.
	Verdict bot.Verdict
	// Filters are list's filters and stats' since.
	Filters ListFilters
	// Silence holds what silence does, when Name is CommandSilence.
	Silence SilenceArgs
}

// ListFilters select findings. Values of one key match if any of them
// matches; different keys must all match. Zero fields select everything.
type ListFilters struct {
	// Severities and MinSeverity come from severity=HIGH,CRITICAL and
	// severity>=HIGH; a command sets at most one of the two.
	Severities  []bot.Severity
	MinSeverity bot.Severity
	Categories  []string
	Projects    []string
	Products    []bot.Product
	// States are ACTIVE or INACTIVE.
	States []string
	// Since is relative (24h, 7d) and SinceTime absolute (a date or an
	// RFC 3339 time, in UTC); at most one is set. Use From to get a time.
	Since     time.Duration
	SinceTime time.Time
	// Verdict selects the findings whose latest verdict it is (list only).
	Verdict bot.Verdict
	// Limit is how many findings list shows: DefaultListLimit unless
	// given, at most MaxListLimit; zero for other commands.
	Limit int
}

// From returns the earliest time the filters select, or the zero time.
// The parser is pure, so a relative since is resolved here against now.
func (f ListFilters) From(now time.Time) time.Time {
	if f.Since > 0 {
		return now.Add(-f.Since)
	}
	return f.SinceTime
}

// SilenceOp says what a silence command does.
type SilenceOp int

// Silence operations.
const (
	SilenceCreate SilenceOp = iota + 1
	SilenceList
	SilenceRemove
)

// SilenceArgs are the arguments of silence.
type SilenceArgs struct {
	Op SilenceOp
	// ID names the silence to remove.
	ID string
	// Matchers of a new silence: at least one, at most one per field, all
	// of which must match (bot.Silence's semantics).
	Matchers []bot.Matcher
	// For is how long a new silence lasts, 5 minutes to 30 days.
	For time.Duration
}

// CommandError is a mistake in a command, explained to the person who
// typed it. Message says precisely what is wrong; Usage is the help of the
// subcommand concerned, or the whole help.
type CommandError struct {
	Message string
	Usage   string
}

// Error returns the message.
func (e *CommandError) Error() string { return e.Message }

// ParseCommand parses the text of a /finding command. It is pure, runs in
// time linear in the text, and treats every word as untrusted: subcommands
// and filter keys come from allow-lists, ids and values are checked, and
// anything else is an error. Errors are always *CommandError.
func ParseCommand(text string) (Command, error) {
	cmd, err := parseCommand(text)
	if err != nil {
		var ce *CommandError
		if !errors.As(err, &ce) {
			ce = &CommandError{Message: err.Error()}
		}
		if ce.Usage == "" {
			ce.Usage = SubcommandHelp(cmd.Name)
		}
		return Command{}, ce
	}
	return cmd, nil
}

func parseCommand(text string) (Command, error) {
	if len(text) > MaxCommandBytes {
		return Command{}, fail("the command is %d bytes long; the most /finding takes is %d", len(text), MaxCommandBytes)
	}
	if !utf8.ValidString(text) {
		return Command{}, fail("the command is not valid UTF-8 text")
	}
	toks, err := tokenize(text)
	if err != nil || len(toks) == 0 {
		return Command{Name: CommandHelp}, err
	}
	name, err := commandName(toks[0])
	if err != nil {
		return Command{}, err
	}
	args := toks[1:]
	if len(args) > 0 && name != CommandHelp && isHelpWord(args[0]) {
		return Command{Name: CommandHelp, Topic: name}, nil
	}
	cmd := Command{Name: name}
	return cmd, parseArgs(&cmd, args)
}

func fail(format string, args ...any) error {
	return &CommandError{Message: capRunes(fmt.Sprintf(format, args...), MaxReasonRunes)}
}

func isHelpWord(t token) bool {
	switch strings.ToLower(t.text) {
	case "help", "-h", "--help", "?":
		return !t.quoted && !t.link
	}
	return false
}

// commandName maps the first word to an allow-listed subcommand.
func commandName(t token) (string, error) {
	if t.link {
		return "", fail("unknown command: that looks like a link; to see a finding, use show <finding id>")
	}
	w := strings.ToLower(t.text)
	if isHelpWord(t) {
		return CommandHelp, nil
	}
	names := commandNames()
	for _, n := range names {
		if w == n {
			return n, nil
		}
	}
	if validFindingName(t.text) || strings.Contains(t.text, "/findings/") {
		return "", fail("unknown command `%s` — to see a finding, use show <finding id>", shown(t.text))
	}
	if s, ok := suggest(w, names); ok {
		return "", fail("unknown command `%s` — did you mean `%s`?", shown(t.text), s)
	}
	return "", fail("unknown command `%s` — the commands are %s", shown(t.text), strings.Join(names, ", "))
}

func parseArgs(c *Command, args []token) error {
	switch c.Name {
	case CommandHelp:
		return parseHelp(c, args)
	case CommandShow, CommandRelated, CommandLogs, CommandUnmute, CommandAck:
		return parseFindingOnly(c, args)
	case CommandList:
		err := parseFilters(c, args, listKeys())
		if c.Filters.Limit == 0 {
			c.Filters.Limit = DefaultListLimit
		}
		return err
	case CommandStats:
		return parseFilters(c, args, []string{"since"})
	case CommandMitre:
		return parseMitre(c, args)
	case CommandMute:
		return parseMute(c, args)
	case CommandMuteRule:
		return parseMuteRule(c, args)
	case CommandResolve:
		return parseResolve(c, args)
	case CommandDigest:
		if len(args) == 0 || len(args) == 1 && strings.EqualFold(args[0].text, "now") && !args[0].link {
			return nil
		}
		return fail("`digest` takes no arguments: it sends you the digest now")
	case CommandSilence:
		return parseSilence(c, args)
	}
	return fail("unknown command `%s`", shown(c.Name))
}

func parseHelp(c *Command, args []token) error {
	switch len(args) {
	case 0:
		return nil
	case 1:
		name, err := commandName(args[0])
		c.Topic = name
		if name == CommandHelp {
			c.Topic = ""
		}
		return err
	}
	return fail("`help` takes one command name, as in help list")
}

func parseFindingOnly(c *Command, args []token) error {
	if len(args) == 0 {
		return fail("`%s` needs a finding id", c.Name)
	}
	ref, err := findingRef(args[0])
	if err != nil {
		return err
	}
	if len(args) > 1 {
		return fail("`%s` takes only a finding id; `%s` is one word too many", c.Name, shown(args[1].text))
	}
	c.Finding = ref
	return nil
}

func parseMute(c *Command, args []token) error {
	err := parseFindingReason(c, args, "`mute` needs a finding id and a reason")
	if err == nil && c.Reason == "" {
		err = fail("`mute` needs a reason after the finding id: muting hides the finding from everyone, so say why")
	}
	return err
}

// parseMuteRule reads mute-rule <id> [reason]: without a reason the rule
// is only proposed; with one it is requested.
func parseMuteRule(c *Command, args []token) error {
	return parseFindingReason(c, args, "`mute-rule` needs a finding id: the rule is proposed from that finding's fields")
}

// parseFindingReason reads <id> [reason]; noID is the error without an id.
func parseFindingReason(c *Command, args []token, noID string) error {
	if len(args) == 0 {
		return fail("%s", noID)
	}
	ref, err := findingRef(args[0])
	if err != nil {
		return err
	}
	c.Finding = ref
	c.Reason, err = reasonOf(args[1:])
	return err
}

// parseResolve reads resolve <id> verdict=<v> [note]: the verdict is
// required, as in the card's dialog.
func parseResolve(c *Command, args []token) error {
	const usage = "`resolve` needs a finding id and a verdict, as in resolve <id> verdict=false_positive"
	if len(args) == 0 {
		return fail(usage)
	}
	ref, err := findingRef(args[0])
	if err != nil {
		return err
	}
	c.Finding = ref
	if len(args) < 2 {
		return fail("%s; the verdicts are %s", usage, verdictList())
	}
	fw, ok := splitFilter(args[1])
	if key, _ := canonicalKey(fw.key); !ok || key != "verdict" || fw.op != "=" && fw.op != ":" || fw.link {
		if v, err := bot.ParseVerdict(args[1].text); err == nil && !args[1].link {
			return fail("`%s` is not a verdict= — did you mean `verdict=%s`?", shown(args[1].text), v)
		}
		return fail("%s; `%s` is not a verdict=", usage, shown(args[1].text))
	}
	if c.Verdict, err = verdictOf(fw.values); err != nil {
		return err
	}
	c.Reason, err = reasonOf(args[2:])
	return err
}

// verdictOf reads the one value of verdict=.
func verdictOf(values []string) (bot.Verdict, error) {
	if len(values) != 1 {
		return "", fail("`verdict` takes one value, one of %s", verdictList())
	}
	v, err := bot.ParseVerdict(values[0])
	if err != nil {
		return "", fail("verdict `%s` is not one of %s", shown(values[0]), verdictList())
	}
	return v, nil
}

func verdictList() string {
	var vs []string
	for _, v := range bot.Verdicts() {
		vs = append(vs, string(v))
	}
	return strings.Join(vs, ", ")
}

func parseMitre(c *Command, args []token) error {
	const usage = "`mitre` takes a technique id like T1027.004 or an SCC enum like COMPILE_AFTER_DELIVERY"
	switch {
	case len(args) == 0:
		return fail(usage)
	case len(args) > 1:
		return fail("%s; `%s` is one word too many", usage, shown(args[1].text))
	case args[0].link:
		return fail("that looks like a link; give a technique id like T1027.004 or an SCC enum like COMPILE_AFTER_DELIVERY")
	}
	t, ok := normalTechnique(args[0].text)
	if !ok {
		return fail("`%s` is not a technique: %s", shown(args[0].text), usage)
	}
	c.Technique = t
	return nil
}

// findingRef checks a finding's full name or short id.
func findingRef(t token) (string, error) {
	switch {
	case t.link:
		return "", fail("that looks like a link; give the finding id")
	case strings.Contains(t.text, "/"):
		if !validFindingName(t.text) {
			return "", fail("`%s` is not a finding name: a full name looks like organizations/ORG/sources/SOURCE/findings/ID (or give just the ID)", shown(t.text))
		}
	case t.text == "":
		return "", fail("the finding id is empty")
	case !validShortID(t.text):
		return "", fail("`%s` is not a finding id: ids are up to 64 letters, digits, - and _", shown(t.text))
	}
	return t.text, nil
}
