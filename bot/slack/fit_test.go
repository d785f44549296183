package slack

import (
	"fmt"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// TestRenderLinesNeverSplitsALine: a listing's lines, however hostile,
// land whole in exactly one code block each, and Fits tells a message the
// block limit would cut from one it would not.
func TestRenderLinesNeverSplitsALine(t *testing.T) {
	var lines []string
	for i := range 900 {
		lines = append(lines, fmt.Sprintf("id%04d %s", i, strings.Repeat("<&>`", i%30)))
	}
	blocks := renderLines(bot.Lines{Lines: lines})
	seen := 0
	for _, b := range blocks {
		text := sectionText(t, b)
		if n := len([]rune(text)); n > maxSectionText {
			t.Fatalf("a block holds %d characters, over %d", n, maxSectionText)
		}
		seen += strings.Count(text, "id")
	}
	if seen != len(lines) {
		t.Errorf("%d line ids across the blocks, want %d", seen, len(lines))
	}
	if Fits(bot.Message{Blocks: []bot.Block{bot.Lines{Lines: lines}}}) {
		t.Errorf("Fits says 900 long escaped lines (%d blocks) fit in one message", len(blocks))
	}
	if !Fits(bot.Message{Blocks: []bot.Block{bot.Lines{Lines: lines[:20]}}}) {
		t.Error("Fits refuses 20 lines")
	}
}

func sectionText(t *testing.T, b goslack.Block) string {
	t.Helper()
	s, ok := b.(*goslack.SectionBlock)
	if !ok || s.Text == nil {
		t.Fatalf("block %T is not a section with text", b)
	}
	return s.Text.Text
}

// TestBurstHoldsManyLongBriefs: a burst packs briefs by size, so 300 long
// briefs are named in one message whose every section fits.
func TestBurstHoldsManyLongBriefs(t *testing.T) {
	var js []job
	for i := range 300 {
		brief := bot.R(bot.B("HIGH"), bot.T(" · "+strings.Repeat("long category & <place> ", 8)), bot.M(fmt.Sprintf("f%04d", i)))
		js = append(js, job{kind: jobPost, msg: bot.Message{Key: fmt.Sprint("card/", i), Priority: bot.PrioritySevere, Brief: brief}})
	}
	n := 0
	for n < len(js) && Fits(burstMessage(js[:n+1])) {
		n++
	}
	if n < 100 {
		t.Errorf("one burst names %d long briefs, want at least 100", n)
	}
	m := burstMessage(js[:n])
	for _, b := range m.Blocks {
		if s, ok := b.(bot.Section); ok && len([]rune(renderRich(s.Text, true))) > maxSectionText {
			t.Errorf("a burst section is over the section limit")
		}
	}
}

// TestLaneTakesTurns: severe posts go first, but after one anything else
// that waits goes next; owed cards wait for an idle lane.
func TestLaneTakesTurns(t *testing.T) {
	l := newLane("post/C1", &pacer{key: "post/C1", interval: time.Second, burst: 1, local: newBucket(time.Second, 1, time.Now())})
	now := time.Now()
	push := func(key string, p bot.Priority) {
		l.queue = append(l.queue, job{kind: jobPost, queued: now, msg: bot.Message{Key: key, Priority: p}})
	}
	push("owed", bot.PriorityOwed)
	push("list", bot.PriorityListing)
	push("severe1", bot.PrioritySevere)
	push("low", bot.PriorityLow)
	push("severe2", bot.PrioritySevere)
	var got []string
	for {
		j, ok := l.take()
		if !ok {
			break
		}
		got = append(got, j.msg.Key)
	}
	want := []string{"severe1", "list", "severe2", "low", "owed"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order %v, want %v", got, want)
	}
}
