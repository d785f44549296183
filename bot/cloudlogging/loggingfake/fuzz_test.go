package loggingfake_test

import (
	"testing"

	"cloud.google.com/go/logging/apiv2/loggingpb"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
)

// FuzzParseFilter: the parser never panics, and a value quoted with
// bot.QuoteFilter always reads back as one restriction with that value.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`resource.type="k8s_container"`, `severity>=ERROR AND labels."a/b":"c"`,
		`timestamp>="2026-11-20T10:00:00Z"`, "x\" OR resource.type=\"gce_instance\\\n", `(a="b" OR -c:d)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if flt, err := loggingfake.ParseFilter(s); err == nil {
			flt.Match(&loggingpb.LogEntry{})
		}
		flt, err := loggingfake.ParseFilter("textPayload=" + bot.QuoteFilter(s))
		if err != nil {
			t.Fatalf("quoted value rejected: %v", err)
		}
		rs := flt.Restrictions()
		if len(rs) != 1 || !flt.Match(&loggingpb.LogEntry{Payload: &loggingpb.LogEntry_TextPayload{TextPayload: rs[0].Value}}) {
			t.Fatalf("quoted %q read as %v", s, rs)
		}
	})
}
