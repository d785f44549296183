package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite"
)

func TestOpenReadOnlyCreatesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "missing", "sccbot.db")
	if _, err := sqlite.OpenReadOnly(ctx, path); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("OpenReadOnly(missing) = %v, want ENotFound", err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("OpenReadOnly created %s (stat: %v)", filepath.Dir(path), err)
	}
}

func TestOpenReadOnlyReadsBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sccbot.db")
	w, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.AppendAudit(ctx, bot.AuditEvent{At: time.Now(), Event: "requested", Actor: "U1", Action: "mute"}); err != nil {
		t.Fatal(err)
	}
	r, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int
	if err := r.Audit(ctx, time.Time{}, func(bot.AuditEvent) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("Audit read %d events, err %v; want 1", n, err)
	}
	if err := r.AppendAudit(ctx, bot.AuditEvent{At: time.Now(), Event: "x", Actor: "U1"}); err == nil {
		t.Error("a write through the read-only store succeeded")
	}
}

func TestOpenReadOnlyRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.OpenReadOnly(context.Background(), path); err == nil {
		t.Error("OpenReadOnly accepted a text file")
	}
}

// TestOpenReadOnlyAfterTheWriterStopped: with the bot stopped, its WAL
// files are gone, and the export still reads.
func TestOpenReadOnlyAfterTheWriterStopped(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sccbot.db")
	w, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AppendAudit(ctx, bot.AuditEvent{At: time.Now(), Event: "requested", Actor: "U1"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int
	if err := r.Audit(ctx, time.Time{}, func(bot.AuditEvent) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("Audit read %d events, err %v; want 1", n, err)
	}
}
