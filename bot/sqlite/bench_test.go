package sqlite

import (
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// benchFinding is a finding of realistic size: a Container Threat Detection
// finding with a process, its arguments, a container and ATT&CK data.
func benchFinding(i int) bot.Finding {
	return bot.Finding{
		Name:       fmt.Sprintf("organizations/1234/sources/5678/locations/global/findings/%032x", i),
		Parent:     "organizations/1234/sources/5678",
		Source:     "Container Threat Detection",
		Category:   "Defense Evasion: Launch Code Compiler Tool In Container",
		Class:      "THREAT",
		Severity:   bot.SeverityHigh,
		State:      "ACTIVE",
		Mute:       "UNDEFINED",
		EventTime:  time.Date(2026, 3, 14, 15, 9, 26, i, time.UTC),
		CreateTime: time.Date(2026, 3, 14, 15, 9, 0, 0, time.UTC),
		Description: "A process started a compiler tool inside a container. Compiling code inside a " +
			"container can be used to build malicious binaries that evade detection.",
		Resource: bot.Resource{
			Name:    "//container.googleapis.com/projects/p-1/locations/europe-west1/clusters/c1",
			Type:    "google.container.Cluster",
			Project: "p-1", ProjectNumber: "42", Organization: "1234", Location: "europe-west1",
		},
		Target: bot.Target{Product: bot.ProductGKE, Project: "p-1", Location: "europe-west1",
			Cluster: "c1", Namespace: "default", Pod: "web-7d4b9c-x2x9z", Container: "app"},
		Containers: []bot.Container{{Name: "app", ImageURI: "europe-docker.pkg.dev/p-1/repo/app:1.0", ImageID: "sha256:abc"}},
		Processes: []bot.Process{{Name: "gcc", Binary: "/usr/bin/gcc",
			Args:   []string{"gcc", "-O2", "-o", "/tmp/.x", "/tmp/.x.c"},
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", PID: 4242, ParentPID: 1}},
		Attack: bot.Attack{Tactic: bot.TechniqueRef{Enum: "DEFENSE_EVASION", ID: "TA0005"},
			Techniques: []bot.TechniqueRef{{Enum: "COMPILE_AFTER_DELIVERY", ID: "T1027.004"}}, Version: "18.1"},
	}
}

// BenchmarkPutFinding stores a new finding per iteration in a database file,
// the write of the ingest path.
func BenchmarkPutFinding(b *testing.B) {
	db, _ := openTemp(b)
	ctx := b.Context()
	findings := make([]bot.Finding, b.N)
	for i := range findings {
		findings[i] = benchFinding(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := db.PutFinding(ctx, findings[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNotificationHandledAndMark is the dedupe step of ingest for a new
// notification: check, then mark.
func BenchmarkNotificationHandledAndMark(b *testing.B) {
	db, _ := openTemp(b)
	ctx := b.Context()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key := benchFinding(i).Key()
		handled, err := db.NotificationHandled(ctx, key)
		if err != nil || handled {
			b.Fatalf("NotificationHandled = %v, %v", handled, err)
		}
		if err := db.MarkNotification(ctx, key, "posted"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNotificationHandledRedelivery is the dedupe step for a
// redelivered notification: one read that says "handled".
func BenchmarkNotificationHandledRedelivery(b *testing.B) {
	db, _ := openTemp(b)
	ctx := b.Context()
	key := benchFinding(0).Key()
	if err := db.MarkNotification(ctx, key, "posted"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if handled, err := db.NotificationHandled(ctx, key); err != nil || !handled {
			b.Fatalf("NotificationHandled = %v, %v", handled, err)
		}
	}
}

// BenchmarkIngestParallel runs the store's part of ingest (dedupe check,
// put, mark) from concurrent goroutines, as Pub/Sub delivery does.
func BenchmarkIngestParallel(b *testing.B) {
	db, _ := openTemp(b)
	ctx := b.Context()
	b.ReportAllocs()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f := benchFinding(int(next.Add(1)))
			if _, err := db.NotificationHandled(ctx, f.Key()); err != nil {
				b.Error(err)
				return
			}
			if err := db.PutFinding(ctx, f); err != nil {
				b.Error(err)
				return
			}
			if err := db.MarkNotification(ctx, f.Key(), "posted"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// seedPending stores n findings with a card each, posted one second apart
// from start, every one acknowledged but the last pending. It writes in
// one transaction with the store's own statements, as the ingest path
// would one by one.
func seedPending(tb testing.TB, n, pending int, start time.Time) *DB {
	tb.Helper()
	db, _ := openTemp(tb)
	ctx := tb.Context()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		putFinding, putCard := tx.StmtContext(ctx, db.stmts.upsertFinding), tx.StmtContext(ctx, db.stmts.upsertCard)
		for i := range n {
			now := formatTime(start.Add(time.Duration(i) * time.Second))
			row, err := storerow.NewFinding(benchFinding(i))
			if err != nil {
				return err
			}
			if _, err := putFinding.ExecContext(ctx, findingArgs(row, now)...); err != nil {
				return err
			}
			if _, err := putCard.ExecContext(ctx, sql.Named("name", row.Name), sql.Named("channel", "C1"),
				sql.Named("ts", fmt.Sprintf("1700000000.%06d", i)), sql.Named("now", now)); err != nil {
				return err
			}
			if i < n-pending {
				if _, err := tx.ExecContext(ctx, insertAck, "U1", now, row.Name); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// BenchmarkPendingAcks is the deadline scan asking for the last hour's
// cards (3,600 of them, 50 unacknowledged) in stores of 10,000 and
// 100,000 findings and cards: its cost follows the window, not the table.
func BenchmarkPendingAcks(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("findings=%d", n), func(b *testing.B) {
			const pending = 50
			start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			db := seedPending(b, n, pending, start)
			last := start.Add(time.Duration(n-1) * time.Second)
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				got, err := db.PendingAcks(ctx, last.Add(-time.Hour))
				if err != nil || len(got) != pending {
					b.Fatalf("PendingAcks = %d cards, %v; want %d", len(got), err, pending)
				}
			}
		})
	}
}
