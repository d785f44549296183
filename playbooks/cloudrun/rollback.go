package cloudrun

import (
	"context"
	"errors"
	"fmt"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/bot"
)

// revisionsPageSize is the ListRevisions page size; Cloud Run keeps at
// most 1000 revisions per service.
const revisionsPageSize = 500

// rollbackPlan is what a rollback will do, worked out from the service
// and its revisions before anything changes.
type rollbackPlan struct {
	ref serviceRef
	// bad is the compromised revision's id; badRev is nil when it no
	// longer exists.
	bad    string
	badRev *runpb.Revision
	// why says how bad was chosen, for the result.
	why string
	// good receives the traffic; nil when no traffic has to move.
	good *runpb.Revision
	// traffic is the service's new traffic; nil when it stays as it is.
	traffic     []*runpb.TrafficTarget
	droppedTags int
	// before says where traffic went.
	before string
}

func (r *Responder) rollback(ctx context.Context, f bot.Finding, dryRun bool) (bot.ActionResult, error) {
	ref, err := serviceOf(f.Target)
	if err != nil {
		return bot.ActionResult{}, err
	}
	if r.services == nil || r.revisions == nil {
		return bot.ActionResult{}, notConfigured(bot.ActionCloudRunRollback)
	}
	svc, err := r.getService(ctx, ref)
	if err != nil {
		return bot.ActionResult{}, err
	}
	revs, err := r.listRevisions(ctx, ref)
	if err != nil {
		return bot.ActionResult{}, err
	}
	p, err := planRollback(ref, svc, revs)
	if err != nil {
		return bot.ActionResult{}, err
	}
	if p.badRev == nil {
		return goneResult(p, svc, dryRun), nil
	}
	return r.carryOut(ctx, svc, p, dryRun)
}

// carryOut moves the traffic if it has to, then deletes the revision.
func (r *Responder) carryOut(ctx context.Context, svc *runpb.Service, p rollbackPlan, dryRun bool) (bot.ActionResult, error) {
	res := bot.ActionResult{DryRun: dryRun, Details: []string{
		fmt.Sprintf("Compromised revision: %s (%s)", p.bad, p.why),
		"Traffic before: " + p.before,
	}}
	if p.traffic != nil {
		if err := r.moveTraffic(ctx, svc, p, dryRun); err != nil {
			return bot.ActionResult{}, err
		}
	}
	res.Details = append(res.Details, p.trafficDetails(dryRun)...)
	note, err := r.deleteRevision(ctx, p, dryRun)
	if err != nil {
		return bot.ActionResult{}, err
	}
	res.Details = append(res.Details, note)
	if p.good != nil && !dryRun {
		res.Details = append(res.Details, fmt.Sprintf("Traffic is now pinned to %s: new deployments get none until "+
			"you send traffic to them (gcloud run services update-traffic %s --to-latest)",
			idOf(p.good.GetName()), p.ref.service))
	}
	res.Summary = p.summary(dryRun)
	return res, nil
}

func notConfigured(action string) error {
	return bot.Errorf(bot.EInternal, "sccbot has no Cloud Run client for %s; check its configuration", action)
}

func (r *Responder) getService(ctx context.Context, ref serviceRef) (*runpb.Service, error) {
	op := operation{what: "read Cloud Run service " + ref.service, role: RoleViewer, project: ref.project,
		target: ref.String(), notFound: fmt.Sprintf("Cloud Run service %s does not exist %s: it may have been deleted",
			ref.service, ref.where())}
	var svc *runpb.Service
	err := r.read(ctx, op, func(ctx context.Context) (err error) {
		svc, err = r.services.GetService(ctx, &runpb.GetServiceRequest{Name: ref.String()}, noRetry()...)
		return err
	})
	return svc, err
}

// listRevisions reads every revision of the service; a failed page
// restarts the listing.
func (r *Responder) listRevisions(ctx context.Context, ref serviceRef) ([]*runpb.Revision, error) {
	op := operation{what: "list the revisions of Cloud Run service " + ref.service, role: RoleViewer,
		project: ref.project, target: ref.String(),
		notFound: fmt.Sprintf("Cloud Run service %s does not exist %s: it may have been deleted", ref.service, ref.where())}
	var revs []*runpb.Revision
	err := r.read(ctx, op, func(ctx context.Context) error {
		revs = revs[:0]
		req := &runpb.ListRevisionsRequest{Parent: ref.String(), PageSize: revisionsPageSize}
		it := r.revisions.ListRevisions(ctx, req, noRetry()...)
		for {
			rev, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return err
			}
			revs = append(revs, rev)
		}
	})
	return revs, err
}

// moveTraffic sends the whole service back with its new traffic: the
// API takes the whole Service, and its etag makes Cloud Run refuse the
// update (Aborted) if someone changed the service since it was read.
func (r *Responder) moveTraffic(ctx context.Context, svc *runpb.Service, p rollbackPlan, dryRun bool) error {
	next := proto.CloneOf(svc)
	next.Traffic = p.traffic
	req := &runpb.UpdateServiceRequest{Service: next, ValidateOnly: dryRun}
	op := operation{what: "update Cloud Run service " + p.ref.service, role: RoleDeveloper, project: p.ref.project,
		target: p.ref.String(), notFound: fmt.Sprintf("Cloud Run service %s was deleted %s while sccbot was "+
			"rolling it back", p.ref.service, p.ref.where())}
	var lro *run.UpdateServiceOperation
	err := r.mutate(ctx, op, func(ctx context.Context) (err error) {
		lro, err = r.services.UpdateService(ctx, req, noRetry()...)
		return err
	})
	if err != nil {
		return err
	}
	_, err = wait(ctx, r, op, lro)
	return err
}

// deleteRevision deletes the compromised revision, carrying its etag. A
// revision already gone is what the action wanted. In a dry run whose
// traffic still has to move, Cloud Run refuses to delete a serving
// revision; that answer is expected, since the real run moves the
// traffic first.
func (r *Responder) deleteRevision(ctx context.Context, p rollbackPlan, dryRun bool) (string, error) {
	name := p.ref.revisionName(p.bad)
	req := &runpb.DeleteRevisionRequest{Name: name, Etag: p.badRev.GetEtag(), ValidateOnly: dryRun}
	op := operation{what: fmt.Sprintf("delete revision %s of Cloud Run service %s", p.bad, p.ref.service),
		role: RoleDeveloper, project: p.ref.project, target: name,
		notFound: fmt.Sprintf("revision %s no longer exists", p.bad)}
	var lro *run.DeleteRevisionOperation
	err := r.mutate(ctx, op, func(ctx context.Context) (err error) {
		lro, err = r.revisions.DeleteRevision(ctx, req, noRetry()...)
		return err
	})
	if err == nil {
		_, err = wait(ctx, r, op, lro)
	}
	switch {
	case bot.ErrorCode(err) == bot.ENotFound:
		return fmt.Sprintf("Revision %s was already deleted", p.bad), nil
	case err == nil && dryRun:
		return fmt.Sprintf("Would delete revision %s: Cloud Run validated the request", p.bad), nil
	case err == nil:
		return fmt.Sprintf("Deleted revision %s", p.bad), nil
	case dryRun && p.traffic != nil && status.Code(err) == codes.FailedPrecondition:
		return fmt.Sprintf("Would delete revision %s: Cloud Run accepts that only once its traffic has moved, "+
			"which the real run does first", p.bad), nil
	}
	return "", err
}
