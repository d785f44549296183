package gke

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sccbot/sccbot/bot"
)

// Names sccbot gives what it creates in a cluster.
const (
	// QuarantineLabel marks a pod sccbot isolated; its value is the
	// finding's short id. The deny-all NetworkPolicy selects it.
	QuarantineLabel = "sccbot.io/quarantine"
	// FindingAnnotation on a NetworkPolicy names the finding it answers.
	FindingAnnotation = "sccbot.io/finding"
	// PolicyPrefix starts the name of every NetworkPolicy sccbot creates.
	PolicyPrefix = "sccbot-quarantine-"
	// maxPolicyName keeps policy names as short as a label, so that they
	// read well in kubectl output; the API would take 253 characters.
	maxPolicyName = 63
	// maxShown bounds a rejected name quoted back to the user.
	maxShown = 80
)

// PolicyName is the NetworkPolicy that isolates pod: PolicyPrefix and the
// pod name, cut to 63 characters and ended with a hash of the pod name
// when longer, so that two long names do not collide.
func PolicyName(pod string) string {
	name := PolicyPrefix + pod
	if len(name) <= maxPolicyName {
		return name
	}
	sum := sha256.Sum256([]byte(pod))
	h := hex.EncodeToString(sum[:])[:10]
	return strings.TrimRight(name[:maxPolicyName-len(h)-1], "-.") + "-" + h
}

// quarantineValue is the label value for a finding: its short id when
// that is a valid label value (SCC's are 32 hex digits), else a hash of
// its full name.
func quarantineValue(f bot.Finding) string {
	id := f.ShortID()
	if id != "." && id != "/" && id != "" && len(validation.IsValidLabelValue(id)) == 0 {
		return id
	}
	sum := sha256.Sum256([]byte(f.Name))
	return "f" + hex.EncodeToString(sum[:])[:20]
}

// coordinate is one value of a Target an action needs.
type coordinate struct {
	what  string // "namespace", for messages
	value string
	check func(string) []string
}

// needs lists the coordinates an action needs, in the order a person
// would name them.
func needs(t bot.Target, action string) []coordinate {
	cs := []coordinate{
		{"project", t.Project, validProject},
		{"location", t.Location, validation.IsDNS1123Label},
		{"cluster", t.Cluster, validation.IsDNS1123Label},
	}
	switch action {
	case bot.ActionIsolatePod, bot.ActionDeletePod, bot.ActionCollectEvidence:
		cs = append(cs, coordinate{"namespace", t.Namespace, validation.IsDNS1123Label},
			coordinate{"pod", t.Pod, validation.IsDNS1123Subdomain})
	case bot.ActionCordonNode:
		cs = append(cs, coordinate{"node", t.Node, validation.IsDNS1123Subdomain})
	}
	return cs
}

// checkTarget refuses an unknown action, a finding that is not about GKE,
// and coordinates that are missing or not valid Kubernetes and GKE names.
// Everything in a finding is attacker-controlled; a name that passes
// holds only lower-case letters, digits, '-' and '.', so it cannot change
// the meaning of an API path or of a message.
func checkTarget(t bot.Target, action string) error {
	if !handles(action) && action != bot.ActionCollectEvidence {
		return bot.Errorf(bot.EInvalid, "the GKE responder does not carry out %q", shorten(action))
	}
	if t.Product != "" && t.Product != bot.ProductGKE {
		return bot.Errorf(bot.EInvalid, "the finding's workload runs on %s, not GKE: sccbot cannot %s",
			t.Product.Label(), actionVerb(action))
	}
	var missing []string
	for _, c := range needs(t, action) {
		if c.value == "" {
			missing = append(missing, c.what)
		}
	}
	if len(missing) > 0 {
		return bot.Errorf(bot.EInvalid, "the finding names no %s: sccbot needs it to %s",
			joinAnd(missing), actionVerb(action))
	}
	for _, c := range needs(t, action) {
		if errs := c.check(c.value); len(errs) > 0 {
			return bot.WrapError(bot.EInvalid, fmt.Sprintf("the finding's %s %q is not a valid name; sccbot will not act on it",
				c.what, shorten(c.value)), fmt.Errorf("%s %q: %s", c.what, c.value, strings.Join(errs, "; ")))
		}
	}
	return nil
}

// validProject accepts a Google Cloud project ID: 6 to 30 lower-case
// letters, digits and hyphens, starting with a letter and not ending with
// a hyphen, optionally after a "domain:" prefix of legacy projects.
func validProject(p string) []string {
	id := p
	if domain, rest, ok := strings.Cut(p, ":"); ok {
		if len(validation.IsDNS1123Subdomain(domain)) > 0 {
			return []string{"the domain prefix is not a DNS name"}
		}
		id = rest
	}
	if len(id) < 6 || len(id) > 30 || id[0] < 'a' || id[0] > 'z' || strings.HasSuffix(id, "-") {
		return []string{"a project ID has 6 to 30 characters, starts with a letter and does not end with '-'"}
	}
	for _, c := range id {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return []string{"a project ID holds only lower-case letters, digits and '-'"}
		}
	}
	return nil
}

// shorten cuts a value quoted back to a user.
func shorten(s string) string {
	if len(s) <= maxShown {
		return s
	}
	return strings.ToValidUTF8(s[:maxShown], "") + "…"
}

func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// actionVerb says what an action does, to finish "sccbot cannot ...".
func actionVerb(action string) string {
	switch action {
	case bot.ActionIsolatePod:
		return "isolate the pod"
	case bot.ActionDeletePod:
		return "delete the pod"
	case bot.ActionCordonNode:
		return "cordon the node"
	case bot.ActionCollectEvidence:
		return "collect evidence from the pod"
	}
	return "act"
}
