package cloudrun

import (
	"fmt"
	"path"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/sccbot/sccbot/bot"
)

const (
	typeRevision   = runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
	typeLatest     = runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
	conditionReady = "Ready"
)

// ready reports whether a revision can serve: Cloud Run is done
// reconciling it and its Ready condition succeeded.
func ready(rev *runpb.Revision) bool {
	if rev.GetReconciling() || rev.GetDeleteTime() != nil {
		return false
	}
	for _, c := range rev.GetConditions() {
		if c.GetType() == conditionReady {
			return c.GetState() == runpb.Condition_CONDITION_SUCCEEDED
		}
	}
	return false
}

// idOf is the short id of a revision or execution name; traffic targets and the
// service's latest revisions may carry either form.
func idOf(name string) string { return path.Base(name) }

// target returns the revision a traffic target routes to: LATEST follows
// the latest ready revision; no traffic at all means 100% to LATEST.
func target(svc *runpb.Service, t *runpb.TrafficTarget) string {
	if t.GetType() == typeLatest {
		if svc.GetLatestReadyRevision() == "" {
			return ""
		}
		return idOf(svc.GetLatestReadyRevision())
	}
	return t.GetRevision()
}

func trafficOf(svc *runpb.Service) []*runpb.TrafficTarget {
	if len(svc.GetTraffic()) == 0 {
		return []*runpb.TrafficTarget{{Type: typeLatest, Percent: 100}}
	}
	return svc.GetTraffic()
}

// share is the percentage of the service's traffic that reaches id, and
// whether a tag URL reaches it. Either keeps Cloud Run from deleting it.
func share(svc *runpb.Service, id string) (percent int32, tagged bool) {
	for _, t := range trafficOf(svc) {
		if target(svc, t) == id {
			percent += t.GetPercent()
			tagged = tagged || t.GetTag() != ""
		}
	}
	return percent, tagged
}

// soleRevision returns the revision that receives all traffic, if one
// does.
func soleRevision(svc *runpb.Service) string {
	for _, t := range trafficOf(svc) {
		if id := target(svc, t); id != "" {
			if p, _ := share(svc, id); p == 100 {
				return id
			}
		}
	}
	return ""
}

// lastGoodBefore returns the newest ready revision created strictly
// before bad, or nil. A revision without a creation time cannot be
// ordered and is never chosen.
func lastGoodBefore(revs []*runpb.Revision, bad *runpb.Revision) *runpb.Revision {
	if bad.GetCreateTime() == nil {
		return nil
	}
	limit := bad.GetCreateTime().AsTime()
	var best *runpb.Revision
	for _, rev := range revs {
		created := rev.GetCreateTime()
		if rev.GetName() == bad.GetName() || created == nil || !ready(rev) || !created.AsTime().Before(limit) {
			continue
		}
		if best == nil || created.AsTime().After(best.GetCreateTime().AsTime()) {
			best = rev
		}
	}
	return best
}

func findRevision(revs []*runpb.Revision, id string) *runpb.Revision {
	for _, rev := range revs {
		if idOf(rev.GetName()) == id {
			return rev
		}
	}
	return nil
}

// rollbackTraffic is the service's traffic with every share given to
// good. Tag-only targets (0%, a tag URL) of other revisions stay, so that
// a team's preview URLs keep working; tags that reach the compromised
// revision, and LATEST tags, go, since they would keep serving it. It
// also returns how many tags it dropped.
func rollbackTraffic(svc *runpb.Service, good, bad string) ([]*runpb.TrafficTarget, int) {
	out := []*runpb.TrafficTarget{{Type: typeRevision, Revision: good, Percent: 100}}
	dropped := 0
	for _, t := range trafficOf(svc) {
		if t.GetTag() == "" {
			continue
		}
		if t.GetPercent() == 0 && t.GetType() == typeRevision && t.GetRevision() != bad {
			out = append(out, &runpb.TrafficTarget{Type: typeRevision, Revision: t.GetRevision(), Tag: t.GetTag()})
			continue
		}
		dropped++
	}
	return out, dropped
}

// untagTraffic is the service's traffic without the targets that reach
// bad, for a revision that gets no share but still has a tag URL.
func untagTraffic(svc *runpb.Service, bad string) ([]*runpb.TrafficTarget, int) {
	var out []*runpb.TrafficTarget
	dropped := 0
	for _, t := range trafficOf(svc) {
		if target(svc, t) == bad {
			dropped++
			continue
		}
		out = append(out, t)
	}
	return out, dropped
}

// describeTraffic says where traffic goes, e.g. "100% to checkout-api-00042-xuz
// (LATEST)" or "90% to a, 10% to b, tag canary to c".
func describeTraffic(svc *runpb.Service) string {
	var parts []string
	for _, t := range trafficOf(svc) {
		id := target(svc, t)
		if !resourcePattern.MatchString(id) {
			id = "an unnamed revision"
		}
		if t.GetType() == typeLatest {
			id += " (latest)"
		}
		switch {
		case t.GetPercent() > 0:
			parts = append(parts, fmt.Sprintf("%d%% to %s", t.GetPercent(), id))
		case t.GetTag() != "":
			parts = append(parts, "a tag URL to "+id)
		}
	}
	if len(parts) == 0 {
		return "nowhere"
	}
	return strings.Join(parts, ", ")
}

// checkID refuses a revision id from Cloud Run that breaks the naming
// rules before it is put into a name or a message. Cloud Run enforces
// them too; this is defence in depth against a confused server.
func checkID(id string) error {
	if !resourcePattern.MatchString(id) {
		return bot.WrapError(bot.EInternal, "Cloud Run returned a revision name sccbot does not accept; "+
			"the details are in sccbot's log", fmt.Errorf("invalid revision id %q from cloud run", id))
	}
	return nil
}
