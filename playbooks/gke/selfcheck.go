package gke

import (
	"context"
	"strconv"

	container "cloud.google.com/go/container/apiv1"
	"cloud.google.com/go/container/apiv1/containerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
)

// CheckAPI checks that the container API answers for project by listing
// its clusters in every location: the call GKE containment starts with.
func CheckAPI(ctx context.Context, cm *container.ClusterManagerClient, project string) bot.CheckResult {
	const what = "GKE (container API)"
	parent := "projects/" + project + "/locations/-"
	resp, err := cm.ListClusters(ctx, &containerpb.ListClustersRequest{Parent: parent})
	switch {
	case err == nil:
		return bot.CheckResult{Name: what, Status: bot.CheckOK, Detail: plural(len(resp.GetClusters()), "cluster") + " visible in project " + project}
	case status.Code(err) == codes.PermissionDenied:
		return bot.CheckResult{Name: what, Status: bot.CheckWarn, Detail: "refused on " + parent + ": " + status.Convert(err).Message()}
	}
	return bot.CheckResult{Name: what, Status: bot.CheckWarn, Detail: "could not list clusters in " + parent + ": " + err.Error()}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
