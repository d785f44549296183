package playbooks

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// commandSet is the shell commands of one checklist step and the notes on
// what was left out and why.
type commandSet struct {
	lines []string
	notes []string
}

// arg is one word of a command. Flag words are written --flag=value so
// that a value can never be read as another option; positional values
// that start with "-" are refused for the same reason.
type arg struct {
	text       string // the word before quoting
	name       string // the value's name, for notes; "" for fixed words
	positional bool
}

func word(s string) arg               { return arg{text: s} }
func value(name, v string) arg        { return arg{text: v, name: name, positional: true} }
func option(f, name, v string) arg    { return arg{text: "--" + f + "=" + v, name: name} }
func composite(name, text string) arg { return arg{text: text, name: name, positional: true} }

// command quotes each word with bot.ShellQuote and joins them, or returns
// a note when a value cannot be pasted safely: control or invisible
// characters and invalid UTF-8 would need bash's $'...' quoting, which
// POSIX sh reads differently, and invisible characters make the pasted
// line differ from the one shown.
func command(args ...arg) (string, string) {
	words := make([]string, len(args))
	for i, a := range args {
		if a.name != "" && !pasteSafe(a.text) {
			return "", "the " + a.name + " holds control characters, invisible characters or invalid UTF-8"
		}
		if a.positional && strings.HasPrefix(a.text, "-") {
			return "", "the " + a.name + " starts with \"-\", which the command would read as an option"
		}
		words[i] = bot.ShellQuote(a.text)
	}
	return strings.Join(words, " "), ""
}

func pasteSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	})
}

func (c *commandSet) add(what string, args ...arg) {
	line, note := command(args...)
	if note != "" {
		c.notes = append(c.notes, what+" not shown: "+note+".")
		return
	}
	if strings.Contains(line, " ./evidence/") {
		c.lines = append(c.lines, "mkdir -p ./evidence")
	}
	c.lines = append(c.lines, line)
}

// zonal matches a zone such as us-central1-a; anything else is a region.
var zonal = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+-[a-z]$`)

// gkeCommands are Google's steps for a running GKE container: credentials
// for the cluster, a copy of the binary as evidence, and a shell in the
// container.
func gkeCommands(v values) commandSet {
	var c commandSet
	if gaps := absent(v, []string{"project", "location", "cluster"}); len(gaps) > 0 {
		c.notes = append(c.notes, "gcloud container clusters get-credentials not shown: the finding has no "+strings.Join(gaps, " or ")+".")
	} else {
		where := "region"
		if zonal.MatchString(v["location"]) {
			where = "zone"
		}
		c.add("get-credentials", word("gcloud"), word("container"), word("clusters"), word("get-credentials"),
			value("cluster name", v["cluster"]), option(where, "location", v["location"]), option("project", "project ID", v["project"]))
	}
	if gaps := absent(v, []string{"namespace", "pod"}); len(gaps) > 0 {
		c.notes = append(c.notes, "kubectl commands not shown: the finding has no "+strings.Join(gaps, " or ")+".")
		return c
	}
	c.kubectl(v)
	return c
}

func (c *commandSet) kubectl(v values) {
	var container []arg
	if v["container"] != "" {
		container = []arg{option("container", "container name", v["container"])}
	}
	ns := option("namespace", "namespace", v["namespace"])
	if v["binary"] != "" {
		cp := []arg{word("kubectl"), word("cp"), ns,
			composite("pod name or binary path", v["pod"]+":"+v["binary"]), word("./evidence/" + evidenceName(v["binary"]))}
		c.add("kubectl cp", append(cp, container...)...)
	} else {
		c.notes = append(c.notes, "kubectl cp not shown: the finding names no binary.")
	}
	exec := append([]arg{word("kubectl"), word("exec"), ns, word("-ti"), value("pod name", v["pod"])}, container...)
	c.add("kubectl exec", append(exec, word("--"), word("/bin/sh"))...)
}

// evidenceName is a local file name for a copied binary: its base name,
// reduced to characters that mean nothing to a shell or a path.
func evidenceName(binary string) string {
	base := binary[strings.LastIndexByte(binary, '/')+1:]
	name := strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (isAlnum(byte(r)) || r == '.' || r == '_' || r == '-') {
			return r
		}
		return '_'
	}, base)
	if name = strings.TrimLeft(name, "-."); name == "" {
		return "binary"
	}
	return name
}

// cloudRunCommands describe the service or job and back up its logs:
// Cloud Run has no kubectl cp, so the logs and the revision's image digest
// are the evidence.
func cloudRunCommands(v values, backup *bot.LogQuery) commandSet {
	var c commandSet
	if gaps := absent(v, []string{"project", "location"}); len(gaps) > 0 {
		c.notes = append(c.notes, "gcloud commands not shown: the finding has no "+strings.Join(gaps, " or ")+".")
		return c
	}
	region, project := option("region", "location", v["location"]), option("project", "project ID", v["project"])
	run := func(what string, args ...arg) {
		c.add(what, append(append([]arg{word("gcloud"), word("run")}, args...), region, project)...)
	}
	switch {
	case v["service"] != "":
		run("services describe", word("services"), word("describe"), value("service", v["service"]))
		run("revisions list", word("revisions"), word("list"), option("service", "service", v["service"]))
		if v["revision"] != "" {
			run("revisions describe", word("revisions"), word("describe"), value("revision", v["revision"]))
		}
	case v["job"] != "":
		run("jobs describe", word("jobs"), word("describe"), value("job", v["job"]))
		if v["execution"] != "" {
			run("executions describe", word("jobs"), word("executions"), word("describe"), value("execution", v["execution"]))
		}
	}
	if backup != nil {
		c.logBackup(*backup)
	}
	return c
}

// logBackup reads a query's entries to a file. gcloud takes the window in
// the filter, so the timestamps are added here, and the restrictions are
// joined with AND to keep the filter on one line.
func (c *commandSet) logBackup(q bot.LogQuery) {
	filter := strings.ReplaceAll(q.Filter, "\n", " AND ")
	if !q.Start.IsZero() && !q.End.IsZero() {
		filter += ` AND timestamp>="` + q.Start.UTC().Format(time.RFC3339) + `" AND timestamp<="` + q.End.UTC().Format(time.RFC3339) + `"`
	}
	line, note := command(word("gcloud"), word("logging"), word("read"), arg{text: filter, name: "log filter"},
		option("project", "project ID", q.Project), word("--format=json"), word("--limit=1000"))
	if note != "" {
		c.notes = append(c.notes, "gcloud logging read not shown: "+note+".")
		return
	}
	c.lines = append(c.lines, "mkdir -p ./evidence", line+" > ./evidence/logs.json")
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// kubernetesNameNotes warn about names Kubernetes itself would refuse:
// such a finding was forged or mangled, and the commands may then act on
// another object than the one shown.
func kubernetesNameNotes(v values) []string {
	var notes []string
	check := func(key string, ok bool) {
		if v[key] != "" && !ok {
			notes = append(notes, "The "+valueName(key)+" is not a valid Kubernetes name: check it in the console before running the commands.")
		}
	}
	check("namespace", dnsLabel.MatchString(v["namespace"]))
	check("pod", len(v["pod"]) <= 253 && dnsSubdomain.MatchString(v["pod"]))
	check("container", dnsLabel.MatchString(v["container"]))
	return notes
}
