package cloudlogging

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/sccbot/sccbot/bot"
)

func TestCheckAPI(t *testing.T) {
	e := newEnv(t, Options{})
	fake, lc := e.fake, e.client.c
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	if r := CheckAPI(context.Background(), lc, "projects/demo-prod", now); r.Status != bot.CheckOK {
		t.Errorf("answering API: %+v", r)
	}
	fake.FailNext(codes.PermissionDenied, 1)
	if r := CheckAPI(context.Background(), lc, "projects/demo-prod", now); r.Status != bot.CheckWarn || !strings.Contains(r.Detail, "roles/logging.viewer") {
		t.Errorf("refused: %+v", r)
	}
}
