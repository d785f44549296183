package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/config"
)

func TestDisplayZoneAndUnhealthyAfter(t *testing.T) {
	base := "slack:\n  default_channel: C0123456789\nsources:\n  pubsub:\n    subscription: projects/p1/subscriptions/s1\n"
	cfg, err := config.Load([]byte(base + "  unhealthy_after: 30s\ndisplay:\n  time_zone: Europe/Paris\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Display.Location().String() != "Europe/Paris" || time.Duration(cfg.Sources.UnhealthyAfter) != 30*time.Second {
		t.Errorf("display %v, unhealthy_after %v", cfg.Display.Location(), cfg.Sources.UnhealthyAfter)
	}
	_, err = config.Load([]byte(base + "  unhealthy_after: 100ms\ndisplay:\n  time_zone: Mars/Olympus\n"))
	for _, want := range []string{"sources.unhealthy_after: must be at least 1s", `display.time_zone: "Mars/Olympus" is not a time zone`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load = %v, want %q", err, want)
		}
	}
}
