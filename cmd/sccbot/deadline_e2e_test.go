package main

import (
	"bytes"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

var deadlinePolicy = strings.Replace(respondPolicy, "%s", "", 1) + `
escalation:
  every: 10m
  page: true
  routes:
    cloud-run-urgent:
      oncall: S0ONCALL
`

// TestE2EDeadlinesRemindAndEscalateOnce is issue 15's first story with the
// whole bot and a clock the test moves: a CRITICAL card left alone gets
// one reminder at 15 minutes, across a restart at 14, and one escalation
// at 30 that pages its owner once; a card acknowledged at 10 minutes gets
// neither. Checks run by hand (Tick) at each step, so nothing depends on
// the background check's timing.
func TestE2EDeadlinesRemindAndEscalateOnce(t *testing.T) {
	t.Parallel()
	var clock demoClock
	h := newHarness(t)
	h.fakes.slack.SetUserGroup("S0RESPOND", alice)
	h.fakes.slack.SetUserGroup("S0LEADS", alice, bob)
	cfg := testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), deadlinePolicy)
	h.start(cfg, withClock(clock.Now))

	alone := seed(t, sccfake.SeedCloudRunMaliciousBinary)
	acked := sccfake.WithFindingID(alone, "0000000000000000000000000000ac4d")
	// One after the other, so that each gets its card at once (two at
	// the same moment may be named in a burst message first).
	h.fakes.publish(alone)
	h.waitCards("#secops-urgent", 1)
	h.fakes.publish(acked)
	cards := h.waitCards("#secops-urgent", 2)
	lone, ackCard := byShortID(t, cards, "e90b3f6a"), byShortID(t, cards, "0000ac4d")

	tick := func(skip time.Duration) {
		clock.skip(skip)
		h.app.deadline.Tick(testContext(t))
	}
	tick(10 * time.Minute)
	press(t, h, ackCard, "finding.ack", alice)
	if _, err := h.fakes.slack.WaitMessage(testContext(t), ackCard.Channel, ackCard.TS, func(m slackfake.Message) bool {
		return strings.Contains(string(m.Blocks), "Acknowledged by")
	}); err != nil {
		t.Fatalf("%v\n%s", err, h.fakes.slack.Transcript(ackCard.Channel))
	}
	tick(4 * time.Minute) // 14 min: nothing due yet
	h.stop()
	h.start(cfg, withClock(clock.Now))
	if err := h.fakes.slack.WaitConnected(testContext(t)); err != nil {
		t.Fatal(err)
	}
	tick(time.Minute) // 15 min, after the restart: the reminder
	tick(time.Minute) // and no second one
	h.replyWith(lone, "nobody has acknowledged this *Critical* finding for 15 min")
	tick(15 * time.Minute) // 31 min: the escalation
	h.replyWith(lone, "⏫ Escalated")
	h.replyWith(lone, "✅ Page the project owner")
	tick(30 * time.Minute) // an hour on: nothing more
	if _, err := h.fakes.slack.WaitMessage(testContext(t), lone.Channel, lone.TS, func(m slackfake.Message) bool {
		return strings.Contains(string(m.Blocks), "Escalated at")
	}); err != nil {
		t.Fatal(err)
	}
	h.stop()

	if got := countReplies(h, lone, "nobody has acknowledged"); got != 1 {
		t.Errorf("the lone card got %d reminders, want 1\n%s", got, h.fakes.slack.Transcript(lone.Channel))
	}
	if got := countReplies(h, lone, "⏫ Escalated"); got != 1 {
		t.Errorf("the lone card got %d escalations, want 1", got)
	}
	if got := countReplies(h, ackCard, "nobody has acknowledged") + countReplies(h, ackCard, "⏫"); got != 0 {
		t.Errorf("the acknowledged card got %d deadline messages, want none", got)
	}
	if got := len(h.fakes.pagerduty.Calls()); got != 1 {
		t.Errorf("PagerDuty received %d events, want 1", got)
	}
	if !strings.Contains(texts(t, h.replyWith(lone, "nobody has acknowledged")), "<!subteam^S0ONCALL>") {
		t.Error("the reminder does not mention the route's on-call group")
	}
}

// TestE2EDigestChartIsUploadedAndLinked: a scheduled digest uploads its
// chart through Slack's three-step external upload and links it; the file
// is a PNG.
func TestE2EDigestChartIsUploadedAndLinked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), `
digests:
  schedules:
    - {name: daily, channel: C0SECOPS00, cron: "0 3 1 1 *", time_zone: Europe/Paris}
`)
	h.start(cfg)
	h.fakes.publish(seed(t, sccfake.SeedCloudRunMaliciousBinary))
	h.waitCards("#secops-urgent", 1)
	if err := h.app.digest.PostRun(testContext(t), "daily", time.Now().Truncate(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"} {
		if calls, err := h.fakes.slack.WaitCalls(testContext(t), method, 1); err != nil || len(calls) != 1 {
			t.Errorf("%s called %d times (%v), want once", method, len(calls), err)
		}
	}
	files := h.fakes.slack.Files()
	if len(files) != 1 {
		t.Fatalf("%d files shared, want the chart", len(files))
	}
	img, err := png.Decode(bytes.NewReader(files[0].Data))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 200 || b.Dy() < 200 {
		t.Errorf("the chart is %v, too small to read", b)
	}
	digests, err := h.fakes.slack.WaitMessages(testContext(t), "C0SECOPS00", 2)
	if err != nil {
		t.Fatal(err)
	}
	var digest string
	for _, m := range digests {
		if len(m.Blocks) > 0 && strings.Contains(string(m.Blocks), "SCC digest") {
			digest = texts(t, m)
		}
	}
	if !strings.Contains(digest, files[0].Permalink) {
		t.Errorf("the digest does not link its chart %s:\n%s", files[0].Permalink, digest)
	}
}

func byShortID(t *testing.T, cards []slackfake.Message, id string) slackfake.Message {
	t.Helper()
	for _, c := range cards {
		if strings.Contains(string(c.Blocks), id) && strings.Contains(string(c.Blocks), "finding.ack") {
			return c
		}
	}
	t.Fatalf("no card names %s", id)
	return slackfake.Message{}
}

func press(t *testing.T, h *harness, msg slackfake.Message, action, user string) {
	t.Helper()
	p := h.fakes.slack.BlockActionPayload(slackfake.BlockAction{UserID: user, Channel: msg.Channel,
		MessageTS: msg.TS, ActionID: action})
	if _, err := h.fakes.slack.SendAndWaitAck(testContext(t), "interactive", p); err != nil {
		t.Fatalf("press %s: %v", action, err)
	}
}

// replyWith waits for a reply in the card's thread whose text has want.
func (h *harness) replyWith(card slackfake.Message, want string) slackfake.Message {
	h.t.Helper()
	r, err := h.fakes.slack.WaitReply(testContext(h.t), card.Channel, card.TS, func(_ int, m slackfake.Message) bool {
		return strings.Contains(texts(h.t, m), want)
	})
	if err != nil {
		h.t.Fatalf("no reply with %q: %v\n%s", want, err, h.fakes.slack.Transcript(card.Channel))
	}
	return r
}

func countReplies(h *harness, card slackfake.Message, want string) int {
	n := 0
	for _, r := range h.fakes.slack.Thread(card.Channel, card.TS) {
		if strings.Contains(texts(h.t, r), want) {
			n++
		}
	}
	return n
}

// TestE2EAckedWhileItsCardIsBeingPosted: a responder acknowledges a card
// in the moment between its post and the bot learning of it (Slack has
// stored the card; its answer is late). The card was built before the
// acknowledgement and the refresh finds no card on record yet, so the
// refresh waits for the record instead of being dropped: the card shows
// who acknowledged it.
func TestE2EAckedWhileItsCardIsBeingPosted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start(testConfig(t, filepath.Join(t.TempDir(), "sccbot.db"), ""))
	release := h.fakes.slack.HoldAnswers("chat.postMessage")
	defer release()
	h.fakes.publish(seed(t, sccfake.SeedCloudRunMaliciousBinary))
	if err := h.fakes.slack.WaitHeld(testContext(t), "chat.postMessage", 1); err != nil {
		t.Fatal(err)
	}
	card := h.waitCards("#secops-urgent", 1)[0]
	press(t, h, card, "finding.ack", alice)
	if _, err := h.fakes.slack.WaitEphemerals(testContext(t), card.Channel, alice, 1); err != nil {
		t.Fatalf("the acknowledgement was not answered: %v", err)
	}
	release()
	if _, err := h.fakes.slack.WaitMessage(testContext(t), card.Channel, card.TS, func(m slackfake.Message) bool {
		return strings.Contains(string(m.Blocks), "Acknowledged by")
	}); err != nil {
		t.Fatalf("%v\n%s", err, h.fakes.slack.Transcript(card.Channel))
	}
}
