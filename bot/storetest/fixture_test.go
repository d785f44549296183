package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// TestZeroFields checks the guard that keeps fullFinding complete: it must
// see a field left unset however deep it is.
func TestZeroFields(t *testing.T) {
	full := fullFinding("x")
	if got := zeroFields(reflect.ValueOf(full), "Finding"); len(got) != 0 {
		t.Fatalf("zeroFields(fullFinding) = %q, want none", got)
	}
	f := fullFinding("x")
	f.Processes[0].ArgsTruncated = false
	f.Attack.Techniques[0].ID = ""
	f.Indicator.IPs = nil
	f.CreateTime = time.Time{}
	want := []string{
		"Finding.CreateTime",
		"Finding.Processes[0].ArgsTruncated",
		"Finding.Attack.Techniques[0].ID",
		"Finding.Indicator.IPs",
	}
	if diff := cmp.Diff(want, zeroFields(reflect.ValueOf(f), "Finding")); diff != "" {
		t.Errorf("zeroFields (-want +got):\n%s", diff)
	}
	if got := zeroFields(reflect.ValueOf(bot.Finding{Name: "n"}), "Finding"); len(got) < 10 {
		t.Errorf("zeroFields of a nearly empty finding = %q, want most fields", got)
	}
}
