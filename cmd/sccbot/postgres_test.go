package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/postgres"
	"github.com/sccbot/sccbot/bot/postgres/pgtest"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/handlers/intake"
)

// TestMain gives the PostgreSQL tests a server; it starts only when one
// of them runs.
func TestMain(m *testing.M) { pgtest.Main(m, pgtest.Options{}) }

// TestPostgresE2ESeedCardsPostedOnce runs the bot on a PostgreSQL store:
// the seeds are posted once each across a redelivery and a restart.
func TestPostgresE2ESeedCardsPostedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.databaseURL = pgtest.Database(t)
	unused := filepath.Join(t.TempDir(), "unused.db")
	cfg := testConfig(t, unused, "")
	cfg.Store.Driver = config.StorePostgres
	seedCardsOnce(t, h, cfg)
	if _, err := os.Stat(unused); err == nil {
		t.Error("the bot wrote store.path although the driver is postgres")
	}
}

// copyFixture fills a SQLite store with one of everything, hostile text
// included, and returns what it wrote.
type copyFixture struct {
	finding bot.Finding
	request bot.ActionRequest
	audit   []bot.AuditEvent
	reject  bot.Rejected
	silence bot.Silence
}

func writeCopyFixture(t *testing.T, path string) copyFixture {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 12, 1, 9, 30, 0, 123456789, time.UTC)
	db.Now = func() time.Time { return at }
	fx := copyFixture{
		finding: bot.Finding{Name: "organizations/1/sources/2/locations/global/findings/copy1", Category: "Execution: <x> '; DROP",
			Severity: bot.SeverityCritical, State: "ACTIVE", EventTime: at, Target: bot.Target{Product: bot.ProductGKE, Pod: "p\x00od"}},
		reject:  bot.Rejected{Source: "pubsub", Reason: "bad\x00json", Payload: []byte("\x00\xff{"), ReceivedAt: at},
		silence: bot.Silence{ID: "s1", Matchers: []bot.Matcher{{Field: "project", Value: "p"}}, Reason: "noisy\x00", CreatedBy: "U1", CreatedAt: at, ExpiresAt: at.Add(time.Hour)},
	}
	fx.request = bot.ActionRequest{ID: "r1", Finding: fx.finding.Name, Action: bot.ActionIsolatePod, Reason: "contain\x00 it",
		RequestedBy: "U1", RequestedAt: at, ExpiresAt: at.Add(time.Hour), State: bot.RequestPending}
	steps := []error{
		db.PutFinding(ctx, fx.finding),
		db.PutPostedCard(ctx, fx.finding.Key(), bot.MessageRef{Channel: "C1", TS: "1.1"}, "posted"),
		db.PutCursor(ctx, "poll", "token\x00"),
		db.RecordRejected(ctx, fx.reject),
		db.CreateSilence(ctx, fx.silence),
		db.CreateGroup(ctx, bot.Group{ID: "g1", Key: "k", Representative: fx.finding.Name, OpenedAt: at,
			Card: bot.MessageRef{Channel: "C1", TS: "1.1"}, First: at, Last: at, Count: 1, Worst: bot.SeverityCritical}),
	}
	_, _, err = db.CreateRequest(ctx, fx.request)
	steps = append(steps, err)
	_, _, _, err = db.Ack(ctx, fx.finding.Name, "U2")
	steps = append(steps, err)
	_, err = db.ClaimDigest(ctx, "daily", at, "C1")
	steps = append(steps, err)
	for i := range 3 {
		ev := bot.AuditEvent{At: at, Event: bot.AuditRequested, Request: "r1", Finding: fx.finding.Name, Actor: "U1", Detail: strings.Repeat("d\x00", i)}
		steps = append(steps, db.AppendAudit(ctx, ev))
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("fixture step %d: %v", i, err)
		}
	}
	if err := db.Audit(ctx, time.Time{}, func(ev bot.AuditEvent) error { fx.audit = append(fx.audit, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return fx
}

// TestPostgresStoreCopy copies a SQLite store into PostgreSQL with the
// command, checks every kind of row came across exactly, that a second
// copy is refused without --force and changes nothing with it, and that
// ids appended afterwards follow the copied ones.
func TestPostgresStoreCopy(t *testing.T) {
	dir := t.TempDir()
	from := filepath.Join(dir, "old.db")
	fx := writeCopyFixture(t, from)
	cfgPath := filepath.Join(dir, "sccbot.yaml")
	writeFile(t, cfgPath, "slack: {default_channel: C0123456789}\nsources: {poll: {parent: organizations/1/sources/-}}\nstore: {driver: postgres}\n")
	url := pgtest.Database(t)
	getenv := func(k string) string {
		if k == config.EnvDatabaseURL {
			return url
		}
		return ""
	}
	copyCmd := func(extra ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(t.Context(), append([]string{"store", "copy", "--config", cfgPath, "--from", from}, extra...), getenv, &out, &errOut)
		return code, out.String() + errOut.String()
	}

	code, out := copyCmd()
	if code != exitOK {
		t.Fatalf("store copy = %d:\n%s", code, out)
	}
	for _, want := range []string{"findings            1 copied      0 already there", "audit               3 copied", "cursors             1 copied"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	checkCopied(t, url, fx)

	if code, out := copyCmd(); code != exitFailure || !strings.Contains(out, "already holds data") {
		t.Errorf("a second copy without --force = %d:\n%s", code, out)
	}
	code, out = copyCmd("--force")
	if code != exitOK || !strings.Contains(out, "findings            0 copied      1 already there") {
		t.Errorf("a second copy with --force = %d:\n%s", code, out)
	}
	checkCopied(t, url, fx)
}

// checkCopied compares the PostgreSQL store with the fixture, and appends
// an audit event to see where ids go on.
func checkCopied(t *testing.T, url string, fx copyFixture) {
	t.Helper()
	ctx := t.Context()
	db, err := postgres.Open(ctx, postgres.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := db.Finding(ctx, fx.finding.Name)
	if err != nil || !cmp.Equal(fx.finding, f) {
		t.Errorf("finding after copy: %v\n%s", err, cmp.Diff(fx.finding, f))
	}
	if ref, ok, err := db.Card(ctx, fx.finding.Name); err != nil || !ok || ref.TS != "1.1" {
		t.Errorf("card after copy = %v, %v, %v", ref, ok, err)
	}
	if v, ok, err := db.Cursor(ctx, "poll"); err != nil || !ok || v != "token\x00" {
		t.Errorf("cursor after copy = %q, %v, %v", v, ok, err)
	}
	r, err := db.Request(ctx, "r1")
	if err != nil || !cmp.Equal(fx.request, r) {
		t.Errorf("request after copy: %v\n%s", err, cmp.Diff(fx.request, r))
	}
	rs, err := db.Rejected(ctx, 5)
	if err != nil || !cmp.Equal([]bot.Rejected{fx.reject}, rs) {
		t.Errorf("rejected after copy: %v\n%s", err, cmp.Diff([]bot.Rejected{fx.reject}, rs))
	}
	s, err := db.Silence(ctx, "s1")
	if err != nil || !cmp.Equal(fx.silence, s) {
		t.Errorf("silence after copy: %v\n%s", err, cmp.Diff(fx.silence, s))
	}
	if by, _, ok, err := db.AckOf(ctx, fx.finding.Name); err != nil || !ok || by != "U2" {
		t.Errorf("ack after copy = %q, %v, %v", by, ok, err)
	}
	if _, ok, err := db.OpenGroup(ctx, "k"); err != nil || !ok {
		t.Errorf("group after copy = %v, %v", ok, err)
	}
	if ok, err := db.ClaimDigest(ctx, "daily", fx.finding.EventTime, "C1"); err != nil || ok {
		t.Errorf("the copied digest run could be claimed again: %v, %v", ok, err)
	}
	evs, err := db.AuditForFinding(ctx, fx.finding.Name)
	if err != nil || !cmp.Equal(fx.audit, evs[:len(fx.audit)]) {
		t.Fatalf("audit after copy: %v\n%s", err, cmp.Diff(fx.audit, evs))
	}
	if err := db.AppendAudit(ctx, bot.AuditEvent{Event: bot.AuditApproved, Finding: fx.finding.Name, Actor: "U3"}); err != nil {
		t.Fatal(err)
	}
	evs, _ = db.AuditForFinding(ctx, fx.finding.Name)
	if last := evs[len(evs)-1]; last.ID <= fx.audit[len(fx.audit)-1].ID {
		t.Errorf("an event appended after the copy has id %d, not after the copied %d", last.ID, fx.audit[len(fx.audit)-1].ID)
	}
}

// TestPostgresStoreCopyRefusals checks the copies that must not start: a
// missing file (sqlite.Open would create an empty one), a config on
// SQLite, a SQLite store with a table the copy does not know.
func TestPostgresStoreCopyRefusals(t *testing.T) {
	dir := t.TempDir()
	pgConfig := filepath.Join(dir, "pg.yaml")
	writeFile(t, pgConfig, "slack: {default_channel: C0123456789}\nsources: {poll: {parent: organizations/1/sources/-}}\nstore: {driver: postgres}\n")
	sqliteConfig := filepath.Join(dir, "sqlite.yaml")
	writeFile(t, sqliteConfig, "slack: {default_channel: C0123456789}\nsources: {poll: {parent: organizations/1/sources/-}}\n")
	extra := filepath.Join(dir, "extra.db")
	db, err := sqlite.Open(t.Context(), extra)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	execSQLite(t, extra, `CREATE TABLE added_by_a_newer_sccbot (id TEXT)`)
	url := pgtest.Database(t)
	getenv := func(k string) string {
		if k == config.EnvDatabaseURL {
			return url
		}
		return ""
	}
	for _, c := range []struct {
		name, config, from, want string
		code                     int
	}{
		{"missing file", pgConfig, filepath.Join(dir, "nope.db"), "no such file", exitFailure},
		{"sqlite config", sqliteConfig, extra, "store.driver is sqlite", exitUsage},
		{"unknown table", pgConfig, extra, `table "added_by_a_newer_sccbot" that the copy does not know`, exitFailure},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			code := run(t.Context(), []string{"store", "copy", "--config", c.config, "--from", c.from}, getenv, &out, &out)
			if code != c.code || !strings.Contains(out.String(), c.want) {
				t.Errorf("store copy = %d, %q; want %d and %q", code, out.String(), c.code, c.want)
			}
		})
	}
	pg, err := postgres.Open(t.Context(), postgres.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if n, err := pg.CountRejected(context.Background()); err != nil || n != 0 {
		t.Errorf("a refused copy left rows: %d, %v", n, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// execSQLite changes a SQLite file behind the store's back, as a newer
// binary's migration would.
func execSQLite(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresReadyzIncludesTheDatabase runs the bot on PostgreSQL and
// cuts the database off: /readyz turns 503 and names the store, without
// the connection URL's password; then it recovers.
func TestPostgresReadyzIncludesTheDatabase(t *testing.T) {
	h := newHarness(t)
	url := pgtest.Database(t)
	const password = "readyz-S3cret"
	execPG(t, url, `ALTER USER postgres PASSWORD '`+password+`'`)
	h.databaseURL = strings.Replace(url, "postgres@", "postgres:"+password+"@", 1)
	cfg := testConfig(t, filepath.Join(t.TempDir(), "unused.db"), "")
	cfg.Store.Driver = config.StorePostgres
	cfg.Ops.Listen = "127.0.0.1:0"
	h.start(cfg)
	addr, err := h.app.ops.Addr(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	// The fake counts the socket connected when the bot dials; the bot,
	// when Slack's hello arrives: wait for the bot to agree.
	if code, body := awaitReadyz(t, addr, func(code int, _ string) bool { return code == http.StatusOK }); code != http.StatusOK {
		t.Fatalf("/readyz with the database up = %d %s", code, body)
	}
	name := url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
	admin := strings.Replace(url, "/"+name+"?", "/postgres?", 1)
	execPG(t, admin, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS false`)
	execPG(t, admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '`+name+`'`)
	code, body := awaitReadyz(t, addr, func(_ int, body string) bool { return strings.Contains(body, "store:") })
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store:") || strings.Contains(body, password) {
		t.Errorf("/readyz with the database gone = %d %q; want 503 naming the store, without the password", code, body)
	}
	execPG(t, admin, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS true`)
	if code, body := awaitReadyz(t, addr, func(code int, _ string) bool { return code == http.StatusOK }); code != http.StatusOK {
		t.Errorf("/readyz with the database back = %d %s", code, body)
	}
}

// awaitReadyz asks /readyz until its answer satisfies done or the test's
// context ends, and returns the last answer.
func awaitReadyz(t *testing.T, addr string, done func(code int, body string) bool) (int, string) {
	t.Helper()
	ctx := testContext(t)
	for {
		code, body := getReadyz(t, addr)
		if done(code, body) {
			return code, body
		}
		select {
		case <-ctx.Done():
			return code, body
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func getReadyz(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func execPG(t *testing.T, url, stmt string) {
	t.Helper()
	if _, err := pgtest.Connect(t, url).Exec(t.Context(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// newPostgresBenchIntake is the intake on a PostgreSQL store: the
// throwaway server of pgtest, on this machine, with fsync off.
func newPostgresBenchIntake(b *testing.B) *intake.Intake {
	b.Helper()
	db, err := postgres.Open(context.Background(), postgres.Options{URL: pgtest.Database(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return benchIntake(b, db)
}

// BenchmarkPostgresIngestPath is BenchmarkIngestPath on PostgreSQL.
func BenchmarkPostgresIngestPath(b *testing.B) { benchIngestPath(b, newPostgresBenchIntake(b)) }

// BenchmarkPostgresIngestPathConcurrent is BenchmarkIngestPathConcurrent
// on PostgreSQL.
func BenchmarkPostgresIngestPathConcurrent(b *testing.B) {
	benchIngestConcurrent(b, newPostgresBenchIntake(b))
}

// BenchmarkPostgresIngestDuplicate is BenchmarkIngestDuplicate on PostgreSQL.
func BenchmarkPostgresIngestDuplicate(b *testing.B) {
	benchIngestDuplicate(b, newPostgresBenchIntake(b))
}

// TestStoreCommandUsage checks the store command's help and usage errors,
// which need no database.
func TestStoreCommandUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"store", "--help"}, exitOK, "usage: sccbot store copy"},
		{[]string{"store", "copy", "--help"}, exitOK, "-from"},
		{[]string{"store"}, exitUsage, "usage: sccbot store copy"},
		{[]string{"store", "move"}, exitUsage, "usage: sccbot store copy"},
		{[]string{"store", "copy", "--config", "x.yaml"}, exitUsage, "needs --config FILE and --from SQLITE_FILE"},
	} {
		var out bytes.Buffer
		code := run(t.Context(), c.args, func(string) string { return "" }, &out, &out)
		if code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("%v = %d %q; want %d and %q", c.args, code, out.String(), c.code, c.want)
		}
	}
}

// TestCheckConfigDatabaseURL checks that check-config warns about a
// missing SCCBOT_DATABASE_URL for a postgres store.
func TestCheckConfigDatabaseURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pg.yaml")
	writeFile(t, path, "slack: {default_channel: C0123456789}\nsources: {poll: {parent: organizations/1/sources/-}}\nstore: {driver: postgres}\n")
	var out bytes.Buffer
	code := run(t.Context(), []string{"check-config", "--config", path}, func(string) string { return "" }, &out, &out)
	if code != exitOK || !strings.Contains(out.String(), "warning: "+config.EnvDatabaseURL+": required with store.driver postgres") {
		t.Errorf("check-config = %d:\n%s", code, out.String())
	}
}

// TestPostgresAuditExport exports the audit log of a PostgreSQL store with
// `sccbot audit`, as an operator would from any machine with the URL.
func TestPostgresAuditExport(t *testing.T) {
	url := pgtest.Database(t)
	db, err := postgres.Open(t.Context(), postgres.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, ev := range []string{bot.AuditRequested, bot.AuditApproved} {
		if err := db.AppendAudit(t.Context(), bot.AuditEvent{At: at, Event: ev, Request: "r1", Actor: "U1"}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	path := filepath.Join(t.TempDir(), "pg.yaml")
	writeFile(t, path, "slack: {default_channel: C0123456789}\nsources: {poll: {parent: organizations/1/sources/-}}\nstore: {driver: postgres}\n")
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"audit", "--config", path}, func(k string) string {
		if k == config.EnvDatabaseURL {
			return url
		}
		return ""
	}, &out, &errOut)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != exitOK || len(lines) != 2 || !strings.Contains(lines[0], `"event":"requested"`) || !strings.Contains(lines[1], `"event":"approved"`) {
		t.Errorf("audit = %d, %q (stderr %q)", code, out.String(), errOut.String())
	}
}
