package scc

import (
	"context"
	"errors"
	"slices"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	securitycenter "cloud.google.com/go/securitycenter/apiv2"
	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
)

// consumePermission is what pulling from a subscription needs.
const consumePermission = "pubsub.subscriptions.consume"

// CheckSubscription checks that the subscription exists and that the bot
// may pull from it (TestIamPermissions for pubsub.subscriptions.consume).
// A missing subscription or permission fails; an endpoint that cannot be
// reached is a warning, because the source reports it on /readyz anyway.
func CheckSubscription(ctx context.Context, client *pubsub.Client, name string) []bot.CheckResult {
	const what = "Pub/Sub subscription (sources.pubsub.subscription)"
	sub, err := client.SubscriptionAdminClient.GetSubscription(ctx, &pubsubpb.GetSubscriptionRequest{Subscription: name})
	if err != nil {
		r := googleResult(what, name, err)
		r.Blocks = r.Status == bot.CheckFail
		return []bot.CheckResult{r}
	}
	out := []bot.CheckResult{{Name: what, Status: bot.CheckOK, Detail: name + " exists, reading " + sub.GetTopic()}}
	res, err := client.SubscriptionAdminClient.TestIamPermissions(ctx, &iampb.TestIamPermissionsRequest{
		Resource: name, Permissions: []string{consumePermission}})
	const perm = "Pub/Sub pull permission"
	switch {
	case err != nil:
		out = append(out, googleResult(perm, name, err))
	case !slices.Contains(res.GetPermissions(), consumePermission):
		out = append(out, bot.CheckResult{Name: perm, Status: bot.CheckFail, Blocks: true,
			Detail: "the bot's service account lacks " + consumePermission + " on " + name + " (grant roles/pubsub.subscriber)"})
	default:
		out = append(out, bot.CheckResult{Name: perm, Status: bot.CheckOK, Detail: consumePermission + " granted"})
	}
	return out
}

// CheckParent checks that findings can be listed under parent (the
// poller's sources.poll.parent), asking for one.
func CheckParent(ctx context.Context, client *securitycenter.Client, parent string) bot.CheckResult {
	const what = "SCC findings (sources.poll.parent)"
	it := client.ListFindings(ctx, &securitycenterpb.ListFindingsRequest{Parent: parent, PageSize: 1})
	if _, err := it.Next(); err != nil && !errors.Is(err, iterator.Done) {
		return googleResult(what, parent, err)
	}
	return bot.CheckResult{Name: what, Status: bot.CheckOK, Detail: "findings under " + parent + " can be listed"}
}

// googleResult turns a Google API error into a result: a missing resource
// or a refused permission is a failure, anything else (an unreachable
// endpoint, a timeout) a warning.
func googleResult(what, resource string, err error) bot.CheckResult {
	switch status.Code(err) {
	case codes.NotFound:
		return bot.CheckResult{Name: what, Status: bot.CheckFail, Detail: resource + " does not exist"}
	case codes.PermissionDenied, codes.Unauthenticated:
		return bot.CheckResult{Name: what, Status: bot.CheckFail, Detail: "refused on " + resource + ": " + status.Convert(err).Message()}
	}
	return bot.CheckResult{Name: what, Status: bot.CheckWarn, Detail: "could not check " + resource + ": " + err.Error()}
}
