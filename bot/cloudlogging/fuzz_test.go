package cloudlogging

import (
	"testing"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
)

// FuzzConvertEntry feeds arbitrary wire bytes, as a hostile log writer or
// a corrupt response could, to the conversion: it must not panic and must
// keep summaries bounded.
func FuzzConvertEntry(f *testing.F) {
	at := time.Date(2026, 11, 20, 10, 15, 30, 0, time.UTC)
	for _, key := range []string{loggingfake.SeedGKECompiler, loggingfake.SeedCloudRunCompiler} {
		for _, e := range loggingfake.SeedEntries(key, at) {
			b, err := proto.Marshal(e)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e loggingpb.LogEntry
		if proto.Unmarshal(data, &e) != nil {
			return
		}
		if got := convertEntry(&e).Summary; utf8.RuneCountInString(got) > maxSummary {
			t.Errorf("summary of %d runes", utf8.RuneCountInString(got))
		}
	})
}
