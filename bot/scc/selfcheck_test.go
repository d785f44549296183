package scc

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/sccbot/sccbot/bot"
)

func TestCheckSubscription(t *testing.T) {
	ctx := context.Background()
	env := newPubsub(t, nil)
	client, iam := env.client, env.iam
	got := CheckSubscription(ctx, client, testSub)
	if len(got) != 2 || bot.Failed(got) || !strings.Contains(got[0].Detail, testTopic) {
		t.Errorf("existing subscription: %+v", got)
	}

	got = CheckSubscription(ctx, client, "projects/proj/subscriptions/missing")
	if len(got) != 1 || got[0].Status != bot.CheckFail || !strings.Contains(got[0].Detail, "projects/proj/subscriptions/missing does not exist") ||
		!strings.Contains(got[0].Name, "sources.pubsub.subscription") {
		t.Errorf("missing subscription: %+v", got)
	}

	iam.Deny(testSub, "pubsub.subscriptions.consume")
	got = CheckSubscription(ctx, client, testSub)
	if len(got) != 2 || got[1].Status != bot.CheckFail || !strings.Contains(got[1].Detail, "lacks pubsub.subscriptions.consume") {
		t.Errorf("no consume permission: %+v", got)
	}
}

func TestCheckParent(t *testing.T) {
	env := newPollEnv(t)
	if r := CheckParent(context.Background(), env.client, pollParent); r.Status != bot.CheckOK {
		t.Errorf("readable parent: %+v", r)
	}
	env.fake.FailNext("ListFindings", codes.PermissionDenied, 1)
	if r := CheckParent(context.Background(), env.client, pollParent); r.Status != bot.CheckFail || !strings.Contains(r.Detail, "refused on "+pollParent) {
		t.Errorf("denied parent: %+v", r)
	}
	env.fake.FailNext("ListFindings", codes.Unavailable, 1)
	if r := CheckParent(context.Background(), env.client, pollParent); r.Status != bot.CheckWarn {
		t.Errorf("unreachable SCC: %+v", r)
	}
}
