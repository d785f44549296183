package owners

import (
	"fmt"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

// E-mail address limits of RFC 5321: 64 octets of local part, 254 in all
// (the 256-octet path less its angle brackets).
const (
	maxLocalPart = 64
	maxEmail     = 254
	maxLabel     = 63
)

// ValidEmail reports whether s has the plain shape of an e-mail address:
// local@domain, where the local part is letters, digits and . _ % + - '
// (no leading, trailing or doubled dot) and the domain is two or more DNS
// labels. It is deliberately narrower than RFC 5322: quoted local parts,
// comments, display names, IP literals and non-ASCII are refused, because
// an address is shown in chat and looked up in Slack, and no real on-call
// address needs them.
func ValidEmail(s string) bool {
	if len(s) > maxEmail {
		return false
	}
	local, domain, ok := strings.Cut(s, "@")
	return ok && validLocalPart(local) && validDomain(domain)
}

func validLocalPart(s string) bool {
	if s == "" || len(s) > maxLocalPart || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !alnum(s[i]) && !strings.ContainsRune("._%+-'", rune(s[i])) {
			return false
		}
	}
	return true
}

func validDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !alnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	// An all-digit last label would make 10.0.0.1 a domain.
	return strings.ContainsFunc(labels[len(labels)-1], func(r rune) bool {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	})
}

func alnum(c byte) bool { return digit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func digit(c byte) bool { return '0' <= c && c <= '9' }

// collector keeps the valid, distinct addresses of one source, in order,
// up to a cap, and counts what it dropped so that the notes can say so.
type collector struct {
	source  string
	max     int
	seen    map[string]bool
	owners  []bot.Owner
	invalid int
	over    int
}

func newCollector(source string, limit int) *collector {
	return &collector{source: source, max: limit, seen: map[string]bool{}}
}

// add keeps email if it is valid and new, and reports whether it was
// valid. Addresses are compared without case: mail systems treat them so,
// and one person must not be paged twice.
func (c *collector) add(email string) bool {
	if !ValidEmail(email) {
		c.invalid++
		return false
	}
	key := strings.ToLower(email)
	if c.seen[key] {
		return true
	}
	c.seen[key] = true
	if len(c.owners) >= c.max {
		c.over++
		return true
	}
	c.owners = append(c.owners, bot.Owner{Email: email, Source: c.source})
	return true
}

// notes say what was dropped. The dropped text itself is not quoted: it
// may be anything, and it goes to the log instead.
func (c *collector) notes() []string {
	var out []string
	if c.invalid > 0 {
		out = append(out, fmt.Sprintf("Skipped %s from %s that %s not look like an e-mail address.",
			plural(c.invalid, "entry", "entries"), c.source, doVerb(c.invalid)))
	}
	if c.over > 0 {
		out = append(out, fmt.Sprintf("Listed the first %d owners from %s; %s not shown.",
			c.max, c.source, plural(c.over, "more is", "more are")))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func doVerb(n int) string {
	if n == 1 {
		return "does"
	}
	return "do"
}
