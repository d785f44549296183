package cloudlogging

import (
	"context"
	"errors"
	"time"

	logging "cloud.google.com/go/logging/apiv2"
	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
)

// CheckAPI checks that Cloud Logging answers queries on resource (for
// example projects/P) by asking for one entry of the last minute. A
// refusal is a warning, not a failure: only the Logs button needs it.
func CheckAPI(ctx context.Context, api *logging.Client, resource string, now time.Time) bot.CheckResult {
	const what = "Cloud Logging API"
	it := api.ListLogEntries(ctx, &loggingpb.ListLogEntriesRequest{
		ResourceNames: []string{resource}, PageSize: 1,
		Filter: `timestamp >= "` + now.Add(-time.Minute).UTC().Format(time.RFC3339) + `"`,
	})
	_, err := it.Next()
	switch {
	case err == nil || errors.Is(err, iterator.Done):
		return bot.CheckResult{Name: what, Status: bot.CheckOK, Detail: "log entries of " + resource + " can be read"}
	case status.Code(err) == codes.PermissionDenied:
		return bot.CheckResult{Name: what, Status: bot.CheckWarn,
			Detail: "refused on " + resource + " (the Logs button needs roles/logging.viewer): " + status.Convert(err).Message()}
	}
	return bot.CheckResult{Name: what, Status: bot.CheckWarn, Detail: "could not query " + resource + ": " + err.Error()}
}
