package gke

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
)

func TestCheckAPI(t *testing.T) {
	e := newEnv(t, Options{})
	cc := newContainerClient(t, e.cm)
	project := gkefake.SeedProject
	r := CheckAPI(context.Background(), cc, project)
	if r.Status != bot.CheckOK || !strings.Contains(r.Detail, "1 cluster visible in project "+project) {
		t.Errorf("seeded project: %+v", r)
	}
	e.cm.FailNext("ListClusters", codes.PermissionDenied, 1)
	if r := CheckAPI(context.Background(), cc, project); r.Status != bot.CheckWarn || !strings.Contains(r.Detail, "refused") {
		t.Errorf("refused: %+v", r)
	}
}
