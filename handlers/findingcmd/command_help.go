package findingcmd

import (
	"strings"
	"unicode/utf8"

	"github.com/sccbot/sccbot/internal/editdist"
)

// commandDoc is the help of one subcommand. The list of docs is also the
// allow-list of subcommands, so help and parser cannot disagree on it; a
// test parses every example.
type commandDoc struct {
	name    string
	usage   string
	summary string
	details string
	example string
}

func commandDocs() []commandDoc {
	const id = "6d1f0e4c9b2a47f3a8e5c7b0d2f4a6c8"
	return []commandDoc{
		{name: CommandShow, usage: "show <id>",
			summary: "Shows the finding's card to you alone, with a button to share it in the channel.",
			example: "show " + id},
		{name: CommandList, usage: "list [filters]",
			summary: "Lists findings, most recent first.",
			details: "Filters: severity=HIGH,CRITICAL or severity>=HIGH · category=\"…\" · project=my-project · " +
				"product=gke or cloud_run · state=ACTIVE or INACTIVE · verdict=false_positive (one of true_positive, " +
				"false_positive, benign, duplicate, test: the latest verdict given on resolve) · since=24h, 7d, 2026-11-20 or an RFC 3339 time · " +
				"limit=1 to 100 (default 20). A comma list or a repeated filter matches any of its values; " +
				"different filters must all match. key:value works too.",
			example: "list severity>=HIGH since=24h category=\"Execution: Added Binary Executed\""},
		{name: CommandRelated, usage: "related <id>",
			summary: "Lists findings on the same cluster, pod, service or image around the same time.",
			example: "related " + id},
		{name: CommandLogs, usage: "logs <id>",
			summary: "Runs the finding's log queries (pod, audit and node logs) around the finding's time.",
			example: "logs " + id},
		{name: CommandMitre, usage: "mitre <technique>",
			summary: "Describes an ATT&CK technique, by its id (T1027.004) or by the enum SCC uses (COMPILE_AFTER_DELIVERY).",
			example: "mitre T1027.004"},
		{name: CommandMute, usage: "mute <id> <reason>",
			summary: "Mutes the finding in SCC. The reason is required: muting hides the finding from everyone.",
			example: "mute " + id + " expected: CI builds compile in this container"},
		{name: CommandMuteRule, usage: "mute-rule <id> [reason]",
			summary: "Proposes an SCC mute rule that mutes findings like this one (same category and project, same cluster, " +
				"service or job), and shows it. With a reason it requests the rule, under the mute policy.",
			details: "The rule is dynamic: it mutes matching findings, present and future, until someone deletes it in SCC.",
			example: "mute-rule " + id + " CI builds compile in this cluster every night"},
		{name: CommandResolve, usage: "resolve <id> verdict=<verdict> [note]",
			summary: "Resolves the finding (INACTIVE in SCC) with a verdict: true_positive, false_positive, benign, " +
				"duplicate or test; the note is optional. As the card's Resolve button.",
			example: "resolve " + id + " verdict=false_positive the CI image compiles its plugins"},
		{name: CommandUnmute, usage: "unmute <id>",
			summary: "Unmutes the finding.",
			example: "unmute " + id},
		{name: CommandAck, usage: "ack <id>",
			summary: "Takes the finding: its card shows that you acknowledged it, and when.",
			example: "ack " + id},
		{name: CommandDigest, usage: "digest",
			summary: "Sends you the digest now, for your eyes only.",
			example: "digest"},
		{name: CommandStats, usage: "stats [since=…]",
			summary: "Counts findings by severity and what sccbot did with them, open unacknowledged findings and active silences; since= sets the period (default 24h).",
			example: "stats since=7d"},
		{name: CommandSilence, usage: "silence <matchers> for=<duration> <reason> · silence list · silence remove <silence id>",
			summary: "Stops posting findings that match, for 5m to 30d; a reason is required. list shows the silences, remove ends one.",
			details: "Matchers: category=\"…\" · project= · severity>=HIGH (that severity and above) · product=gke or cloud_run · " +
				"cluster= · service= · job= · namespace= · pod= · image=. At least one; each field once; all must match. " +
				"project, namespace and pod take * and ? wildcards. Put the reason in quotes if it holds = or :.",
			example: "silence category=\"Execution: Added Binary Executed\" namespace=ci for=4h nightly build tests"},
		{name: CommandHelp, usage: "help [command]",
			summary: "Shows this help, or the help of one command.",
			example: "help list"},
	}
}

// commandNames is the allow-list of subcommands.
func commandNames() []string {
	docs := commandDocs()
	names := make([]string, len(docs))
	for i, d := range docs {
		names[i] = d.name
	}
	return names
}

// HelpText is the help of /finding, for responders: every subcommand with
// one example. It is plain text; the caller renders it.
func HelpText() string {
	var b strings.Builder
	b.WriteString("/finding looks at and acts on Security Command Center findings.\n")
	b.WriteString("Name a finding by its id (the last part of its name, shown on its card) " +
		"or by its full name, organizations/…/sources/…/findings/….\n\n")
	for _, d := range commandDocs() {
		b.WriteString(d.usage + "\n    " + d.summary + "\n    /finding " + d.example + "\n")
	}
	b.WriteString("\nPut values with spaces in quotes: category=\"Defense Evasion: Launch Code Compiler Tool In Container\".\n")
	b.WriteString("/finding help <command> says more about one command.")
	return b.String()
}

// SubcommandHelp is the help of one subcommand, or HelpText for a name
// that is not one.
func SubcommandHelp(name string) string {
	for _, d := range commandDocs() {
		if d.name == name && name != CommandHelp {
			text := "/finding " + d.usage + "\n" + d.summary + "\n"
			if d.details != "" {
				text += d.details + "\n"
			}
			return text + "Example: /finding " + d.example
		}
	}
	return HelpText()
}

// keyExample shows a filter key with a plausible value, for errors.
func keyExample(key string) string {
	switch key {
	case "severity":
		return "severity=HIGH"
	case "category":
		return "category=\"Execution: Added Binary Executed\""
	case "project":
		return "project=my-project"
	case "product":
		return "product=gke"
	case "state":
		return "state=ACTIVE"
	case "since":
		return "since=24h"
	case "limit":
		return "limit=50"
	case "for":
		return "for=4h"
	case "image":
		return "image=us-docker.pkg.dev/p/repo/app:1.2"
	}
	return key + "=name"
}

// suggest returns the candidate nearest to word: within two edits (and
// fewer than half the candidate's length), or the only candidate word
// begins. Long words get no suggestion, which keeps the work bounded.
func suggest(word string, candidates []string) (string, bool) {
	n := utf8.RuneCountInString(word)
	if n == 0 || n > 32 {
		return "", false
	}
	best, bestD := "", 3
	prefixed, prefixes := "", 0
	for _, c := range candidates {
		if d := editdist.Distance(word, c); d < bestD && 2*d < len(c) {
			best, bestD = c, d
		}
		if n >= 3 && strings.HasPrefix(c, word) {
			prefixed, prefixes = c, prefixes+1
		}
	}
	if best != "" {
		return best, true
	}
	return prefixed, prefixes == 1
}
