package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	Main(m, Options{Prepare: func(ctx context.Context, url string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE marker (v text); INSERT INTO marker VALUES ('from the template')`)
		return err
	}})
}

// TestPostgresHarnessDatabases checks that each test database is a private
// copy of the prepared template: a write in one is not seen in another.
func TestPostgresHarnessDatabases(t *testing.T) {
	ctx := t.Context()
	a, b := Connect(t, Database(t)), Connect(t, Database(t))
	var v string
	if err := a.QueryRow(ctx, `SELECT v FROM marker`).Scan(&v); err != nil || v != "from the template" {
		t.Fatalf("template row = %q, %v", v, err)
	}
	if _, err := a.Exec(ctx, `INSERT INTO marker VALUES ('only in a')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM marker`).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows in the other database = %d, %v; want 1", n, err)
	}
	var super bool
	if err := a.QueryRow(ctx, `SELECT current_setting('is_superuser') = 'on'`).Scan(&super); err != nil || !super {
		t.Errorf("connected as superuser = %v, %v", super, err)
	}
}

// TestPostgresHarnessRemovesOrphans checks that a directory left by a dead
// test binary is removed and one of a live process is kept.
func TestPostgresHarnessRemovesOrphans(t *testing.T) {
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Skipf("no process to outlive: %v", err)
	}
	dead := filepath.Join(os.TempDir(), fmt.Sprintf("pgtest-%d-orphan", done.Process.Pid))
	live := filepath.Join(os.TempDir(), fmt.Sprintf("pgtest-%d-live", os.Getppid()))
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.RemoveAll(live); os.RemoveAll(dead) })
	removeOrphans()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead process's directory is still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live process's directory was removed: %v", err)
	}
}
