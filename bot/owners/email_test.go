package owners

import (
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/type/expr"

	"github.com/sccbot/sccbot/bot"
)

func TestValidEmail(t *testing.T) {
	good := []string{
		"alice@example.com", "a.b+tag@sub.example.co.uk", "o'brien@example.ie", "x_y%z-1@e-x.io",
		"UPPER@EXAMPLE.COM", strings.Repeat("a", 64) + "@example.com",
	}
	bad := []string{
		"", "alice", "@example.com", "alice@", "alice@localhost", "alice@10.0.0.1", "a@b@example.com",
		".a@example.com", "a.@example.com", "a..b@example.com", "a b@example.com", "a@exa mple.com",
		"<alice@example.com>", "Alice <alice@example.com>", `"a"@example.com`, "a@-example.com", "a@example-.com",
		"a@example..com", "a;rm -rf@example.com", "a$(id)@example.com", "a`id`@example.com", "a|b@example.com",
		"a@example.com\n", "a\u202e@example.com", "ä@example.com", "a@exämple.com", "a@[127.0.0.1]",
		"<!channel>@example.com", "a*b*@example.com", strings.Repeat("a", 65) + "@example.com",
		"a@" + strings.Repeat("b", 64) + ".com", "a@" + strings.Repeat("b.", 130) + "com",
	}
	for _, s := range good {
		if !ValidEmail(s) {
			t.Errorf("ValidEmail(%q) = false, want true", s)
		}
	}
	for _, s := range bad {
		if ValidEmail(s) {
			t.Errorf("ValidEmail(%q) = true, want false", s)
		}
	}
}

// TestOwnerMembers: only unconditional roles/owner users and groups; a
// conditional binding is counted whether it comes with its condition
// (version 3) or renamed (version 1).
func TestOwnerMembers(t *testing.T) {
	p := &iampb.Policy{Bindings: []*iampb.Binding{
		{Role: "roles/owner", Members: []string{"user:a@example.com", "serviceAccount:s@p.iam.gserviceaccount.com",
			"group:g@example.com", "deleted:group:old@example.com?uid=1", "domain:example.com", "allUsers",
			"principal://iam.googleapis.com/locations/global/workforcePools/p/subject/x", "user"}},
		{Role: "roles/owner", Members: []string{"user:c@example.com"}, Condition: &expr.Expr{Expression: "true"}},
		{Role: "roles/owner_withcond_0123456789abcdef", Members: []string{"user:d@example.com"}},
		{Role: "roles/ownerish", Members: []string{"user:e@example.com"}},
		{Role: "roles/viewer", Members: []string{"user:f@example.com"}},
	}}
	emails, conditional := ownerMembers(p)
	if diff := cmp.Diff([]string{"a@example.com", "g@example.com"}, emails); diff != "" {
		t.Errorf("emails (-want +got):\n%s", diff)
	}
	if conditional != 2 {
		t.Errorf("conditional = %d, want 2", conditional)
	}
	if emails, n := ownerMembers(nil); emails != nil || n != 0 {
		t.Errorf("ownerMembers(nil) = %v, %d", emails, n)
	}
}

func TestProjectOf(t *testing.T) {
	tests := []struct {
		id, number string
		want       project
		ok         bool
	}{
		{"demo-prod", "456789012345", project{name: "projects/456789012345", label: "demo-prod"}, true},
		{"demo-prod", "", project{name: "projects/demo-prod", label: "demo-prod"}, true},
		{"", "456789012345", project{name: "projects/456789012345", label: "456789012345"}, true},
		{"example.com:legacy-app", "", project{name: "projects/example.com:legacy-app", label: "example.com:legacy-app"}, true},
		{"Bad/Project", "12a", project{}, false},
		{"demo-prod/../x", "", project{}, false},
		{"", "", project{}, false},
	}
	for _, tt := range tests {
		f := bot.Finding{Resource: bot.Resource{Project: tt.id, ProjectNumber: tt.number}}
		got, ok := projectOf(f)
		if got != tt.want || ok != tt.ok {
			t.Errorf("projectOf(%q, %q) = %+v, %v; want %+v, %v", tt.id, tt.number, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		if got := DefaultBackoff(i + 1); got != w {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}
