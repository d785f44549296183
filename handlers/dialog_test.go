package handlers

import (
	"testing"

	"github.com/sccbot/sccbot/bot"
)

func TestDialogMetadataKeepsTheOpeningMessage(t *testing.T) {
	f := bot.Finding{Name: "organizations/1/sources/2/findings/abc123"}
	cases := []struct {
		name         string
		opened       Request
		channel, ts  string
		wantMetadata string
	}{
		{"card button", Request{Channel: "C1", MessageTS: "1.2"}, "C1", "1.2", "abc123 C1 1.2"},
		{"button in a thread", Request{Channel: "C1", MessageTS: "1.3", ThreadTS: "1.2"}, "C1", "1.2", "abc123 C1 1.2"},
		{"no message", Request{Channel: "C1"}, "", "", "abc123"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			meta := DialogMetadata(f, c.opened)
			if meta != c.wantMetadata {
				t.Fatalf("metadata = %q, want %q", meta, c.wantMetadata)
			}
			ref, r := FromDialog(Request{PrivateMetadata: meta})
			if ref != "abc123" || r.Channel != c.channel || r.MessageTS != c.ts {
				t.Errorf("fromDialog = %q, %q, %q", ref, r.Channel, r.MessageTS)
			}
		})
	}
	if ref, _ := FromDialog(Request{}); ref != "" {
		t.Errorf("empty metadata gave %q", ref)
	}
}
