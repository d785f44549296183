package respond

import (
	"context"
	"testing"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks"
)

// TestPresenterPostsARequestOnce: a request that runs at once finishes
// before its requester's intro reaches the presenter; the intro, which
// carries the request without its message, must not post it again.
func TestPresenterPostsARequestOnce(t *testing.T) {
	h := newRespondHarness(t, map[string]playbooks.Rule{bot.ActionIsolatePod: {}})
	ctx := context.Background()
	req, msg, err := h.runner.Request(ctx, h.f, bot.ActionIsolatePod, "U0ALICE", "now")
	if err != nil || msg != "" || req.State != bot.RequestDone {
		t.Fatalf("Request = %+v, %q, %v; want it done at once", req, msg, err)
	}
	h.flow.presenter.flush(ctx) // the runner's changes: running, done
	req.Message = bot.MessageRef{}
	h.flow.presenter.Requested(req, nil, bot.MessageRef{Channel: "C-gke"})
	h.flow.presenter.flush(ctx)
	if n := len(h.chat.All()); n != 1 {
		t.Fatalf("the request's message was posted %d times, want once", n)
	}
}
