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

// TestOpenReadOnlyReadsBesideTheWriter: the export reads what the running
// bot wrote and can write nothing itself.
func TestOpenReadOnlyReadsBesideTheWriter(t *testing.T) {
	w, path := storeWithOneEvent(t)
	defer w.Close()
	r := readOneEvent(t, path)
	if err := r.AppendAudit(context.Background(), bot.AuditEvent{At: time.Now(), Event: "x", Actor: "U1"}); err == nil {
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
	w, path := storeWithOneEvent(t)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	readOneEvent(t, path)
}

// storeWithOneEvent is a store file with one audit event, open for writing.
func storeWithOneEvent(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sccbot.db")
	w, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AppendAudit(context.Background(), bot.AuditEvent{At: time.Now(), Event: "requested", Actor: "U1", Action: "mute"}); err != nil {
		t.Fatal(err)
	}
	return w, path
}

// readOneEvent opens path read-only and checks that it holds one event.
func readOneEvent(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	r, err := sqlite.OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	var n int
	if err := r.Audit(context.Background(), time.Time{}, func(bot.AuditEvent) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("Audit read %d events, err %v; want 1", n, err)
	}
	return r
}
