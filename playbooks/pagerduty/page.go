package pagerduty

import (
	"context"
	"fmt"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

// Page triggers one PagerDuty alert about f that lists the owners to page.
// It is idempotent: the dedup key is the finding's name, so paging again
// while the alert is open merges into it. With dryRun it builds and checks
// the event (routing key included) and sends nothing. With no owners it
// still pages: the integration's on-call is then the one to act.
func (c *Client) Page(ctx context.Context, f bot.Finding, owners []bot.Owner, dryRun bool) (bot.ActionResult, error) {
	if f.Name == "" {
		return bot.ActionResult{}, bot.Errorf(bot.EInvalid, "the finding has no name, so sccbot cannot page about it")
	}
	e := FindingEvent(f, owners)
	if err := c.Check(e); err != nil {
		return bot.ActionResult{}, err
	}
	id := clean(f.ShortID(), 100)
	if dryRun {
		return bot.ActionResult{
			Summary: "Dry run: would page PagerDuty about finding " + id,
			Details: append(pageDetails(e, owners), "Nothing was sent to PagerDuty (dry run)."),
			DryRun:  true,
		}, nil
	}
	key, err := c.Trigger(ctx, e)
	if err != nil {
		return bot.ActionResult{}, err
	}
	e.DedupKey = key
	return bot.ActionResult{
		Summary: "Paged PagerDuty about finding " + id,
		Details: append(pageDetails(e, owners),
			"PagerDuty accepted the event; paging again while the alert is open adds to it and pages nobody twice."),
	}, nil
}

// ResolveFinding resolves the finding's PagerDuty alert, for when the
// finding is resolved. PagerDuty accepts it (and drops it) when there is
// no open alert, so it is safe to call for every resolved finding.
func (c *Client) ResolveFinding(ctx context.Context, f bot.Finding) error {
	if f.Name == "" {
		return bot.Errorf(bot.EInvalid, "the finding has no name, so sccbot cannot resolve its PagerDuty alert")
	}
	return c.Resolve(ctx, DedupKey(f.Name))
}

// pageDetails say what the page carries.
func pageDetails(e Event, owners []bot.Owner) []string {
	d := []string{fmt.Sprintf("PagerDuty %s event, severity %s, dedup key %s",
		e.Action, e.Payload.Severity, clean(e.DedupKey, MaxDedupKey))}
	d = append(d, "Summary: "+e.Payload.Summary)
	if len(owners) == 0 {
		return append(d, "No project owner was found: the PagerDuty service's on-call is paged.")
	}
	return append(d, "Owners listed in the alert: "+strings.Join(ownerLines(owners), ", "))
}
