package scc

import (
	"bytes"
	"encoding/json"
	"testing"

	sccv1 "cloud.google.com/go/securitycenter/apiv1/securitycenterpb"
	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

// BenchmarkDecodeNotification measures the whole decode of a realistic GKE
// notification (5.6 KB indented, 4.1 KB compact): protojson, the side pass for MITRE names, and
// the conversion. The ingest budget is thousands of findings per second on
// one core.
func BenchmarkDecodeNotification(b *testing.B) {
	indented := seedJSON(b, sccfake.SeedGKECompiler)
	var compact bytes.Buffer
	if err := json.Compact(&compact, indented); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"gke-compact", compact.Bytes()}, // as Pub/Sub delivers it
		{"gke-indented", indented},
		{"gke-v1", seedJSON(b, sccfake.SeedGKECompilerV1)},
		{"hostile", sccfake.Hostile()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeNotification(c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeParts splits the cost, and compares the two ways of
// reading a v1 resource: the small encoding/json struct used here against
// a second protojson decode into the apiv1 type.
func BenchmarkDecodeParts(b *testing.B) {
	data := seedJSON(b, sccfake.SeedGKECompiler)
	v1 := seedJSON(b, sccfake.SeedGKECompilerV1)
	opts := protojson.UnmarshalOptions{DiscardUnknown: true}
	var msg securitycenterpb.NotificationMessage
	if err := opts.Unmarshal(data, &msg); err != nil {
		b.Fatal(err)
	}
	parts := map[string]func() error{
		"protojson": func() error {
			var m securitycenterpb.NotificationMessage
			return opts.Unmarshal(data, &m)
		},
		"side-pass": func() error {
			readSide(data, &msg)
			return nil
		},
		"convert": func() error {
			convert(msg.GetFinding(), msg.GetResource(), nil)
			return nil
		},
		"v1-side-pass": func() error {
			var v1r v1Resource
			return json.Unmarshal(member(v1, "resource"), &v1r)
		},
		"v1-apiv1-protojson": func() error {
			var m sccv1.NotificationMessage
			return opts.Unmarshal(v1, &m)
		},
	}
	for _, name := range []string{"protojson", "side-pass", "convert", "v1-side-pass", "v1-apiv1-protojson"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := parts[name](); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
