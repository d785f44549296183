package findingcmd

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// filterKeys are every filter and matcher key.
func filterKeys() []string {
	return []string{"severity", "category", "project", "product", "state", "since", "limit", "verdict",
		"cluster", "service", "job", "namespace", "pod", "image", "for"}
}

func listKeys() []string {
	return []string{"severity", "category", "project", "product", "state", "verdict", "since", "limit"}
}

// canonicalKey folds case, plurals and short forms people type.
func canonicalKey(k string) (string, bool) {
	k = strings.ToLower(k)
	switch k {
	case "sev", "severities":
		return "severity", true
	case "cat", "categories":
		return "category", true
	case "ns", "namespaces":
		return "namespace", true
	case "projects", "products", "states", "verdicts", "clusters", "services", "jobs", "pods", "images":
		return strings.TrimSuffix(k, "s"), true
	}
	return k, slices.Contains(filterKeys(), k)
}

// filterWord is one key=value (or key:value, key>=value) word.
type filterWord struct {
	key, op, text string
	values        []string
	link          bool
}

// splitFilter reads a word as a filter. The key and operator must be
// outside quotes; the value is cut at commas outside quotes. A word is a
// filter when its key is known, or when it has a value and is not Slack
// markup (a link in a reason reads https://…, which is not a filter).
func splitFilter(t token) (filterWord, bool) {
	i := 0
	for i < t.plain && (t.text[i] >= 'a' && t.text[i] <= 'z' || t.text[i] >= 'A' && t.text[i] <= 'Z' || t.text[i] == '_') {
		i++
	}
	if i == 0 || i >= t.plain || !strings.ContainsRune("=:<>", rune(t.text[i])) {
		return filterWord{}, false
	}
	j := i + 1
	if (t.text[i] == '<' || t.text[i] == '>') && j < t.plain && t.text[j] == '=' {
		j++
	}
	fw := filterWord{key: t.text[:i], op: t.text[i:j], text: t.text, link: t.link}
	start := j
	for _, c := range t.commas {
		if c >= j {
			fw.values = appendValue(fw.values, t.text[start:c])
			start = c + 1
		}
	}
	fw.values = appendValue(fw.values, t.text[start:])
	_, known := canonicalKey(fw.key)
	return fw, known || len(fw.values) > 0 && !t.link
}

func appendValue(vs []string, v string) []string {
	if v == "" {
		return vs
	}
	return append(vs, v)
}

// filterState applies filter words to a command, once-only keys once.
type filterState struct {
	cmd     *Command
	allowed []string
	values  int
}

func parseFilters(c *Command, args []token, allowed []string) error {
	st := filterState{cmd: c, allowed: allowed}
	for _, t := range args {
		fw, ok := splitFilter(t)
		if !ok {
			return bareWordError(c.Name, t, allowed)
		}
		if err := st.apply(fw); err != nil {
			return err
		}
	}
	return nil
}

// bareWordError explains a word that is not a filter, guessing the filter
// meant when the word is a value ("list high").
func bareWordError(cmd string, t token, allowed []string) error {
	if t.link {
		return fail("that looks like a link; `%s` takes filters like %s", cmd, keyExample(allowed[0]))
	}
	guess := ""
	if s, ok := bot.ParseSeverity(t.text); ok && s != bot.SeverityUnspecified {
		guess = "severity=" + s.String()
	} else if p, ok := bot.ParseProduct(t.text); ok {
		guess = "product=" + string(p)
	} else if s := strings.ToUpper(t.text); s == "ACTIVE" || s == "INACTIVE" {
		guess = "state=" + s
	} else if v, err := bot.ParseVerdict(t.text); err == nil {
		guess = "verdict=" + string(v)
	}
	if guess != "" && slices.Contains(allowed, strings.SplitN(guess, "=", 2)[0]) {
		return fail("`%s` is not a filter — did you mean `%s`?", shown(t.text), guess)
	}
	return fail("`%s` takes filters like %s; `%s` is not one", cmd, keyExample(allowed[0]), shown(t.text))
}

// resolveKey checks a key against every key, then against the command's.
func (st *filterState) resolveKey(fw filterWord) (string, error) {
	key, known := canonicalKey(fw.key)
	if !known {
		if s, ok := suggest(strings.ToLower(fw.key), st.allowed); ok {
			return "", fail("unknown filter `%s` — did you mean `%s`?", shown(fw.key), s)
		}
		msg := fmt.Sprintf("unknown filter `%s` — `%s` takes %s", shown(fw.key), st.cmd.Name, strings.Join(st.allowed, ", "))
		if st.cmd.Name == CommandSilence {
			msg += "; put a reason that holds = or : in quotes"
		}
		return "", fail("%s", msg)
	}
	if !slices.Contains(st.allowed, key) {
		return "", fail("`%s` does not take `%s`; it takes %s", st.cmd.Name, key, strings.Join(st.allowed, ", "))
	}
	if fw.link {
		return "", fail("that looks like a link; give `%s` a plain value, like %s", key, keyExample(key))
	}
	if len(fw.values) == 0 {
		return "", fail("`%s` needs a value, like %s", key, keyExample(key))
	}
	return key, nil
}

func (st *filterState) apply(fw filterWord) error {
	key, err := st.resolveKey(fw)
	if err != nil {
		return err
	}
	if fw.op != "=" && fw.op != ":" && (key != "severity" || fw.op != ">=") {
		return fail("`%s` is not a filter: write %s (only severity takes >=, as in severity>=HIGH)", shown(fw.text), keyExample(key))
	}
	if st.values += len(fw.values); st.values > MaxCommandArgs {
		return fail("the command has more than %d filter values", MaxCommandArgs)
	}
	return st.set(key, fw)
}

func (st *filterState) set(key string, fw filterWord) error {
	f := &st.cmd.Filters
	var err error
	switch key {
	case "severity":
		err = setSeverity(f, fw)
	case "category":
		f.Categories, err = addValues(f.Categories, key, fw.values, validCategory)
	case "project":
		f.Projects, err = addValues(f.Projects, key, fw.values, validProject)
	case "product":
		err = setProducts(f, fw.values)
	case "state":
		err = setStates(f, fw.values)
	case "verdict":
		if f.Verdict != "" {
			return fail("`verdict` is given twice")
		}
		f.Verdict, err = verdictOf(fw.values)
	default:
		err = st.setOnce(key, fw.values)
	}
	return err
}

// setOnce sets the keys that take one value: since and limit.
func (st *filterState) setOnce(key string, values []string) error {
	f := &st.cmd.Filters
	given := f.Limit != 0
	if key == "since" {
		given = f.Since != 0 || !f.SinceTime.IsZero()
	}
	if given {
		return fail("`%s` is given twice", key)
	}
	if len(values) > 1 {
		return fail("`%s` takes one value, not a list", key)
	}
	if key == "since" {
		return setSince(f, values[0])
	}
	n, err := strconv.Atoi(values[0])
	if err != nil || len(values[0]) > 3 || n < 1 || n > MaxListLimit {
		return fail("limit must be a number from 1 to %d", MaxListLimit)
	}
	f.Limit = n
	return nil
}

func setSeverity(f *ListFilters, fw filterWord) error {
	var sevs []bot.Severity
	for _, v := range fw.values {
		s, ok := bot.ParseSeverity(v)
		if !ok || s == bot.SeverityUnspecified {
			return fail("severity `%s` is not one of CRITICAL, HIGH, MEDIUM, LOW", shown(v))
		}
		sevs = append(sevs, s)
	}
	if fw.op == ">=" {
		if len(sevs) > 1 || f.MinSeverity != bot.SeverityUnspecified {
			return fail("severity>= takes one severity, once, as in severity>=HIGH")
		}
		f.MinSeverity = sevs[0]
	} else {
		for _, s := range sevs {
			if !slices.Contains(f.Severities, s) {
				f.Severities = append(f.Severities, s)
			}
		}
	}
	if len(f.Severities) > 0 && f.MinSeverity != bot.SeverityUnspecified {
		return fail("give severity=… or severity>=…, not both")
	}
	return nil
}

func setProducts(f *ListFilters, values []string) error {
	for _, v := range values {
		p, ok := bot.ParseProduct(v)
		if !ok {
			return fail("product `%s` is not one of gke, cloud_run, other", shown(v))
		}
		if !slices.Contains(f.Products, p) {
			f.Products = append(f.Products, p)
		}
	}
	return nil
}

func setStates(f *ListFilters, values []string) error {
	for _, v := range values {
		s := strings.ToUpper(v)
		if s != "ACTIVE" && s != "INACTIVE" {
			return fail("state `%s` is not one of ACTIVE, INACTIVE", shown(v))
		}
		if !slices.Contains(f.States, s) {
			f.States = append(f.States, s)
		}
	}
	return nil
}

func addValues(list []string, key string, values []string, valid func(string) bool) ([]string, error) {
	for _, v := range values {
		if !valid(v) {
			return list, fail("%s `%s` is not valid: %s", key, shown(v), valueRule(key))
		}
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list, nil
}

func valueRule(key string) string {
	switch key {
	case "category":
		return "a category is up to 200 characters of text, like \"Execution: Added Binary Executed\""
	case "image":
		return "give an image URI, like us-docker.pkg.dev/p/repo/app:1.2"
	case "project":
		return "give a project id or number, like my-project (a silence may use * and ? as wildcards)"
	case "namespace", "pod":
		return "names are lowercase letters, digits and -, with * and ? as wildcards"
	}
	return "names are lowercase letters, digits and -, at most 63"
}

func validCategory(s string) bool {
	if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > 200 {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || isBidi(r) })
}

// validProject accepts project ids and numbers, and the domain-scoped
// form example.com:my-project.
func validProject(s string) bool {
	return validChars(s, 100, func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':'
	})
}

func validK8sName(s string) bool {
	return validChars(s, 63, func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' })
}

func validImage(s string) bool {
	return validChars(s, 255, func(c byte) bool { return isAlnum(c) || strings.IndexByte("./:@_-", c) >= 0 })
}

func validChars(s string, max int, ok func(byte) bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// setSince accepts 24h and 7d (back from now), 2026-11-20 (midnight UTC)
// and RFC 3339 times.
func setSince(f *ListFilters, v string) error {
	if d, ok := parseSpan(v); ok {
		f.Since = d
		return nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		f.SinceTime = t
		return nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		f.SinceTime = t.UTC()
		return nil
	}
	return fail("since `%s` is not a duration like 24h or 7d, a date like 2026-11-20 or a time like 2026-11-20T10:00:00Z", shown(v))
}

// parseSpan parses a positive duration: Go's units (90m, 24h) or whole
// days and weeks (7d, 2w), which Go lacks.
func parseSpan(v string) (time.Duration, bool) {
	if n := len(v); n >= 2 && n <= 5 && (v[n-1] == 'd' || v[n-1] == 'w') {
		k, err := strconv.Atoi(v[:n-1])
		if err != nil || k <= 0 || v[0] == '+' {
			return 0, false
		}
		unit := 24 * time.Hour
		if v[n-1] == 'w' {
			unit *= 7
		}
		return time.Duration(k) * unit, true
	}
	if len(v) > 32 {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	return d, err == nil && d > 0
}

// validShortID reports whether s is 1 to 64 of [A-Za-z0-9_-].
func validShortID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// validFindingName reports whether s is
// {organizations|folders|projects}/ID/sources/ID[/locations/LOC]/findings/ID.
func validFindingName(s string) bool {
	p := strings.SplitN(s, "/", 9)
	if len(p) != 6 && len(p) != 8 {
		return false
	}
	if len(p) == 8 && p[4] != "locations" {
		return false
	}
	switch p[0] {
	case "organizations", "folders", "projects":
	default:
		return false
	}
	if p[2] != "sources" || p[len(p)-2] != "findings" {
		return false
	}
	for i := 1; i < len(p); i += 2 {
		if !validShortID(p[i]) {
			return false
		}
	}
	return true
}

// normalTechnique accepts T1027, T1027.004 (or T1027/004, as in ATT&CK's
// URLs) and SCC enums, in any case, with - for _.
func normalTechnique(s string) (string, bool) {
	u := strings.ToUpper(s)
	if len(u) < 2 || len(u) > 64 {
		return "", false
	}
	if u[0] == 'T' && u[1] >= '0' && u[1] <= '9' {
		u = strings.Replace(u, "/", ".", 1)
		return u, IsTechniqueID(u)
	}
	u = strings.ReplaceAll(u, "-", "_")
	if u[0] < 'A' || u[0] > 'Z' || u[len(u)-1] == '_' {
		return "", false
	}
	for i := 0; i < len(u); i++ {
		if c := u[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", false
		}
	}
	return u, true
}

// IsTechniqueID reports whether s has the shape of an ATT&CK technique id
// (T1027, T1027.004): four digits after the first character, and three
// more after a dot for a sub-technique. The first character is the
// caller's to check; the parser has already upper-cased it.
func IsTechniqueID(s string) bool {
	digits := func(d string) bool {
		for i := 0; i < len(d); i++ {
			if d[i] < '0' || d[i] > '9' {
				return false
			}
		}
		return true
	}
	switch len(s) {
	case 5:
		return digits(s[1:])
	case 9:
		return s[5] == '.' && digits(s[1:5]) && digits(s[6:])
	}
	return false
}
