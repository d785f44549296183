package main

import (
	"context"
	"fmt"
	"html"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/handlers/intake"
)

// TestListingNamesEveryMemberOnce is the property behind "nothing cut":
// for random groups of random findings with long and hostile fields, the
// lister's messages, as the fake Slack received them through the real
// outbox and renderer, name every member exactly once, none is left
// unlisted, and no block was cut.
func TestListingNamesEveryMemberOnce(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			checkListing(t, rand.New(rand.NewPCG(seed, 7)))
		})
	}
}

func checkListing(t *testing.T, rng *rand.Rand) {
	ctx := testContext(t)
	fake := slackfake.New(slackfake.WithChannels("C0LIST0001", "C0LIST0002"))
	t.Cleanup(fake.Close)
	outbox := slackbot.NewOutbox(slackClient(env{slackBotToken: fake.BotToken(), slackAPIURL: fake.URL()}),
		slackbot.OutboxOptions{PostInterval: time.Millisecond, PostBurst: 1000})
	octx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- outbox.Run(octx) }()
	t.Cleanup(func() { stop(); <-done })
	db, err := sqlite.Open(ctx, sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	want := map[string]bool{}
	groups := 1 + rng.IntN(5)
	for g := range groups {
		channel := []string{"C0LIST0001", "C0LIST0002"}[rng.IntN(2)]
		members := randomGroup(t, ctx, db, outbox, rng, g, channel)
		for _, id := range members {
			want[id] = true
		}
	}
	lister := intake.NewLister(db, outbox, intake.ListerOptions{Fits: slackbot.Fits,
		Now: func() time.Time { return time.Now().Add(time.Hour) }})
	for range 20 { // each flush lists for a bounded time; a few always suffice
		lister.Flush(ctx)
	}
	named := map[string]int{}
	for _, m := range fake.AllMessages() {
		if !strings.HasPrefix(metadataKey(m.Metadata), "list/") {
			continue
		}
		if strings.Contains(string(m.Blocks), "truncated") {
			t.Errorf("a listing was cut: %.300s", m.Blocks)
		}
		text := html.UnescapeString(string(m.Blocks))
		for id := range want {
			named[id] += strings.Count(text, id)
		}
	}
	for id := range want {
		if named[id] != 1 {
			t.Errorf("member %q named %d times in the listings, want 1", id, named[id])
		}
	}
	all, _ := db.GroupsWithUnlisted(ctx)
	if len(all) != 0 {
		t.Errorf("%d groups still have unlisted members", len(all))
	}
}

// randomGroup stores a group whose card is posted and up to 600 members
// with hostile fields, and returns the members' short ids.
func randomGroup(t *testing.T, ctx context.Context, db *sqlite.DB, outbox *slackbot.Outbox, rng *rand.Rand, g int, channel string) []string {
	card, err := outbox.Post(ctx, channel, bot.Message{Text: fmt.Sprintf("group %d", g)})
	if err != nil {
		t.Fatal(err)
	}
	rep := hostileFinding(rng, fmt.Sprintf("rep%d", g))
	if err := db.PutFinding(ctx, rep); err != nil {
		t.Fatal(err)
	}
	group := bot.Group{ID: fmt.Sprintf("%016x", rng.Uint64()), Key: fmt.Sprint("k", g), Representative: rep.Name, Card: card,
		OpenedAt: time.Now(), First: rep.EventTime, Last: rep.EventTime, Count: 1, Worst: rep.Severity}
	if err := db.CreateGroup(ctx, group); err != nil {
		t.Fatal(err)
	}
	n := 1 + rng.IntN(600)
	ids := make([]string, n)
	for i := range n {
		f := hostileFinding(rng, fmt.Sprintf("m%d-%d-%s", g, i, strings.Repeat("x", rng.IntN(40))))
		if err := db.PutFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
		if _, err := db.JoinGroup(ctx, group.ID, f, false); err != nil {
			t.Fatal(err)
		}
		ids[i] = f.ShortID()
	}
	return ids
}

// hostileFinding has long pod, namespace and binary fields full of
// characters that escape, wrap or mislead.
func hostileFinding(rng *rand.Rand, id string) bot.Finding {
	pieces := []string{"<!channel>", "&amp;", "`", "```", "*bold*", "\n", "\u202e", "💥", "<https://evil|x>", "pod", "ns", "/usr/bin/"}
	field := func(max int) string {
		var b strings.Builder
		for b.Len() < rng.IntN(max) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	return bot.Finding{
		Name:      "organizations/1/sources/2/locations/global/findings/" + id,
		Category:  field(200),
		Severity:  bot.SeverityLow,
		State:     "ACTIVE",
		EventTime: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(3600)) * time.Second),
		Target:    bot.Target{Product: bot.ProductGKE, Project: "p", Cluster: field(80), Namespace: field(120), Pod: field(300)},
		Processes: []bot.Process{{Binary: field(400)}},
	}
}
