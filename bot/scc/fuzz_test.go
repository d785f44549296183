package scc

import (
	"errors"
	"testing"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

// FuzzDecodeNotification: no input panics, and every failure is a
// *DecodeError with one of the stable reasons.
func FuzzDecodeNotification(f *testing.F) {
	for _, s := range sccfake.Seeds() {
		f.Add(s.JSON)
	}
	f.Add(sccfake.Hostile())
	f.Add([]byte(`{"finding":{"name":"n","mitreAttack":{"primaryTechniques":["X"]}},"resource":{"projectDisplayName":"p"}}`))
	reasons := map[string]bool{ReasonInvalidJSON: true, ReasonNotNotification: true, ReasonMissingName: true, ReasonTooLarge: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeNotification(data)
		if err == nil {
			if got.Name == "" {
				t.Fatal("decoded a finding without a name")
			}
			return
		}
		var de *DecodeError
		if !errors.As(err, &de) || !reasons[de.Reason] {
			t.Fatalf("err = %v", err)
		}
	})
}
