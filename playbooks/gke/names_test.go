package gke

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sccbot/sccbot/bot"
)

func TestPolicyName(t *testing.T) {
	long := strings.Repeat("a", 200)
	tests := []struct{ pod, want string }{
		{"checkout-7d9f8b6c5-x2x9q", "sccbot-quarantine-checkout-7d9f8b6c5-x2x9q"},
		{"web.v2", "sccbot-quarantine-web.v2"},
	}
	for _, tt := range tests {
		if got := PolicyName(tt.pod); got != tt.want {
			t.Errorf("PolicyName(%q) = %q, want %q", tt.pod, got, tt.want)
		}
	}
	seen := map[string]string{}
	for _, pod := range []string{long, long + "b", strings.Repeat("a", 44) + ".-b" + long[:10], strings.Repeat("x-", 60) + "y"} {
		got := PolicyName(pod)
		if len(got) > maxPolicyName || len(validation.IsDNS1123Subdomain(got)) > 0 || !strings.HasPrefix(got, PolicyPrefix) {
			t.Errorf("PolicyName(%q) = %q: not a valid name of at most %d characters", pod, got, maxPolicyName)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("PolicyName(%q) = PolicyName(%q) = %q", pod, prev, got)
		}
		seen[got] = pod
	}
}

func TestQuarantineValue(t *testing.T) {
	if got := quarantineValue(seedFinding()); got != seedID {
		t.Errorf("seed finding → %q, want its short id %q", got, seedID)
	}
	for _, name := range []string{"", "organizations/1/sources/2/findings/" + strings.Repeat("z", 70), "x/findings/a b", "x/findings/-a"} {
		got := quarantineValue(bot.Finding{Name: name})
		if len(validation.IsValidLabelValue(got)) > 0 || got == "" {
			t.Errorf("finding %q → %q: not a valid label value", name, got)
		}
	}
}

func TestValidProject(t *testing.T) {
	for _, p := range []string{"demo-prod", "example.com:my-project", "abcdef", "a23456789012345678901234567890"} {
		if errs := validProject(p); len(errs) > 0 {
			t.Errorf("validProject(%q) = %v, want valid", p, errs)
		}
	}
	for _, p := range []string{"demo", "Demo-prod", "demo-prod-", "1demo-prod", "demo_prod", "demo prod", "demo-prod/x",
		"bad domain:demo-prod", "a234567890123456789012345678901"} {
		if errs := validProject(p); len(errs) == 0 {
			t.Errorf("validProject(%q) accepted", p)
		}
	}
}
