package owners

import (
	"context"
	"slices"
	"sort"
	"strings"

	"cloud.google.com/go/iam/apiv1/iampb"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
)

// CheckPermissions asks Resource Manager which of the permissions each
// action needs the bot holds on project (TestIamPermissions, which counts
// grants inherited from the folder and organization), and reports one
// line per action. needs maps an action to its permissions.
func CheckPermissions(ctx context.Context, projects *resourcemanager.ProjectsClient, project string, needs map[string][]string) []bot.CheckResult {
	var all []string
	for _, ps := range needs {
		for _, p := range ps {
			if !slices.Contains(all, p) {
				all = append(all, p)
			}
		}
	}
	sort.Strings(all)
	actions := make([]string, 0, len(needs))
	for a := range needs {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	resp, err := projects.TestIamPermissions(ctx, &iampb.TestIamPermissionsRequest{Resource: "projects/" + project, Permissions: all})
	if err != nil {
		st := bot.CheckWarn
		if status.Code(err) == codes.PermissionDenied {
			st = bot.CheckFail
		}
		return []bot.CheckResult{{Name: "action permissions", Status: st, Detail: "TestIamPermissions on projects/" + project + ": " + err.Error()}}
	}
	var out []bot.CheckResult
	for _, a := range actions {
		var missing []string
		for _, p := range needs[a] {
			if !slices.Contains(resp.GetPermissions(), p) {
				missing = append(missing, p)
			}
		}
		name := "action " + a + " (responses.actions." + a + ")"
		if len(missing) > 0 {
			out = append(out, bot.CheckResult{Name: name, Status: bot.CheckFail,
				Detail: "missing on projects/" + project + ": " + strings.Join(missing, ", ")})
			continue
		}
		out = append(out, bot.CheckResult{Name: name, Status: bot.CheckOK, Detail: strings.Join(needs[a], ", ") + " granted"})
	}
	return out
}
