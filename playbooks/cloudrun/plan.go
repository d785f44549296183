package cloudrun

import (
	"fmt"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/sccbot/sccbot/bot"
)

// Why a revision was taken as the compromised one, for the result.
const (
	whyNamed  = "named by the finding"
	whySole   = "the finding names no revision; this one receives 100% of the service's traffic"
	whyLatest = "the finding names no revision; this is the service's latest ready revision"
)

// planRollback works out the rollback from the service and its revisions.
// Traffic moves only if the compromised revision gets a share of it: if
// it gets none (traffic already went back, or a fixed revision now
// serves), moving traffic to an older revision would undo someone's fix,
// so only its tags, if any, are removed before it is deleted.
func planRollback(ref serviceRef, svc *runpb.Service, revs []*runpb.Revision) (rollbackPlan, error) {
	p := rollbackPlan{ref: ref, before: describeTraffic(svc)}
	var err error
	if p.bad, p.why, err = compromised(ref, svc); err != nil {
		return p, err
	}
	if p.badRev = findRevision(revs, p.bad); p.badRev == nil {
		return p, nil
	}
	percent, tagged := share(svc, p.bad)
	switch {
	case percent > 0:
		if p.good = lastGoodBefore(revs, p.badRev); p.good == nil {
			return p, bot.Errorf(bot.EConflict, "no earlier revision to roll back to; deploy a fixed revision first "+
				"(service %s has no ready revision created before %s; nothing was changed)", ref.service, p.bad)
		}
		good := idOf(p.good.GetName())
		if err := checkID(good); err != nil {
			return p, err
		}
		p.traffic, p.droppedTags = rollbackTraffic(svc, good, p.bad)
	case tagged:
		p.traffic, p.droppedTags = untagTraffic(svc, p.bad)
	}
	return p, nil
}

// compromised picks the revision to roll back from: the finding's own,
// else the one that receives all traffic, else the latest ready one.
func compromised(ref serviceRef, svc *runpb.Service) (id, why string, err error) {
	if ref.revision != "" {
		return ref.revision, whyNamed, nil
	}
	if id = soleRevision(svc); id != "" {
		return id, whySole, checkID(id)
	}
	if l := svc.GetLatestReadyRevision(); l != "" {
		id = idOf(l)
		return id, whyLatest, checkID(id)
	}
	return "", "", bot.Errorf(bot.EConflict, "the finding names no revision of service %s, and no single revision "+
		"serves it, so sccbot cannot tell which one is compromised; nothing was changed", ref.service)
}

// trafficDetails says what happened to the traffic.
func (p rollbackPlan) trafficDetails(dryRun bool) []string {
	if p.traffic == nil {
		return []string{"Traffic left as it is: the compromised revision receives none"}
	}
	verb := "Moved"
	if dryRun {
		verb = "Would move"
	}
	var out []string
	if p.good != nil {
		out = append(out, fmt.Sprintf("%s 100%% of traffic to %s, the last ready revision created before %s (%s)",
			verb, idOf(p.good.GetName()), p.bad, p.good.GetCreateTime().AsTime().UTC().Format("2006-01-02 15:04 MST")))
	}
	if p.droppedTags > 0 {
		out = append(out, fmt.Sprintf("%s: removing %d traffic tag(s) that reached %s", verbTags(dryRun), p.droppedTags, p.bad))
	}
	if dryRun {
		out = append(out, "Cloud Run validated the traffic update")
	}
	return out
}

func verbTags(dryRun bool) string {
	if dryRun {
		return "Would update tags"
	}
	return "Updated tags"
}

// summary is the result's one line.
func (p rollbackPlan) summary(dryRun bool) string {
	var change string
	switch {
	case p.good != nil:
		change = fmt.Sprintf("move 100%% of traffic to %s and delete revision %s", idOf(p.good.GetName()), p.bad)
	case p.traffic != nil:
		change = fmt.Sprintf("remove the traffic tags of revision %s and delete it", p.bad)
	default:
		change = fmt.Sprintf("delete revision %s (it received no traffic)", p.bad)
	}
	if dryRun {
		return fmt.Sprintf("Dry run: service %s would %s; Cloud Run validated the request; nothing was changed",
			p.ref.service, change)
	}
	return fmt.Sprintf("Service %s: %s", p.ref.service, pastTense(p))
}

func pastTense(p rollbackPlan) string {
	switch {
	case p.good != nil:
		return fmt.Sprintf("100%% of traffic moved to %s; revision %s deleted", idOf(p.good.GetName()), p.bad)
	case p.traffic != nil:
		return fmt.Sprintf("traffic tags of revision %s removed; revision deleted", p.bad)
	}
	return fmt.Sprintf("revision %s deleted (it received no traffic)", p.bad)
}

// goneResult is the answer when the compromised revision no longer
// exists: nothing serves it, so there is nothing left to do.
func goneResult(p rollbackPlan, svc *runpb.Service, dryRun bool) bot.ActionResult {
	summary := fmt.Sprintf("Service %s: revision %s no longer exists; nothing to do", p.ref.service, p.bad)
	if dryRun {
		summary = fmt.Sprintf("Dry run: service %s: revision %s no longer exists; nothing to do and nothing was changed",
			p.ref.service, p.bad)
	}
	return bot.ActionResult{Summary: summary, DryRun: dryRun, Details: []string{
		fmt.Sprintf("Compromised revision: %s (%s)", p.bad, p.why),
		"Traffic now: " + describeTraffic(svc),
	}}
}
