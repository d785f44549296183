package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/postgres"
	"github.com/sccbot/sccbot/bot/postgres/pgtest"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
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

// pgReplicaOutbox runs an outbox as one replica would: its own connection
// pool on the shared database as its pace store, posting to fake.
func pgReplicaOutbox(t *testing.T, url string, fake *slackfake.Server, interval time.Duration) *slackbot.Outbox {
	t.Helper()
	db, err := postgres.Open(t.Context(), postgres.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	o := slackbot.NewOutbox(slackClient(env{slackBotToken: fake.BotToken(), slackAPIURL: fake.URL()}),
		slackbot.OutboxOptions{PostInterval: interval, PostBurst: 1, Pace: db})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- o.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done; db.Close() })
	return o
}

// TestPostgresReplicasSharePace runs two outboxes, each with its own pool
// on one PostgreSQL database, posting to one channel of one fake Slack at
// once. Each alone keeps a pace of one post per 100 ms; the fake allows
// that pace with a burst of four (room for 300 ms of scheduling jitter on
// a busy machine), so two replicas pacing apart, together twice that
// pace, are refused within a second. Together through the database they
// are never refused, and a 429 given to one holds the other back until its
// Retry-After ends.
func TestPostgresReplicasSharePace(t *testing.T) {
	url := pgtest.Database(t)
	const interval = 100 * time.Millisecond
	fake := slackfake.New(slackfake.WithPostRate(interval, 4))
	t.Cleanup(fake.Close)
	a := pgReplicaOutbox(t, url, fake, interval)
	b := pgReplicaOutbox(t, url, fake, interval)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for i := range 24 {
		o := a
		if i%2 == 1 {
			o = b
		}
		wg.Go(func() {
			if _, err := o.Post(ctx, "C0SECOPS01", bot.Message{Text: fmt.Sprintf("finding %d", i), Key: fmt.Sprintf("card/%d", i)}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	calls := fake.Calls("chat.postMessage")
	if n := fake.Stats().RateLimited["chat.postMessage"]; n != 0 || len(calls) != 24 {
		t.Fatalf("%d posts, %d refused with 429; want 24 and none: the replicas did not keep one pace", len(calls), n)
	}
	if span := calls[len(calls)-1].At.Sub(calls[0].At); span < 22*interval {
		t.Errorf("24 posts spanned %v, want at least %v at one post per %v", span, 22*interval, interval)
	}

	fake.RateLimitNext("chat.postMessage", 1, time.Second)
	first := make(chan error, 1)
	go func() {
		_, err := a.Post(ctx, "C0SECOPS01", bot.Message{Text: "refused first", Key: "card/a"})
		first <- err
	}()
	if _, err := fake.WaitCalls(ctx, "chat.postMessage", 25); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Post(ctx, "C0SECOPS01", bot.Message{Text: "from the other replica", Key: "card/b"}); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if n := fake.EarlyPosts(); n != 0 {
		t.Errorf("%d posts inside the Retry-After one replica was given, want 0", n)
	}
	if n := len(fake.Messages("C0SECOPS01")); n != 26 {
		t.Errorf("%d messages, want 26", n)
	}
}
