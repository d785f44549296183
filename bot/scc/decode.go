package scc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/bot"
)

// MaxNotificationSize is the largest message DecodeNotification accepts.
// Pub/Sub itself caps messages at 10 MB; anything bigger did not come from SCC.
const MaxNotificationSize = 10 << 20

// Reasons a notification is rejected. They are a small stable set so that
// they can be used as a metric label.
const (
	ReasonInvalidJSON     = "invalid_json"
	ReasonNotNotification = "not_a_notification"
	ReasonMissingName     = "missing_name"
	ReasonTooLarge        = "too_large"
)

// replacementChar replaces invalid UTF-8 in a message.
const replacementChar = "\uFFFD"

// DecodeError says why a message is not a usable SCC notification.
type DecodeError struct {
	// Reason is one of the Reason constants.
	Reason string
	Err    error
}

// Error implements error. The wrapped error may quote parts of the message,
// which is attacker-controlled: log Reason, not Error, where that matters.
func (e *DecodeError) Error() string {
	if e.Err == nil {
		return "decode scc notification: " + e.Reason
	}
	return "decode scc notification: " + e.Reason + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// DecodeNotification decodes an SCC NotificationMessage as published to
// Pub/Sub (protojson, camelCase). It accepts both the v2 format and the v1
// format (notification configs without /locations/), tolerates fields and
// enum values this build does not know, and replaces invalid UTF-8 with
// U+FFFD so that a finding with hostile bytes still yields a card.
func DecodeNotification(data []byte) (bot.Finding, error) {
	if len(data) > MaxNotificationSize {
		return bot.Finding{}, &DecodeError{Reason: ReasonTooLarge,
			Err: fmt.Errorf("%d bytes, limit is %d", len(data), MaxNotificationSize)}
	}
	if !utf8.Valid(data) {
		// protojson rejects invalid UTF-8 outright; the bytes are only
		// attacker noise inside strings, so repair rather than drop.
		data = bytes.ToValidUTF8(data, []byte(replacementChar))
	}
	var msg securitycenterpb.NotificationMessage
	if err := unmarshalNotification(data, &msg); err != nil {
		return bot.Finding{}, &DecodeError{Reason: ReasonInvalidJSON, Err: err}
	}
	f := msg.GetFinding()
	if f == nil {
		return bot.Finding{}, &DecodeError{Reason: ReasonNotNotification, Err: errors.New("no finding object")}
	}
	if f.GetName() == "" {
		return bot.Finding{}, &DecodeError{Reason: ReasonMissingName, Err: errors.New("finding has no name")}
	}
	out := convert(f, msg.GetResource(), readSide(data, &msg))
	out.NotificationConfig = msg.GetNotificationConfigName()
	return out, nil
}

// unmarshalNotification retries once with lone UTF-16 surrogate escapes
// (\ud800 without its pair) replaced: protojson rejects them, while they
// are as harmless as the invalid UTF-8 bytes repaired above.
func unmarshalNotification(data []byte, msg *securitycenterpb.NotificationMessage) error {
	opts := protojson.UnmarshalOptions{DiscardUnknown: true}
	err := opts.Unmarshal(data, msg)
	if err == nil {
		return nil
	}
	fixed, changed := replaceLoneSurrogates(data)
	if !changed {
		return err
	}
	proto.Reset(msg)
	if opts.Unmarshal(fixed, msg) != nil {
		return err
	}
	return nil
}

// replaceLoneSurrogates rewrites \uD800-\uDFFF escapes that are not part of
// a valid pair as \uFFFD. The replacement has the same length, so offsets
// keep their meaning. It returns the input unchanged when there is none.
func replaceLoneSurrogates(data []byte) ([]byte, bool) {
	var out []byte
	for i := 0; i+1 < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		r, ok := hex4(data, i+2)
		if data[i+1] != 'u' || !ok || !utf16.IsSurrogate(r) {
			i++ // skip the escaped character, e.g. the second \ of \\
			continue
		}
		if r < 0xDC00 {
			if low, ok := hex4(data, i+8); ok && i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' &&
				low >= 0xDC00 && low <= 0xDFFF {
				i += 11 // a valid pair
				continue
			}
		}
		if out == nil {
			out = bytes.Clone(data)
		}
		copy(out[i:], `\ufffd`)
		i += 5
	}
	if out == nil {
		return data, false
	}
	return out, true
}

// hex4 parses four hex digits at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// side holds what protojson loses when decoding into the v2 types: the v1
// resource's top-level project fields and MITRE enum names unknown to this
// build. It is read with encoding/json, and only when needed.
type side struct {
	resource *v1Resource
	mitre    *mitreNames
}

// v1Resource is the part of a v1 NotificationMessage resource that the v2
// Resource type has under gcpMetadata instead.
type v1Resource struct {
	Project            string `json:"project"`
	ProjectDisplayName string `json:"projectDisplayName"`
	Parent             string `json:"parent"`
	ParentDisplayName  string `json:"parentDisplayName"`
	Organization       string `json:"organization"`
}

// readSide runs the second, cheap pass when the proto is missing something:
// a resource without gcpMetadata (v1 format) or a mitreAttack block (whose
// unknown enum names protojson drops silently). It decodes only those
// members, found by a scanner, and falls back to the proto on any doubt.
func readSide(data []byte, msg *securitycenterpb.NotificationMessage) *side {
	r := msg.GetResource()
	needResource := r != nil && r.GetCloudProviderMetadata() == nil
	needMitre := msg.GetFinding().GetMitreAttack() != nil
	if !needResource && !needMitre {
		return nil
	}
	s := &side{}
	if needResource {
		var v1 v1Resource
		if raw := member(data, "resource"); raw != nil && json.Unmarshal(raw, &v1) == nil {
			s.resource = &v1
		}
	}
	if needMitre {
		var m mitreNames
		// Enum numbers instead of names fail to unmarshal: the proto has them.
		if raw := member(member(data, "finding"), "mitreAttack"); raw != nil && json.Unmarshal(raw, &m) == nil {
			s.mitre = &m
		}
	}
	return s
}
