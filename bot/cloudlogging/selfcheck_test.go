package cloudlogging

import (
	"context"
	"strings"
	"testing"
	"time"

	logging "cloud.google.com/go/logging/apiv2"
	"google.golang.org/grpc/codes"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
)

func TestCheckAPI(t *testing.T) {
	fake := loggingfake.New()
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	lc, err := logging.NewClient(context.Background(), fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lc.Close() })
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	if r := CheckAPI(context.Background(), lc, "projects/demo-prod", now); r.Status != bot.CheckOK {
		t.Errorf("answering API: %+v", r)
	}
	fake.FailNext(codes.PermissionDenied, 1)
	if r := CheckAPI(context.Background(), lc, "projects/demo-prod", now); r.Status != bot.CheckWarn || !strings.Contains(r.Detail, "roles/logging.viewer") {
		t.Errorf("refused: %+v", r)
	}
}
