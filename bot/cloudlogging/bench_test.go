package cloudlogging

import (
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
)

// BenchmarkConvertEntry measures the reduction of one entry of each kind,
// as a Search of up to 100 entries does for each. The entries go through
// proto.Marshal and Unmarshal first so that Any payloads are as the
// client receives them.
func BenchmarkConvertEntry(b *testing.B) {
	at := time.Date(2026, 11, 20, 10, 15, 30, 0, time.UTC)
	seeds := loggingfake.SeedEntries(loggingfake.SeedGKECompiler, at)
	run := loggingfake.SeedEntries(loggingfake.SeedCloudRunCompiler, at)
	cases := map[string]*loggingpb.LogEntry{
		"text":         find(b, seeds, "+ gcc"),
		"json-message": find(b, seeds, "charge accepted"),
		"json-compact": find(b, seeds, "healthcheck"),
		"audit":        find(b, seeds, "pods.exec.create"),
		"http-request": find(b, run, "/api/cart"),
		"long-text":    text(strings.Repeat("gcc -O2 -static ", 1000)),
	}
	for name, e := range cases {
		wire, err := proto.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		var got loggingpb.LogEntry
		if err := proto.Unmarshal(wire, &got); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = convertEntry(&got)
			}
		})
	}
}

// find returns the first entry whose summary contains s.
func find(b *testing.B, entries []*loggingpb.LogEntry, s string) *loggingpb.LogEntry {
	b.Helper()
	for _, e := range entries {
		if strings.Contains(summary(e)+e.GetHttpRequest().GetRequestUrl(), s) {
			return e
		}
	}
	b.Fatalf("no seed entry contains %q", s)
	return nil
}
