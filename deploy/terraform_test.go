package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// terraformFiles parses every .tf file of deploy/terraform.
func terraformFiles(t *testing.T) map[string]*hclsyntax.Body {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("terraform", "*.tf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no terraform/*.tf files (%v)", err)
	}
	parser := hclparse.NewParser()
	bodies := map[string]*hclsyntax.Body{}
	for _, p := range paths {
		f, diags := parser.ParseHCLFile(p)
		if diags.HasErrors() {
			t.Errorf("%s: %s", p, diags.Error())
			continue
		}
		bodies[p] = f.Body.(*hclsyntax.Body)
	}
	return bodies
}

func TestTerraformParsesAndIsCanonical(t *testing.T) {
	for path := range terraformFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if formatted := hclwrite.Format(src); !bytes.Equal(formatted, src) {
			t.Errorf("%s is not in canonical format: run terraform fmt %s (first difference at line %d)", path, filepath.Dir(path), firstDiffLine(src, formatted))
		}
	}
}

func firstDiffLine(a, b []byte) int {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// TestTerraformRolesAreTheREADMETable holds the README's IAM table and the
// roles Terraform grants to the same list: one is the documentation of the
// other.
func TestTerraformRolesAreTheREADMETable(t *testing.T) {
	readme, err := readmeIAMTable(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	granted := terraformBotGrants(t, terraformFiles(t))
	if missing := difference(readme, granted); len(missing) > 0 {
		t.Errorf("in the README's IAM table but never granted by deploy/terraform (scope role):\n  %s", strings.Join(missing, "\n  "))
	}
	if extra := difference(granted, readme); len(extra) > 0 {
		t.Errorf("granted by deploy/terraform but not in the README's IAM table (scope role):\n  %s", strings.Join(extra, "\n  "))
	}
	if len(readme) < 10 {
		t.Errorf("only %d grants read from the README's table; is the table still there?", len(readme))
	}
}

func difference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

var roleName = regexp.MustCompile("`(roles/[A-Za-z.]+)`")

// readmeIAMTable reads the rows of the table under "Least-privilege IAM"
// as "scope role" pairs, the scope named from its Where column.
func readmeIAMTable(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var grants []string
	inSection, inTable, scope := false, false, ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			inSection = strings.Contains(line, "Least-privilege IAM")
			inTable = false
		case inSection && strings.HasPrefix(line, "| What | Role | Where |"):
			inTable = true
		case inTable && strings.HasPrefix(line, "|---"):
		case inTable && strings.HasPrefix(line, "|"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if len(cells) != 3 {
				return nil, fmt.Errorf("%s:%d: IAM table row with %d cells, want 3", path, n, len(cells))
			}
			s, err := iamScope(strings.TrimSpace(cells[2]), scope)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			}
			scope = s
			for _, m := range roleName.FindAllStringSubmatch(cells[1], -1) {
				grants = append(grants, scope+" "+m[1])
			}
		default:
			inTable = false
		}
	}
	if len(grants) == 0 {
		return nil, fmt.Errorf("%s: no IAM table (| What | Role | Where |) under a \"Least-privilege IAM\" heading", path)
	}
	return grants, sc.Err()
}

// iamScope names the Where column of an IAM table row with the scopes of
// deploy/terraform/iam.tf.
func iamScope(where, previous string) (string, error) {
	switch {
	case strings.HasPrefix(where, "the same"):
		return previous, nil
	case strings.Contains(where, "subscription"):
		return "subscription", nil
	case strings.Contains(where, "secret"):
		return "secrets", nil
	case strings.Contains(where, "hosts the bot"):
		return "host", nil
	case strings.Contains(where, "evidence bucket"):
		return "bucket", nil
	case strings.Contains(where, "the folder or project the findings belong to"):
		return "findings", nil
	case strings.HasPrefix(where, "each project"), strings.HasPrefix(where, "each cluster"):
		return "projects", nil
	case where == "the organization":
		return "organization", nil
	}
	return "", fmt.Errorf("IAM table: cannot tell the scope of Where %q", where)
}

// terraformBotGrants evaluates local.bot_roles, the table every grant to
// the bot's service account is made from, and checks that no grant to the
// bot bypasses it.
func terraformBotGrants(t *testing.T, files map[string]*hclsyntax.Body) []string {
	t.Helper()
	var grants []string
	for path, body := range files {
		for _, b := range body.Blocks {
			switch {
			case b.Type == "locals":
				if a, ok := b.Body.Attributes["bot_roles"]; ok {
					grants = append(grants, evalBotRoles(t, path, a)...)
				}
			case b.Type == "resource" && strings.HasSuffix(b.Labels[0], "_iam_member"):
				checkBotGrant(t, path, b)
			}
		}
	}
	if len(grants) == 0 {
		t.Fatal("no local.bot_roles in terraform/*.tf")
	}
	return grants
}

func evalBotRoles(t *testing.T, path string, a *hclsyntax.Attribute) []string {
	t.Helper()
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("%s: local.bot_roles must be a literal: %s", path, diags.Error())
	}
	var grants []string
	for feature, row := range v.AsValueMap() {
		scope := row.GetAttr("scope").AsString()
		if !slices.Contains([]string{"subscription", "findings", "projects", "organization", "secrets", "host", "bucket"}, scope) {
			t.Errorf("%s: bot_roles.%s: unknown scope %q", path, feature, scope)
		}
		for _, r := range row.GetAttr("roles").AsValueSlice() {
			grants = append(grants, scope+" "+r.AsString())
		}
	}
	return grants
}

// checkBotGrant fails a grant to local.bot_member whose role is not one of
// the for_each values derived from local.bot_roles.
func checkBotGrant(t *testing.T, path string, b *hclsyntax.Block) {
	t.Helper()
	member, ok := b.Body.Attributes["member"]
	if !ok || !refersTo(member.Expr, "local", "bot_member") {
		return
	}
	role := b.Body.Attributes["role"]
	name := b.Labels[0] + "." + b.Labels[1]
	if role == nil || !(refersTo(role.Expr, "each", "value") && len(role.Expr.Variables()[0]) <= 3) {
		t.Errorf("%s: %s grants the bot a role that does not come from local.bot_roles (role = each.value or each.value.role)", path, name)
	}
	forEach, ok := b.Body.Attributes["for_each"]
	if !ok || !refersTo(forEach.Expr, "local", "") {
		t.Errorf("%s: %s must iterate over grants derived from local.bot_roles", path, name)
	}
}

// refersTo reports whether expr is a reference to root.attr (any attr when
// attr is "").
func refersTo(expr hclsyntax.Expression, root, attr string) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() != root {
			continue
		}
		if attr == "" {
			return true
		}
		if len(tr) > 1 {
			if a, ok := tr[1].(hcl.TraverseAttr); ok && a.Name == attr {
				return true
			}
		}
	}
	return false
}

// TestREADMETableRowDropped shows the comparison notices a row missing from
// the README: its roles are then granted but undocumented.
func TestREADMETableRowDropped(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for line := range strings.Lines(string(src)) {
		if !strings.Contains(line, "`roles/run.developer`") {
			kept = append(kept, line)
		}
	}
	path := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(path, []byte(strings.Join(kept, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	readme, err := readmeIAMTable(path)
	if err != nil {
		t.Fatal(err)
	}
	extra := difference(terraformBotGrants(t, terraformFiles(t)), readme)
	if !slices.Equal(extra, []string{"projects roles/run.developer"}) {
		t.Errorf("with the Cloud Run row dropped, undocumented grants = %q, want [projects roles/run.developer]", extra)
	}
}

// TestTerraformResources checks the parts of the Google side the bot
// relies on: a subscription that never expires and dead-letters, the
// Pub/Sub agent's grants that dead-lettering needs, the three variants of
// the SCC v2 notification config, and Workload Identity.
func TestTerraformResources(t *testing.T) {
	resources := map[string]*hclsyntax.Block{}
	for _, body := range terraformFiles(t) {
		for _, b := range body.Blocks {
			if b.Type == "resource" {
				resources[b.Labels[0]+"."+b.Labels[1]] = b
			}
		}
	}
	sub := resources["google_pubsub_subscription.findings"]
	if sub == nil {
		t.Fatal("no google_pubsub_subscription.findings")
	}
	for _, block := range []string{"retry_policy", "dead_letter_policy", "expiration_policy"} {
		if nested(sub, block) == nil {
			t.Errorf("the subscription has no %s", block)
		}
	}
	if exp := nested(sub, "expiration_policy"); exp != nil {
		if v, diags := exp.Body.Attributes["ttl"].Expr.Value(nil); diags.HasErrors() || v.AsString() != "" {
			t.Error(`the subscription expires: want expiration_policy { ttl = "" }`)
		}
	}
	for _, kind := range []string{"organization", "folder", "project"} {
		r := resources["google_scc_v2_"+kind+"_notification_config.findings"]
		if r == nil || nested(r, "streaming_config") == nil {
			t.Errorf("no SCC v2 %s notification config with a streaming_config", kind)
			continue
		}
		if v, _ := r.Body.Attributes["location"].Expr.Value(nil); v.AsString() != "global" {
			t.Errorf("%s notification config: location is not global", kind)
		}
	}
	for name, role := range map[string]string{
		"google_pubsub_topic_iam_member.dead_letter_publisher":         "roles/pubsub.publisher",
		"google_pubsub_subscription_iam_member.dead_letter_subscriber": "roles/pubsub.subscriber",
	} {
		r := resources[name]
		if r == nil || !refersTo(r.Body.Attributes["member"].Expr, "local", "pubsub_agent") || literal(r, "role") != role {
			t.Errorf("no %s granting the Pub/Sub service agent %s", name, role)
		}
	}
	if wi := resources["google_service_account_iam_member.workload_identity"]; wi == nil || literal(wi, "role") != "roles/iam.workloadIdentityUser" {
		t.Error("no Workload Identity binding for the chart's Kubernetes service account")
	}
}

func nested(b *hclsyntax.Block, blockType string) *hclsyntax.Block {
	for _, n := range b.Body.Blocks {
		if n.Type == blockType {
			return n
		}
	}
	return nil
}

// literal is the value of a string attribute written as a literal, or "".
func literal(b *hclsyntax.Block, attr string) string {
	a, ok := b.Body.Attributes[attr]
	if !ok {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.Type().Equals(cty.String) {
		return ""
	}
	return v.AsString()
}

// TestFailedActionsMetricMatchesTheAuditLog checks the log-based metric
// selects what the bot writes when an action fails: the runner's "audit"
// line, under Cloud Logging's message key, with the failed event.
func TestFailedActionsMetricMatchesTheAuditLog(t *testing.T) {
	var filter string
	for _, body := range terraformFiles(t) {
		for _, b := range body.Blocks {
			if b.Type == "resource" && b.Labels[0] == "google_logging_metric" && b.Labels[1] == "actions_failed" {
				filter = literal(b, "filter")
			}
		}
	}
	if filter == "" {
		t.Fatal("no google_logging_metric.actions_failed with a literal filter")
	}
	root := repoRoot(t)
	for file, code := range map[string]string{
		"cmd/sccbot/logging.go":    `a.Key = "message"`,
		"playbooks/runner_exec.go": `slog.LevelInfo, "audit"`,
		"bot/action.go":            `AuditFailed    = "failed"`,
	} {
		src, err := readFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(src, code) {
			t.Errorf("%s no longer has %s: the metric's filter %q may select nothing", file, code, filter)
		}
	}
	for _, want := range []string{`jsonPayload.message="audit"`, `jsonPayload.event="failed"`} {
		if !strings.Contains(filter, want) {
			t.Errorf("filter %q lacks %s", filter, want)
		}
	}
}
