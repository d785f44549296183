package main

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestOwnerClientsOnlyForPageOwner: without Essential Contacts and Resource
// Manager emulators the owner-lookup clients need Google credentials, which
// this test makes unusable. A bot without page_owner never builds them; one
// with it fails at start, naming the client.
func TestOwnerClientsOnlyForPageOwner(t *testing.T) {
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	f, err := startFakes(testContext(t), testSubscription)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	e := f.env()
	e.contactsEmulator, e.resourceManagerEmulator = "", ""
	log := slog.New(slog.DiscardHandler)

	cfg := testConfig(t, filepath.Join(t.TempDir(), "a.db"), "responses:\n  actions:\n    mute: {approval: none}\n")
	a, err := newApp(testContext(t), cfg, e, log, prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("newApp without page_owner = %v; it built the owner clients", err)
	}
	a.close()

	cfg = testConfig(t, filepath.Join(t.TempDir(), "b.db"), "responses:\n  actions:\n    page_owner: {approval: none}\n")
	if _, err := newApp(testContext(t), cfg, e, log, prometheus.NewRegistry()); err == nil || !strings.Contains(err.Error(), "essential contacts") {
		t.Errorf("newApp with page_owner and no credentials = %v, want the essential contacts client named", err)
	}
}
