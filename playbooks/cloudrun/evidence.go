package cloudrun

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/bot"
)

// Object names of a Cloud Run collection.
const (
	ObjectRevision = "revision.json"
	ObjectService  = "service.json"
)

var _ bot.EvidenceCollector = (*Responder)(nil)

// CollectEvidence implements bot.EvidenceCollector for a Cloud Run
// service revision. Cloud Run has no exec, so no binary can be copied:
// what is kept is the revision as Cloud Run describes it (its containers,
// image digests, environment names, service account) and the service's
// spec, which a later deploy or a rollback would change.
func (r *Responder) CollectEvidence(ctx context.Context, f bot.Finding, _ bot.EvidenceRequest,
	sink bot.EvidenceSink) (bot.EvidenceOrigin, error) {
	if r.services == nil || r.revisions == nil {
		return bot.EvidenceOrigin{}, notConfigured(bot.ActionCollectEvidence)
	}
	ref, err := serviceOf(f.Target)
	if err != nil {
		return bot.EvidenceOrigin{}, err
	}
	if ref.revision == "" {
		return bot.EvidenceOrigin{}, bot.Errorf(bot.EInvalid, "the finding names no revision of Cloud Run service %s: "+
			"sccbot cannot tell which to keep", ref.service)
	}
	o := bot.EvidenceOrigin{Service: ref.service, Revision: ref.revision, Container: f.Target.Container,
		Notes: []string{"Cloud Run has no exec: the executed binary cannot be copied; the image digest identifies it"}}
	rev, err := r.getRevision(ctx, ref)
	if err != nil {
		return o, err
	}
	o.Image, o.ImageDigest = imageOfRevision(rev, f.Target.Container)
	if err := putProto(ctx, sink, ObjectRevision, rev); err != nil {
		return o, err
	}
	svc, err := r.getService(ctx, ref)
	if err != nil {
		o.Notes = append(o.Notes, "The service's spec could not be read: "+bot.ErrorMessage(err))
		return o, nil
	}
	return o, putProto(ctx, sink, ObjectService, svc)
}

func (r *Responder) getRevision(ctx context.Context, ref serviceRef) (*runpb.Revision, error) {
	name := ref.revisionName(ref.revision)
	op := operation{what: "read Cloud Run revision " + ref.revision, role: RoleViewer, project: ref.project,
		target: name, notFound: fmt.Sprintf("Cloud Run revision %s does not exist %s: it may have been deleted",
			ref.revision, ref.where())}
	var rev *runpb.Revision
	err := r.read(ctx, op, func(ctx context.Context) (err error) {
		rev, err = r.revisions.GetRevision(ctx, &runpb.GetRevisionRequest{Name: name}, noRetry()...)
		return err
	})
	return rev, err
}

// imageOfRevision is the container's image, and its digest when the
// image is named by one (Cloud Run deploys by digest).
func imageOfRevision(rev *runpb.Revision, container string) (image, digest string) {
	for _, c := range rev.GetContainers() {
		if container == "" || c.GetName() == container || len(rev.GetContainers()) == 1 {
			image = c.GetImage()
			break
		}
	}
	if _, d, ok := strings.Cut(image, "@"); ok {
		digest = d
	}
	return image, digest
}

func putProto(ctx context.Context, sink bot.EvidenceSink, name string, m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	_, err = sink.Put(ctx, bot.EvidenceItem{Name: name, ContentType: "application/json"}, bytes.NewReader(b))
	return err
}
