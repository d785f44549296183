package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// TestTerraformHelmValuesInstall evaluates the helm_values output of
// deploy/terraform for each store and installs the chart with it, as the
// README does (terraform output -raw helm_values > terraform-values.yaml):
// the keys Terraform writes must be keys the chart accepts.
func TestTerraformHelmValuesInstall(t *testing.T) {
	expr := helmValuesExpr(t)
	for _, cloudSQL := range []bool{false, true} {
		ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
			"var": cty.ObjectVal(map[string]cty.Value{
				"cloud_sql":                  cty.ObjectVal(map[string]cty.Value{"enabled": cty.BoolVal(cloudSQL)}),
				"kubernetes_service_account": cty.StringVal("sccbot"),
				"notification_filter":        cty.StringVal(`state="ACTIVE" AND finding_class="THREAT"`),
			}),
			"local": cty.ObjectVal(map[string]cty.Value{"scc_parent_name": cty.StringVal("organizations/123456789012")}),
			"google_service_account": cty.ObjectVal(map[string]cty.Value{
				"sccbot": cty.ObjectVal(map[string]cty.Value{"email": cty.StringVal("sccbot@sec-tools.iam.gserviceaccount.com")}),
			}),
			"google_pubsub_subscription": cty.ObjectVal(map[string]cty.Value{
				"findings": cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("projects/sec-tools/subscriptions/sccbot-findings")}),
			}),
		}}
		v, diags := expr.Value(ctx)
		if diags.HasErrors() {
			t.Fatalf("evaluate helm_values: %s", diags.Error())
		}
		values, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "terraform-values.yaml")
		if err := os.WriteFile(path, values, 0o644); err != nil {
			t.Fatal(err)
		}
		// The README's install: Terraform's values, the operator's channel,
		// the image and the Secret on the command line.
		out, err := helm(t, "template", "sccbot", chartDir, "--namespace", "sccbot", "-f", path,
			"--set", "config.slack.default_channel=C0SECALERTS", "--set", "image.repository=example/sccbot",
			"--set", "secrets.existingSecret=sccbot")
		if err != nil {
			t.Fatalf("cloud_sql %v: the chart refuses Terraform's helm_values %s:\n%v", cloudSQL, values, err)
		}
		r, err := decodeStrict(out)
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: "StatefulSet", true: "Deployment"}[cloudSQL]
		if r.kinds[want] != 1 {
			t.Errorf("cloud_sql %v: rendered %v, want a %s", cloudSQL, r.kinds, want)
		}
		config := r.configMap(t).Data["sccbot.yaml"]
		if !strings.Contains(config, "projects/sec-tools/subscriptions/sccbot-findings") {
			t.Errorf("cloud_sql %v: the subscription did not reach the config", cloudSQL)
		}
		requireCheckConfig(t, fmt.Sprintf("cloud_sql %v", cloudSQL), config)
	}
}

// helmValuesExpr is the argument of yamlencode in output "helm_values".
func helmValuesExpr(t *testing.T) hclsyntax.Expression {
	t.Helper()
	for _, body := range terraformFiles(t) {
		for _, b := range body.Blocks {
			if b.Type != "output" || b.Labels[0] != "helm_values" {
				continue
			}
			call, ok := b.Body.Attributes["value"].Expr.(*hclsyntax.FunctionCallExpr)
			if !ok || call.Name != "yamlencode" || len(call.Args) != 1 {
				t.Fatal(`output "helm_values" is not yamlencode({...})`)
			}
			return call.Args[0]
		}
	}
	t.Fatal(`no output "helm_values" in deploy/terraform`)
	return nil
}
