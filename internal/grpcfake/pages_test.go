package grpcfake

import (
	"errors"
	"testing"
)

func TestPageTokenRoundTrip(t *testing.T) {
	fp := Fingerprint("organizations/1", `category="x"`, "event_time desc")
	for _, off := range []int{0, 1, 150, 1 << 30} {
		got, err := ParsePageToken(PageToken(off, fp), fp)
		if err != nil || got != off {
			t.Errorf("ParsePageToken(PageToken(%d)) = %d, %v", off, got, err)
		}
	}
	if got, err := ParsePageToken("", fp); err != nil || got != 0 {
		t.Errorf("no token = %d, %v; want the first page", got, err)
	}
}

func TestPageTokenRefusesOtherQueriesAndGarbage(t *testing.T) {
	fp := Fingerprint("organizations/1", "a")
	// The parts are separated, so moving text between them is another query.
	if Fingerprint("organizations/1", "a") != fp || Fingerprint("organizations/1a", "") == Fingerprint("organizations/1", "a") {
		t.Fatal("fingerprints do not tell the queries apart")
	}
	bad := []string{
		PageToken(10, Fingerprint("organizations/1", "b")),
		PageToken(-1, fp),
		"not base64!",
		"MTA", // "10" with no fingerprint
	}
	for _, tok := range bad {
		if _, err := ParsePageToken(tok, fp); !errors.Is(err, ErrPageToken) {
			t.Errorf("ParsePageToken(%q) = %v, want ErrPageToken", tok, err)
		}
	}
}
