package main

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/postgres"
	"github.com/sccbot/sccbot/bot/postgres/pgtest"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/config"
)

// TestPostgresStoreSharesThePace checks the wiring: on PostgreSQL the
// outbox takes its tokens from the database the replicas share; on SQLite
// (one replica) it keeps them in memory.
func TestPostgresStoreSharesThePace(t *testing.T) {
	ctx := t.Context()
	cfg := &config.Config{}
	quiet := slog.New(slog.DiscardHandler)
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if p := outboxOptions(cfg, lite, quiet, nil).Pace; p != nil {
		t.Errorf("on SQLite the outbox pace is %T, want nil (in memory)", p)
	}
	pg, err := postgres.Open(ctx, postgres.Options{URL: pgtest.Database(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	p := outboxOptions(cfg, pg, quiet, nil).Pace
	if p != pg {
		t.Fatalf("on PostgreSQL the outbox pace is %T, want the store", p)
	}
	if _, err := p.TakePace(ctx, "post/C1", time.Second, 1, time.Now()); err != nil {
		t.Errorf("TakePace through the wiring: %v", err)
	}
}
