package cloudrun_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/cloudrun"
	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
)

// sink keeps what is put in memory.
type sink map[string][]byte

func (s sink) Put(_ context.Context, item bot.EvidenceItem, r io.Reader) (bot.EvidenceObject, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return bot.EvidenceObject{}, &bot.SourceError{Err: err}
	}
	s[item.Name] = b
	return bot.EvidenceObject{Name: item.Name, Size: int64(len(b))}, nil
}

func TestCollectEvidenceKeepsRevisionAndService(t *testing.T) {
	e := setup(t)
	before := snap(e.fake)
	s := sink{}
	o, err := e.r.CollectEvidence(context.Background(), serviceFinding(runfake.CheckoutService, runfake.CheckoutCompromised),
		bot.EvidenceRequest{}, s)
	if err != nil {
		t.Fatal(err)
	}
	unchanged(t, before, e.fake)
	var rev runpb.Revision
	if err := protojson.Unmarshal(s[cloudrun.ObjectRevision], &rev); err != nil || !strings.HasSuffix(rev.GetName(), runfake.CheckoutCompromised) {
		t.Errorf("revision.json: %v, name %q", err, rev.GetName())
	}
	var svc runpb.Service
	if err := protojson.Unmarshal(s[cloudrun.ObjectService], &svc); err != nil || svc.GetName() != checkout {
		t.Errorf("service.json: %v, name %q", err, svc.GetName())
	}
	if o.Revision != runfake.CheckoutCompromised || !strings.HasPrefix(o.ImageDigest, "sha256:8d2f6a1c") || o.Binary != nil {
		t.Errorf("origin = %+v", o)
	}
	if !bytes.Contains(s[cloudrun.ObjectRevision], []byte("sha256:8d2f6a1c")) {
		t.Error("the revision kept does not name its image digest")
	}
}

func TestCollectEvidenceNeedsARevision(t *testing.T) {
	e := setup(t)
	_, err := e.r.CollectEvidence(context.Background(), serviceFinding(runfake.CheckoutService, ""), bot.EvidenceRequest{}, sink{})
	wantError(t, err, bot.EInvalid, "the finding names no revision of Cloud Run service checkout-api: sccbot cannot tell which to keep")
	_, err = e.r.CollectEvidence(context.Background(), serviceFinding(runfake.CheckoutService, "checkout-api-00099-zzz"),
		bot.EvidenceRequest{}, sink{})
	wantError(t, err, bot.ENotFound, "Cloud Run revision checkout-api-00099-zzz does not exist (europe-west1, project demo-web): it may have been deleted")
}
