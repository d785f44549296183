package cloudrun_test

import (
	"context"
	"strings"
	"testing"

	run "cloud.google.com/go/run/apiv2"
	"google.golang.org/grpc/codes"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/cloudrun"
)

func TestCheckAPI(t *testing.T) {
	e := setup(t)
	svcs, err := run.NewServicesClient(context.Background(), e.fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svcs.Close() })
	if r := cloudrun.CheckAPI(context.Background(), svcs, "demo-prod"); r.Status != bot.CheckOK {
		t.Errorf("answering API: %+v", r)
	}
	e.fake.FailNext("GetService", codes.PermissionDenied, 1)
	if r := cloudrun.CheckAPI(context.Background(), svcs, "demo-prod"); r.Status != bot.CheckWarn || !strings.Contains(r.Detail, "refused in project demo-prod") {
		t.Errorf("refused: %+v", r)
	}
}
