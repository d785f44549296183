package playbooks

import (
	"context"
	"fmt"

	"github.com/sccbot/sccbot/bot"
)

// Escalate asks for action on f on the bot's own behalf, as a missed
// acknowledgement deadline does. With approved the action runs at once:
// the operator configured escalations to act without approval. Otherwise
// the action's rule applies as it does to a person's request, and the
// request waits for its approvers. Either way the request is published on
// the feed as it is created, since no person's click will show it, and an
// open request for the same action on f is joined rather than doubled.
func (r *Runner) Escalate(ctx context.Context, f bot.Finding, action, reason string, approved bool) (bot.ActionRequest, error) {
	if !r.drain.start() {
		return bot.ActionRequest{}, bot.Errorf(bot.EUnavailable, msgShuttingDown)
	}
	defer r.drain.done()
	rule, ok := r.policy.Rule(action)
	if !ok {
		return bot.ActionRequest{}, bot.Errorf(bot.EInvalid, "%s is not enabled in responses.actions", action)
	}
	if _, err := r.Preview(f, action); err != nil {
		return bot.ActionRequest{}, err
	}
	req, created, err := r.create(ctx, f.Name, action, System, reason, rule)
	if err != nil {
		return bot.ActionRequest{}, err
	}
	if !created {
		return req, nil
	}
	r.audit(ctx, eventFor(req, bot.AuditRequested, System, requestDetail(req)))
	r.changed(ctx, req)
	if rule.Approval && !approved {
		return req, nil
	}
	done, msg, err := r.execute(ctx, req, f, System, "escalation policy: no approval required")
	if err != nil {
		return done, err
	}
	if msg != "" {
		return done, fmt.Errorf("escalate %s on %s: %s", action, f.Name, msg)
	}
	return done, nil
}
