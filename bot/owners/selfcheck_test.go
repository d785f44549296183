package owners

import (
	"context"
	"strings"
	"testing"

	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/owners/ownersfake"
)

func TestCheckPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	projects, err := resourcemanager.NewProjectsClient(context.Background(), e.fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = projects.Close() })
	needs := map[string][]string{"mute": {"securitycenter.findings.setMute"}, "delete_pod": {"container.pods.delete"}}
	got := CheckPermissions(context.Background(), projects, "demo-prod", needs)
	if len(got) != 2 || bot.Failed(got) || got[0].Name != "action delete_pod (responses.actions.delete_pod)" {
		t.Errorf("all granted: %+v", got)
	}
	e.fake.DenyPermissions(ownersfake.DemoProd, "securitycenter.findings.setMute")
	got = CheckPermissions(context.Background(), projects, "demo-prod", needs)
	if got[1].Status != bot.CheckFail || !strings.Contains(got[1].Detail, "securitycenter.findings.setMute") || got[0].Status != bot.CheckOK {
		t.Errorf("mute denied: %+v", got)
	}
	got = CheckPermissions(context.Background(), projects, "nobody-knows", needs)
	if len(got) != 1 || got[0].Status != bot.CheckFail {
		t.Errorf("unknown project: %+v", got)
	}
}
