package cloudrun

import (
	"context"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
)

// probeService is a service name no one uses: asking for it costs nothing
// and tells whether the API answers and lets the bot read services. Cloud
// Run says NotFound to a caller who may read services in the project, and
// PermissionDenied to one who may not.
const probeService = "sccbot-doctor-probe"

// CheckAPI checks that the Cloud Run Admin API answers for project.
func CheckAPI(ctx context.Context, svcs *run.ServicesClient, project string) bot.CheckResult {
	const what = "Cloud Run Admin API"
	name := "projects/" + project + "/locations/us-central1/services/" + probeService
	_, err := svcs.GetService(ctx, &runpb.GetServiceRequest{Name: name})
	switch status.Code(err) {
	case codes.NotFound, codes.OK:
		return bot.CheckResult{Name: what, Status: bot.CheckOK, Detail: "services of project " + project + " can be read"}
	case codes.PermissionDenied:
		return bot.CheckResult{Name: what, Status: bot.CheckWarn, Detail: "refused in project " + project + " (roles/run.viewer at least): " + status.Convert(err).Message()}
	}
	return bot.CheckResult{Name: what, Status: bot.CheckWarn, Detail: "could not query project " + project + ": " + err.Error()}
}
